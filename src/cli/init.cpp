// `shoplake init EXPORTS`: a new project from a folder (or file) of a shop's CSV exports,
// as `dbt init` starts a project: shoplake.yaml with a file:// source and one dataset per
// export, a drafted mapping per dataset (transform/draft.h), the pipeline definition and an
// overview dashboard, or the sales model (transform/sales_draft.h) that the shipped dashboard
// reads. `shoplake run` then loads it; the drafts say what a person should check before
// trusting the numbers.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "common/yaml_json.h"
#include "db/duckdb.h"
#include "transform/draft.h"

namespace shoplake::cli {
namespace {

namespace fs = std::filesystem;

struct InitFlags {
  std::string exports;
  std::string dir = ".";
  std::string name;
  bool force = false;
};

// A dataset: the files of one export, found under the source folder.
struct Export {
  std::string dataset;
  std::string pattern;  //!< glob under the source folder
  fs::path first;       //!< the file the mapping is drafted from
  size_t files = 0;
};

bool IsCsv(const fs::path& path) {
  std::string ext = Lower(path.extension().string());
  return ext == ".csv" || ext == ".txt" || ext == ".tsv";
}

// The exports under `folder`: each subfolder's CSV files are one dataset (orders/*.csv, as
// a shop drops a file a day), each CSV file at the top one of its own.
std::vector<Export> FindExports(const fs::path& folder) {
  std::map<std::string, Export> found;
  std::vector<fs::directory_entry> entries(fs::directory_iterator(folder), {});
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") || name.starts_with("_")) continue;
    if (entry.is_regular_file() && IsCsv(entry.path())) {
      Export e{transform::SnakeCase(entry.path().stem().string()), name, entry.path(), 1};
      found.emplace(e.dataset, e);
    } else if (entry.is_directory()) {
      std::vector<fs::path> files;
      for (const auto& f : fs::directory_iterator(entry.path())) {
        if (f.is_regular_file() && IsCsv(f.path())) files.push_back(f.path());
      }
      if (files.empty()) continue;
      std::sort(files.begin(), files.end());
      std::string ext = files.front().extension().string();
      Export e{transform::SnakeCase(name), name + "/*" + ext, files.front(), files.size()};
      found.emplace(e.dataset, e);
    }
  }
  std::vector<Export> out;
  for (auto& [name, e] : found) out.push_back(std::move(e));
  return out;
}

std::string ProjectYaml(const std::string& name, const std::string& uri,
                        const std::vector<Export>& exports, const transform::SalesModel& sales) {
  nlohmann::ordered_json project = {{"name", name},
                                    {"lake", "lake"},
                                    {"sources", {{"exports", {{"uri", uri}}}}},
                                    {"datasets", nlohmann::ordered_json::object()}};
  for (const auto& e : exports) {
    project["datasets"][e.dataset] = {{"source", "exports"},
                                      {"pattern", e.pattern},
                                      {"mapping", "pipeline/mappings/" + e.dataset + ".yaml"}};
  }
  return "# Written by `shoplake init` from " + uri +
         ". `shoplake run` ingests the exports into the lake\n"
         "# beside this file, transforms each dataset with its mapping (pipeline/mappings/: "
         "review\n# them first), crawls, and renders the dashboard.\n" +
         EmitYaml(project) + (sales.roles.empty() ? "" : "\n" + transform::SalesYaml(sales));
}

// The shipped pipeline definition (pipeline/pipeline.asl.json of shoplake's source, as
// `deploy` reads its template), set to this project's source and datasets.
std::string PipelineDefinition(const std::vector<Export>& exports) {
  fs::path shipped = fs::path(SHOPLAKE_SOURCE_DIR) / "pipeline" / "pipeline.asl.json";
  nlohmann::ordered_json definition = nlohmann::ordered_json::parse(ReadFile(shipped));
  auto& defaults = definition["States"]["Configure"]["Parameters"]["defaults"];
  defaults["source"] = "exports";
  defaults["dimensions"] = nlohmann::ordered_json::array();
  defaults["facts"] = nlohmann::ordered_json::array();
  for (const auto& e : exports) defaults["facts"].push_back(e.dataset);
  return definition.dump(2) + "\n";
}

// A first dashboard: how many rows each table holds. The sales panels come with the sales
// model (docs/report.md); this one works on any data.
std::string OverviewDashboard(const std::string& database, const std::vector<Export>& exports) {
  std::string sql;
  nlohmann::ordered_json tiles = nlohmann::ordered_json::array();
  for (const auto& e : exports) {
    // Quoted: a dataset may be named like a keyword (order, group).
    sql += fmt::format("{}(SELECT count(*) FROM {}.{}) AS {}",
                       sql.empty() ? "SELECT " : ",\n       ", db::QuoteIdentifier(database),
                       db::QuoteIdentifier(e.dataset), db::QuoteIdentifier(e.dataset));
    tiles.push_back({{"field", e.dataset}, {"label", e.dataset}, {"format", "integer"}});
  }
  nlohmann::ordered_json dashboard = {{"title", database},
                                      {"panels",
                                       {{{"id", "rows"},
                                         {"type", "kpi"},
                                         {"title", "Rows per table"},
                                         {"sql", sql},
                                         {"tiles", tiles}}}}};
  return "# Written by `shoplake init`: the rows of each table. Add panels (docs/report.md).\n" +
         EmitYaml(dashboard);
}

void Init(const InitFlags& flags) {
  fs::path exports = fs::absolute(flags.exports).lexically_normal();
  if (!exports.has_filename()) exports = exports.parent_path();
  if (!fs::exists(exports)) {
    throw Error(ErrorCode::kNotFound, "no such file or folder", exports.string(),
                "give the folder (or file) of the shop's CSV exports");
  }
  fs::path dir = fs::absolute(flags.dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "/srv/shop/" names the folder shop
  if (fs::exists(dir / "shoplake.yaml") && !flags.force) {
    throw Error(ErrorCode::kConflict, "a project is already there",
                (dir / "shoplake.yaml").string(),
                "choose another --dir, or pass --force to write over it");
  }
  fs::path folder = fs::is_directory(exports) ? exports : exports.parent_path();
  std::vector<Export> found;
  if (fs::is_directory(exports)) {
    found = FindExports(exports);
  } else {
    found.push_back(
        {transform::SnakeCase(exports.stem().string()), exports.filename().string(), exports, 1});
  }
  if (found.empty()) {
    throw Error(ErrorCode::kNotFound, "no CSV files in it", exports.string(),
                "point init at the folder holding the exports (*.csv, or a subfolder per export)");
  }
  std::string name =
      transform::SnakeCase(flags.name.empty() ? dir.filename().string() : flags.name);

  // Draft everything first: a file that cannot be read leaves no half-written project.
  std::vector<std::pair<Export, transform::DraftMapping>> drafts;
  for (const auto& e : found) {
    drafts.emplace_back(e, transform::DraftMappingFor(e.first.string(), e.dataset, name));
  }
  std::vector<transform::DraftMapping> mappings;
  for (const auto& [e, draft] : drafts) mappings.push_back(draft);
  transform::SalesModel sales = transform::ProposeSalesModel(mappings);
  std::string uri = "file://" + folder.string();
  for (const auto& [e, draft] : drafts) {
    WriteFileAtomically(dir / "pipeline" / "mappings" / (e.dataset + ".yaml"),
                        transform::MappingYaml(draft, e.first.string()));
  }
  WriteFileAtomically(dir / "pipeline" / "pipeline.asl.json", PipelineDefinition(found));
  // With a sales model the shipped dashboard is the project's: a file here would override it.
  if (sales.roles.empty()) {
    WriteFileAtomically(dir / "pipeline" / "dashboard.yaml", OverviewDashboard(name, found));
  }
  fs::create_directories(dir / "pipeline" / "views");
  WriteFileAtomically(dir / "shoplake.yaml", ProjectYaml(name, uri, found, sales));

  fmt::print("wrote {} (project {}) with {} dataset{} from {}\n", (dir / "shoplake.yaml").string(),
             name, found.size(), found.size() == 1 ? "" : "s", uri);
  for (const auto& [e, draft] : drafts) {
    fmt::print("\n{} ({} file{}, {}): pipeline/mappings/{}.yaml\n", e.dataset, e.files,
               e.files == 1 ? "" : "s", e.pattern, e.dataset);
    fmt::print("  {} columns, {} rows read{}; encoding {}, delimiter '{}', {}\n",
               draft.columns.size(), draft.sampled_rows,
               draft.whole_file ? " (the whole file)" : "", draft.encoding, draft.delimiter,
               draft.header ? "a header line" : "no header");
    for (const auto& check : draft.checks) fmt::print("  check: {}\n", check);
  }
  if (sales.roles.empty()) {
    fmt::print(
        "\nsales model: none proposed: {}; pipeline/dashboard.yaml shows the rows per "
        "table until a `sales:` section names the roles (docs/bring-your-own-data.md)\n",
        sales.why_none);
  } else {
    fmt::print("\nsales model: {}\n", transform::SalesSummary(sales));
    fmt::print(
        "  written to shoplake.yaml (sales:); the shipped analytics views and dashboard "
        "read it\n");
    for (const auto& check : sales.checks) fmt::print("  check: {}\n", check);
  }
  fmt::print("\nnext: review the mappings{}, then `shoplake run`{}\n",
             sales.roles.empty() ? "" : " and the sales model",
             dir == fs::current_path() ? "" : " in " + dir.string());
}

}  // namespace

void AddInitCommand(CLI::App& app, Context& /*context*/) {
  auto* init = app.add_subcommand(
      "init", "Start a project from a folder of CSV exports: shoplake.yaml and drafted mappings");
  init->footer(
      "Each subfolder of EXPORTS (orders/2026-01-01.csv, ...) is one dataset, each CSV file at\n"
      "its top one of its own. A mapping is drafted from each dataset's first file: encoding,\n"
      "delimiter, header, types (decimals at the data's scale), date formats (M/D/YYYY too),\n"
      "snake_case names with the header as source, and a primary key only when the data shows\n"
      "one. The sales model (shoplake.yaml's sales:) is proposed from the columns' names and\n"
      "values. Review both, then `shoplake run`. Guide: docs/bring-your-own-data.md");
  auto flags = std::make_shared<InitFlags>();
  init->add_option("EXPORTS", flags->exports, "Folder (or one file) of the shop's CSV exports")
      ->required();
  init->add_option("--dir", flags->dir, "Where to write the project (default: here)")
      ->type_name("DIR");
  init->add_option("--name", flags->name, "Project and database name (default: the folder's)")
      ->type_name("NAME");
  init->add_flag("--force", flags->force, "Write over an existing project's files");
  init->callback([flags] { Init(*flags); });
}

}  // namespace shoplake::cli
