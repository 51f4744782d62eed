// LoadProject: shoplake.yaml through yaml-cpp, checked key by key so every mistake is
// reported as "file:line:column" with the key's dotted path and a fix.
#include "common/project.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "common/yaml_reader.h"

namespace shoplake {
namespace fs = std::filesystem;

namespace {

constexpr const char* kProjectFileName = "shoplake.yaml";

const std::vector<std::string> kTopKeys = {"name",   "lake",     "sources", "datasets",
                                           "paths",  "simulate", "notify",  "workflow",
                                           "duckdb", "query",    "sales"};
const std::vector<std::string> kSourceKeys = {"uri"};
const std::vector<std::string> kDatasetKeys = {"source", "pattern", "mapping"};
const std::vector<std::string> kPathKeys = {"mappings", "views", "dashboard", "workflow",
                                            "reports"};
const std::vector<std::string> kSimulateKeys = {"seed",       "days",      "start", "orders",
                                                "dirty_rate", "realities", "out"};
const std::vector<std::string> kNotifyKeys = {"url", "command", "timeout_seconds"};
const std::vector<std::string> kWorkflowKeys = {"bindings"};
const std::vector<std::string> kDuckDbKeys = {"memory_limit", "temp_directory", "stages"};
const std::vector<std::string> kDuckDbStageKeys = {"memory_limit", "temp_directory"};
const std::vector<std::string> kQueryKeys = {"timeout_seconds"};
const std::vector<std::string> kRequiredSalesRoles = {"order", "time", "revenue"};
const std::vector<std::string> kRequiredStockRoles = {"product", "time", "on_hand"};

std::map<std::string, std::string> DefaultPaths() {
  return {{"mappings", "pipeline/mappings"},
          {"views", "pipeline/views"},
          {"dashboard", "pipeline/dashboard.yaml"},
          {"workflow", "pipeline/pipeline.asl.json"},
          {"reports", "reports"}};
}

// The pipeline's variables bound to shoplake's own handlers, so that a project runs
// pipeline/pipeline.asl.json without a workflow: section.
std::map<std::string, std::string> DefaultBindings() {
  return {{"IngestFunctionArn", "shoplake:ingest"}, {"TransformFunctionArn", "shoplake:transform"},
          {"CrawlFunctionArn", "shoplake:crawl"},   {"ViewsFunctionArn", "shoplake:views"},
          {"ReportFunctionArn", "shoplake:report"}, {"NotifyFunctionArn", "shoplake:notify"}};
}

// A substitution variable's name, as SAM accepts them in ${...}: letters, digits, '_'.
bool IsVariableName(const std::string& name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

// `duckdb.memory_limit` and `duckdb.temp_directory` (or a stage's) at `node`, into `limits`.
void ReadDuckDbLimits(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                      DuckDbSpec::Limits& limits) {
  if (node["memory_limit"]) {
    limits.memory_limit = reader.String(node["memory_limit"], path + ".memory_limit");
    bool digits = !limits.memory_limit.empty() &&
                  std::isdigit(static_cast<unsigned char>(limits.memory_limit[0]));
    if (!digits) {
      reader.Fail(node["memory_limit"], "'" + path + ".memory_limit' must be an amount of memory",
                  "for example: memory_limit: 2GB (or 512MB, 4GiB)");
    }
  }
  if (node["temp_directory"]) {
    limits.temp_directory = reader.String(node["temp_directory"], path + ".temp_directory");
  }
}

QuerySpec ParseQuerySpec(YamlReader& reader, const YAML::Node& query) {
  reader.ExpectMap(query, "query", kQueryKeys);
  QuerySpec spec;
  if (auto timeout = query["timeout_seconds"]) {
    int seconds = reader.Get<int>(timeout, "query.timeout_seconds", "a whole number");
    if (seconds < 0) {
      reader.Fail(timeout, "'query.timeout_seconds' must be 0 (no limit) or more",
                  "for example: timeout_seconds: 120");
    }
    spec.timeout_seconds = seconds;
  }
  return spec;
}

// A table name as `sales.table` and `sales.stock.table` take it: `name` or `database.name`.
bool IsTableName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

// The roles of `node` (a `sales:` or `sales.stock:` mapping, whose keys ExpectMap checked)
// into `roles`: the keys that are `known` roles, each required one present, none empty.
void ReadRoles(const YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::vector<std::string>& known, const std::vector<std::string>& required,
               std::map<std::string, std::string>& roles) {
  for (const auto& entry : node) {
    auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) continue;
    auto value = reader.String(entry.second, path + "." + key);
    if (value.find_first_not_of(" \t\n") == std::string::npos) {
      reader.Fail(entry.second, "'" + path + "." + key + "' is empty",
                  "write a column of the table or a SQL expression over its columns");
    }
    roles[key] = value;
  }
  for (const auto& role : required) {
    if (!roles.count(role)) {
      reader.Fail(node, "'" + path + "' needs '" + role + "'",
                  "the required roles are " + YamlReader::JoinAll(required) +
                      " (docs/query.md, \"The sales model\")");
    }
  }
}

SalesSpec ParseSalesSpec(const YamlReader& reader, const YAML::Node& node) {
  std::vector<std::string> keys = {"table", "where", "stock"};
  keys.insert(keys.end(), SalesRoles().begin(), SalesRoles().end());
  reader.ExpectMap(node, "sales", keys);
  SalesSpec spec;
  spec.declared_at = reader.Where(node);
  auto table = [&](const YAML::Node& map, const std::string& path) {
    if (!map["table"]) {
      reader.Fail(map, "'" + path + "' needs a 'table'",
                  "the table holding the rows, e.g. table: order_lines");
    }
    auto name = reader.String(map["table"], path + ".table");
    if (!IsTableName(name)) {
      reader.Fail(map["table"], "'" + path + ".table' must be a table's name, not '" + name + "'",
                  "for example: table: order_lines (or shop.order_lines)");
    }
    return name;
  };
  spec.table = table(node, "sales");
  if (node["where"]) spec.where = reader.String(node["where"], "sales.where");
  ReadRoles(reader, node, "sales", SalesRoles(), kRequiredSalesRoles, spec.roles);
  if (spec.roles.count("cost") && spec.roles.count("profit")) {
    reader.Fail(node["profit"], "'sales' names both 'cost' and 'profit'",
                "keep one: profit stands in for cost as cost = revenue - profit");
  }
  if (auto stock = node["stock"]) {
    std::vector<std::string> stock_keys = {"table"};
    stock_keys.insert(stock_keys.end(), StockRoles().begin(), StockRoles().end());
    reader.ExpectMap(stock, "sales.stock", stock_keys);
    spec.stock_table = table(stock, "sales.stock");
    ReadRoles(reader, stock, "sales.stock", StockRoles(), kRequiredStockRoles, spec.stock);
  }
  return spec;
}

}  // namespace

const std::vector<std::string>& SalesRoles() {
  static const std::vector<std::string> kRoles = {
      "order",   "time",         "revenue",  "quantity", "customer",     "customer_name",
      "product", "product_name", "category", "branch",   "branch_name",  "branch_type",
      "gross",   "discount",     "cost",     "profit",   "cancellation", "product_line"};
  return kRoles;
}

const std::vector<std::string>& StockRoles() {
  static const std::vector<std::string> kRoles = {"product", "time", "on_hand", "product_name",
                                                  "category"};
  return kRoles;
}

bool SalesSpec::Has(const std::string& role) const {
  if (role == "stock") return !stock_table.empty();
  if (role == "cost") return roles.count("cost") || roles.count("profit");
  return roles.count(role) > 0;
}

const std::vector<std::string>& DuckDbStages() {
  static const std::vector<std::string> kStages = {"transform", "crawl",  "query",
                                                   "views",     "report", "serve"};
  return kStages;
}

DuckDbSpec::Limits DuckDbSpec::For(const std::string& stage) const {
  Limits limits = all;
  auto it = stages.find(stage);
  if (it == stages.end()) return limits;
  if (!it->second.memory_limit.empty()) limits.memory_limit = it->second.memory_limit;
  if (!it->second.temp_directory.empty()) limits.temp_directory = it->second.temp_directory;
  return limits;
}

std::string Project::LakeUri() const {
  if (lake.find("://") != std::string::npos) return lake;
  fs::path path(lake);
  return (path.is_absolute() ? path : root / path).lexically_normal().string();
}

fs::path Project::PathOf(const std::string& name) const {
  auto found = paths.find(name);
  if (found == paths.end()) {
    throw Error(ErrorCode::kConfig, "no path named '" + name + "'",
                file ? file->string() : "shoplake.yaml", "add it under 'paths:'");
  }
  fs::path path(found->second);
  return (path.is_absolute() ? path : root / path).lexically_normal();
}

Project ParseProject(const std::string& text, const fs::path& file) {
  YamlReader reader(file);
  YAML::Node doc = reader.Parse(text);
  Project project;
  project.file = file;
  project.root = file.has_parent_path() ? fs::absolute(file).parent_path() : fs::current_path();
  project.paths = DefaultPaths();
  project.bindings = DefaultBindings();
  if (doc.IsNull()) return project;  // an empty file means all defaults
  reader.ExpectMap(doc, "", kTopKeys);

  if (doc["name"]) project.name = reader.String(doc["name"], "name");
  if (doc["lake"]) project.lake = reader.String(doc["lake"], "lake");

  // sources and datasets are maps of user-chosen names; their values' keys are checked.
  auto read_named = [&](const char* section, const std::vector<std::string>& keys,
                        auto&& read_one) {
    auto node = doc[section];
    if (!node) return;
    if (!node.IsMap())
      reader.Fail(node, std::string("'") + section + "' must be a mapping of names");
    for (const auto& entry : node) {
      auto name = entry.first.as<std::string>();
      auto path = std::string(section) + "." + name;
      reader.ExpectMap(entry.second, path, keys);
      read_one(name, path, entry.second);
    }
  };
  read_named("sources", kSourceKeys,
             [&](const std::string& name, const std::string& path, const YAML::Node& node) {
               if (!node["uri"])
                 reader.Fail(node, "'" + path + "' needs a 'uri'",
                             "for example: uri: gs://shop-exports");
               project.sources.push_back({name, reader.String(node["uri"], path + ".uri")});
             });
  read_named(
      "datasets", kDatasetKeys,
      [&](const std::string& name, const std::string& path, const YAML::Node& node) {
        DatasetSpec dataset{name, "", name + "/*.csv", "pipeline/mappings/" + name + ".yaml"};
        if (node["source"]) dataset.source = reader.String(node["source"], path + ".source");
        if (node["pattern"]) dataset.pattern = reader.String(node["pattern"], path + ".pattern");
        if (node["mapping"]) dataset.mapping = reader.String(node["mapping"], path + ".mapping");
        dataset.declared_at = reader.Where(node["mapping"] ? node["mapping"] : node);
        project.datasets.push_back(dataset);
      });
  // A dataset must name a declared source (when any source is declared).
  std::vector<std::string> source_names;
  for (const auto& source : project.sources) source_names.push_back(source.name);
  for (const auto& dataset : project.datasets) {
    if (dataset.source.empty()) continue;
    if (std::find(source_names.begin(), source_names.end(), dataset.source) == source_names.end()) {
      reader.Fail(doc["datasets"][dataset.name]["source"],
                  "'datasets." + dataset.name + ".source' names unknown source '" + dataset.source +
                      "'" + DidYouMean(dataset.source, source_names),
                  "declare it under 'sources:' or fix the name");
    }
  }

  if (auto paths = doc["paths"]) {
    reader.ExpectMap(paths, "paths", kPathKeys);
    for (const auto& entry : paths) {
      auto key = entry.first.as<std::string>();
      project.paths[key] = reader.String(entry.second, "paths." + key);
    }
  }

  if (auto simulate = doc["simulate"]) {
    reader.ExpectMap(simulate, "simulate", kSimulateKeys);
    auto& spec = project.simulate;
    if (simulate["seed"])
      spec.seed = reader.Get<uint64_t>(simulate["seed"], "simulate.seed", "a whole number");
    if (simulate["days"])
      spec.days = reader.Get<int>(simulate["days"], "simulate.days", "a whole number");
    if (simulate["start"]) spec.start = reader.String(simulate["start"], "simulate.start");
    if (simulate["orders"])
      spec.orders = reader.Get<uint64_t>(simulate["orders"], "simulate.orders", "a whole number");
    if (simulate["dirty_rate"])
      spec.dirty_rate = reader.Get<double>(simulate["dirty_rate"], "simulate.dirty_rate",
                                           "a number between 0 and 1");
    if (simulate["realities"])
      spec.realities = reader.Get<double>(simulate["realities"], "simulate.realities",
                                          "a number between 0 and 1");
    if (simulate["out"]) spec.out = reader.String(simulate["out"], "simulate.out");
  }

  if (auto notify = doc["notify"]) {
    reader.ExpectMap(notify, "notify", kNotifyKeys);
    auto& spec = project.notify;
    if (notify["url"]) {
      spec.url = reader.String(notify["url"], "notify.url");
      if (!spec.url.starts_with("http://") && !spec.url.starts_with("https://")) {
        reader.Fail(notify["url"], "'notify.url' must be an http:// or https:// URL",
                    "for example: url: https://hooks.example.com/shoplake");
      }
    }
    if (notify["command"]) spec.command = reader.String(notify["command"], "notify.command");
    if (notify["timeout_seconds"]) {
      spec.timeout_seconds =
          reader.Get<int>(notify["timeout_seconds"], "notify.timeout_seconds", "a whole number");
      if (spec.timeout_seconds <= 0) {
        reader.Fail(notify["timeout_seconds"], "'notify.timeout_seconds' must be positive");
      }
    }
  }

  if (auto duckdb = doc["duckdb"]) {
    reader.ExpectMap(duckdb, "duckdb", kDuckDbKeys);
    ReadDuckDbLimits(reader, duckdb, "duckdb", project.duckdb.all);
    if (auto stages = duckdb["stages"]) {
      reader.ExpectMap(stages, "duckdb.stages", DuckDbStages());
      for (const auto& entry : stages) {
        auto stage = entry.first.as<std::string>();
        reader.ExpectMap(entry.second, "duckdb.stages." + stage, kDuckDbStageKeys);
        ReadDuckDbLimits(reader, entry.second, "duckdb.stages." + stage,
                         project.duckdb.stages[stage]);
      }
    }
  }

  if (auto query = doc["query"]) project.query = ParseQuerySpec(reader, query);
  if (auto sales = doc["sales"]) project.sales = ParseSalesSpec(reader, sales);

  if (auto workflow = doc["workflow"]) {
    reader.ExpectMap(workflow, "workflow", kWorkflowKeys);
    if (auto bindings = workflow["bindings"]) {
      if (!bindings.IsMap()) {
        reader.Fail(bindings, "'workflow.bindings' must be a mapping of variables to resources",
                    "for example: IngestFunctionArn: shoplake:ingest");
      }
      for (const auto& entry : bindings) {
        auto variable = entry.first.as<std::string>();
        auto path = "workflow.bindings." + variable;
        if (!IsVariableName(variable)) {
          reader.Fail(entry.first, "'" + path + "': a variable name is letters, digits and '_'",
                      "write it as the definition does inside ${...}, e.g. IngestFunctionArn");
        }
        auto value = reader.String(entry.second, path);
        if (value.empty()) {
          reader.Fail(entry.second, "'" + path + "' is empty",
                      "bind it to a resource, e.g. shoplake:ingest");
        }
        project.bindings[variable] = value;
      }
    }
  }
  return project;
}

Project LoadProject(const fs::path& file) { return ParseProject(ReadFile(file), file); }

std::optional<fs::path> FindProjectFile(const fs::path& start) {
  fs::path folder = fs::absolute(start);
  for (;;) {
    fs::path candidate = folder / kProjectFileName;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (!folder.has_parent_path() || folder.parent_path() == folder) return std::nullopt;
    folder = folder.parent_path();
  }
}

Project DiscoverProject(const fs::path& start) {
  if (auto file = FindProjectFile(start)) return LoadProject(*file);
  Project project;
  project.root = fs::absolute(start);
  project.paths = DefaultPaths();
  project.bindings = DefaultBindings();
  return project;
}

}  // namespace shoplake
