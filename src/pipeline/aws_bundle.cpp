// The AWS bundle: the definition rewritten for Step Functions, the template completed from
// the project, and the YAML reading and writing both need.
#include "pipeline/aws_bundle.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "catalog/export.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "common/numbers.h"
#include "common/yaml_reader.h"
#include "pipeline/stages.h"
#include "query/views.h"
#include "report/report.h"
#include "transform/transform.h"

namespace shoplake::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNotifyResource = "shoplake:notify";
constexpr const char* kIngestResource = "shoplake:ingest";
constexpr const char* kStateMachineType = "AWS::Serverless::StateMachine";
constexpr const char* kFunctionType = "AWS::Serverless::Function";
// The bundle's state machine file; the template's DefinitionUri names it.
constexpr const char* kDefinitionFile = "statemachine/pipeline.asl.json";
// Resources of the template the generated parts refer to.
constexpr const char* kRawBucket = "RawBucket";
constexpr const char* kProcessedBucket = "ProcessedBucket";
constexpr const char* kFailureTopic = "FailureTopic";
constexpr const char* kAthenaWorkGroup = "AthenaWorkGroup";
constexpr const char* kLakePrefix = "LakePrefix";
// Where the dashboard's page assets go in the functions' code folder (/var/task on Lambda);
// the template's SHOPLAKE_WEB_DIR must name the same place.
constexpr const char* kBundleWebDir = "web";
// Objects per Distributed Map child: a child is one Lambda invocation, which must copy its
// batch within Lambda's 15 minutes; 100 daily exports of a few MB each take a minute or two.
constexpr int kIngestBatch = 100;
constexpr int kIngestChildren = 10;

// ---- YAML --------------------------------------------------------------------------------

bool FullMatch(const std::string& text, const char* pattern) {
  return std::regex_match(text, std::regex(pattern));
}

ordered_json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (FullMatch(text, "[-+]?[0-9]+")) {
    // Past 64 bits it stays text rather than wrapping; ParseSigned takes no '+'.
    auto whole = ParseSigned(std::string_view(text).substr(text[0] == '+' ? 1 : 0));
    if (whole) return *whole;
    return text;
  }
  if (FullMatch(text, "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?")) {
    return std::stod(text);
  }
  return text;
}

// A string a YAML 1.1 reader would take for a boolean, null, number, date or time.
bool LooksLikeAnotherType(const std::string& text) {
  static const std::set<std::string> kWords = {"y",     "yes",   "n",     "no",   "true",
                                               "false", "on",    "off",   "null", "~",
                                               ".inf",  "-.inf", "+.inf", ".nan"};
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text.empty() || kWords.count(lower)) return true;
  bool starts_like_number = std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' ||
                            text[0] == '+' || text[0] == '.';
  return starts_like_number && FullMatch(text, "[0-9A-Za-z_.:+-]+");
}

void Emit(YAML::Emitter& out, const ordered_json& value) {
  if (value.is_object()) {
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (const auto& [key, member] : value.items()) {
      out << YAML::Key;
      Emit(out, ordered_json(key));
      out << YAML::Value;
      Emit(out, member);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& item : value) Emit(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find('\n') != std::string::npos) {
      out << YAML::Literal << text;
    } else if (LooksLikeAnotherType(text)) {
      out << YAML::DoubleQuoted << text;
    } else {
      out << text;
    }
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    // Numbers as JSON writes them: exact for integers, shortest round trip for the rest.
    out << value.dump();
  }
}

// ---- The definition for AWS ----------------------------------------------------------------

// "${Name}" when `value` is exactly one variable, else "".
std::string WholeVariable(const ordered_json& value) {
  if (!value.is_string()) return "";
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 4 || !text.starts_with("${") || text.back() != '}') return "";
  std::string name = text.substr(2, text.size() - 3);
  return FullMatch(name, "[A-Za-z0-9_]+") ? name : "";
}

// The task resource a Task state's Resource stands for through `bindings`, or "".
std::string BoundResource(const ordered_json& state,
                          const std::map<std::string, std::string>& bindings) {
  if (!state.is_object() || state.value("Type", "") != "Task" || !state.contains("Resource")) {
    return "";
  }
  auto bound = bindings.find(WholeVariable(state["Resource"]));
  return bound == bindings.end() ? "" : bound->second;
}

// Calls `visit(state)` for every state of `machine`, nested Parallel branches and Map
// processors included.
template <typename Visit>
void ForEachState(ordered_json& machine, const Visit& visit) {
  if (!machine.is_object() || !machine.contains("States") || !machine["States"].is_object()) {
    return;
  }
  for (auto& [name, state] : machine["States"].items()) {
    if (!state.is_object()) continue;
    visit(state);
    if (state.contains("Branches") && state["Branches"].is_array()) {
      for (auto& branch : state["Branches"]) ForEachState(branch, visit);
    }
    for (const char* processor : {"ItemProcessor", "Iterator"}) {
      if (state.contains(processor)) ForEachState(state[processor], visit);
    }
  }
}

// Lambda's own failures worth another attempt, as the Step Functions guide recommends
// retrying them on every Lambda task.
ordered_json LambdaRetrier() {
  return {{"ErrorEquals",
           {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"}},
          {"IntervalSeconds", 1},
          {"MaxAttempts", 3},
          {"BackoffRate", 2}};
}

void AddLambdaRetrier(ordered_json& state) {
  if (!state.contains("Retry") || !state["Retry"].is_array())
    state["Retry"] = ordered_json::array();
  state["Retry"].insert(state["Retry"].begin(), LambdaRetrier());
}

// shoplake:notify's message to the failure topic: the same JSON, through SNS.
void PublishToTopic(ordered_json& state) {
  ordered_json parameters = {{"TopicArn", std::string("${") + kFailureTopicVariable + "}"},
                             {"Subject", "shoplake pipeline failure"}};
  const ordered_json old = state.value("Parameters", ordered_json::object());
  if (old.contains("message")) {
    parameters["Message"] = old["message"];
  } else if (old.contains("message.$")) {
    parameters["Message.$"] = old["message.$"];
  } else {
    parameters["Message.$"] = "$";
  }
  state["Resource"] = "arn:aws:states:::sns:publish";
  state["Parameters"] = parameters;
}

// The ingest Task as a Distributed Map over its source's objects in the raw bucket.
ordered_json DistributedIngest(const std::string& name, const ordered_json& task) {
  const ordered_json parameters = task.value("Parameters", ordered_json::object());
  if (!parameters.contains("source.$") || !parameters["source.$"].is_string()) {
    throw Error(ErrorCode::kConfig,
                "state '" + name +
                    "' needs Parameters.\"source.$\" (the path to the source's name) to "
                    "become a Distributed Map over the raw bucket",
                "state '" + name + "'", "give it \"source.$\": \"$.config.source\"");
  }
  const std::string source = parameters["source.$"].get<std::string>();
  const std::string bucket = std::string("${") + kRawBucketVariable + "}";
  ordered_json batch = ordered_json::object();
  for (const auto& [key, value] : parameters.items()) {
    if (key == "source.$") {
      batch["source.$"] = "States.Format('s3://" + bucket + "/{}/', " + source + ")";
      batch["sourceName.$"] = source;
    } else {
      batch[key] = value;
    }
  }
  ordered_json child = {{"Type", "Task"}, {"Resource", task["Resource"]}};
  ordered_json child_parameters = ordered_json::object();
  for (const auto& [key, value] : batch.items()) {
    std::string field = key.ends_with(".$") ? key.substr(0, key.size() - 2) : key;
    child_parameters[field + ".$"] = "$.BatchInput." + field;
  }
  child_parameters["objects.$"] = "$.Items[*].uri";
  child["Parameters"] = child_parameters;
  if (task.contains("Retry")) child["Retry"] = task["Retry"];
  child["End"] = true;

  ordered_json map = {
      {"Type", "Map"},
      {"Comment",
       "Rendered by shoplake deploy from the Task of pipeline.asl.json: one child execution per "
       "batch of the source's objects in the raw bucket, each running the ingest function on "
       "its batch. A child's failure fails the Map with States.ExceedToleratedFailureThreshold: "
       "redrive the execution to rerun the failed children."},
      {"ItemReader",
       {{"Resource", "arn:aws:states:::s3:listObjectsV2"},
        {"Parameters",
         {{"Bucket", bucket}, {"Prefix.$", "States.Format('{}/', " + source + ")"}}}}},
      {"ItemSelector",
       {{"uri.$", "States.Format('s3://" + bucket + "/{}', $$.Map.Item.Value.Key)"}}},
      {"ItemBatcher", {{"MaxItemsPerBatch", kIngestBatch}, {"BatchInput", batch}}},
      {"MaxConcurrency", kIngestChildren},
      // STANDARD children: a batch may take up to Lambda's 15 minutes, past EXPRESS's 5.
      {"ItemProcessor",
       {{"ProcessorConfig", {{"Mode", "DISTRIBUTED"}, {"ExecutionType", "STANDARD"}}},
        {"StartAt", name + "Batch"},
        {"States", {{name + "Batch", child}}}}}};
  for (const char* field :
       {"InputPath", "ResultSelector", "ResultPath", "OutputPath", "Catch", "Next", "End"}) {
    if (task.contains(field)) map[field] = task[field];
  }
  return map;
}

// ---- The template --------------------------------------------------------------------------

std::string PascalCase(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

ordered_json Ref(const std::string& name) { return {{"Ref", name}}; }
ordered_json GetAtt(const std::string& resource, const std::string& attribute) {
  return {{"Fn::GetAtt", {resource, attribute}}};
}
ordered_json Sub(const std::string& text) { return {{"Fn::Sub", text}}; }

// The renderer's view of the template: its file (for errors) and its Resources.
class Template {
 public:
  Template(fs::path file, ordered_json document)
      : file_(std::move(file)), document_(std::move(document)) {
    if (!document_.is_object() || !document_.contains("Resources") ||
        !document_["Resources"].is_object()) {
      Fail("has no Resources mapping", "start from infra/aws/template.yaml");
    }
  }

  ordered_json& resources() { return document_["Resources"]; }
  ordered_json& document() { return document_; }

  //! The resource `name`, which must exist with `type`.
  ordered_json& Resource(const std::string& name, const std::string& type, const std::string& why) {
    if (!resources().contains(name) || resources()[name].value("Type", "") != type) {
      Fail("has no " + type + " named " + name + " (" + why + ")",
           "add it under Resources, as infra/aws/template.yaml does");
    }
    return resources()[name];
  }

  //! The one resource of `type`, by name.
  std::string OnlyOf(const std::string& type) {
    std::vector<std::string> found;
    for (const auto& [name, resource] : resources().items()) {
      if (resource.is_object() && resource.value("Type", "") == type) found.push_back(name);
    }
    if (found.size() != 1) {
      Fail("must have exactly one " + type + ", has " + std::to_string(found.size()),
           "the pipeline is one state machine");
    }
    return found.front();
  }

  void Add(const std::string& name, ordered_json resource) {
    if (resources().contains(name)) {
      Fail("already has a resource named " + name + ", which the renderer generates",
           "remove it from the template: the renderer makes it from the project");
    }
    resources()[name] = std::move(resource);
  }

  [[noreturn]] void Fail(const std::string& message, const std::string& hint) const {
    throw Error(ErrorCode::kConfig, "the SAM template " + message, file_.string(), hint);
  }

 private:
  fs::path file_;
  ordered_json document_;
};

// Every ${Variable} of `definition`, sorted.
std::set<std::string> Variables(const ordered_json& definition) {
  std::set<std::string> found;
  std::string text = definition.dump();
  std::regex variable("\\$\\{([A-Za-z0-9_]+)\\}");
  for (std::sregex_iterator it(text.begin(), text.end(), variable), end; it != end; ++it) {
    found.insert((*it)[1]);
  }
  return found;
}

// DefinitionSubstitutions: each variable of the AWS definition as the template's
// resource. Returns the functions the state machine invokes.
std::vector<std::string> BindDefinition(Template& tmpl, ordered_json& state_machine,
                                        const std::set<std::string>& variables,
                                        const std::map<std::string, std::string>& bindings) {
  ordered_json substitutions = ordered_json::object();
  std::vector<std::string> functions;
  for (const std::string& variable : variables) {
    if (variable == kRawBucketVariable) {
      tmpl.Resource(kRawBucket, "AWS::S3::Bucket", "the ingest's Distributed Map lists it");
      substitutions[variable] = Ref(kRawBucket);
      continue;
    }
    if (variable == kFailureTopicVariable) {
      tmpl.Resource(kFailureTopic, "AWS::SNS::Topic", "the failure notice is published to it");
      substitutions[variable] = Ref(kFailureTopic);
      continue;
    }
    auto bound = bindings.find(variable);
    if (bound == bindings.end() || !bound->second.starts_with("shoplake:") ||
        !variable.ends_with("Arn")) {
      tmpl.Fail("cannot bind ${" + variable + "}: the project binds it to " +
                    (bound == bindings.end() ? std::string("nothing") : bound->second),
                "name a function's ARN as <Function>Arn and bind it to a shoplake task under "
                "workflow.bindings in shoplake.yaml (IngestFunctionArn: shoplake:ingest)");
    }
    const std::string function = variable.substr(0, variable.size() - 3);
    const std::string handler = bound->second.substr(std::string("shoplake:").size());
    ordered_json& resource = tmpl.Resource(function, kFunctionType, "${" + variable + "} names it");
    std::string declared =
        resource.value("Properties", ordered_json::object()).value("Handler", "");
    if (declared != handler) {
      tmpl.Fail(function + " has Handler '" + declared + "' but ${" + variable + "} is bound to " +
                    bound->second,
                "set its Handler to " + handler);
    }
    substitutions[variable] = GetAtt(function, "Arn");
    functions.push_back(function);
  }
  ordered_json& properties = state_machine["Properties"];
  properties["DefinitionUri"] = kDefinitionFile;
  properties["DefinitionSubstitutions"] = substitutions;
  return functions;
}

ordered_json LambdaErrorsAlarm(const std::string& function) {
  return {{"Type", "AWS::CloudWatch::Alarm"},
          {"Properties",
           {{"AlarmDescription", "shoplake: " + function +
                                     " reported errors (its log group has the Shoplake.* error "
                                     "and cause)"},
            {"Namespace", "AWS/Lambda"},
            {"MetricName", "Errors"},
            {"Dimensions", {{{"Name", "FunctionName"}, {"Value", Ref(function)}}}},
            {"Statistic", "Sum"},
            {"Period", 300},
            {"EvaluationPeriods", 1},
            {"Threshold", 1},
            {"ComparisonOperator", "GreaterThanOrEqualToThreshold"},
            {"TreatMissingData", "notBreaching"},
            {"AlarmActions", {Ref(kFailureTopic)}}}}};
}

// Athena finds a table's partitions by projection, from the folder names the transform
// writes (year=2026/month=3, snapshot_date=2026-01-01), so no crawler or MSCK REPAIR has to
// register them. Empty when a key's values cannot be projected (a free-form value).
ordered_json PartitionProjection(const transform::Mapping& mapping) {
  ordered_json parameters = ordered_json::object();
  if (mapping.partition_by.empty()) return parameters;
  parameters["projection.enabled"] = "true";
  for (const auto& p : mapping.partition_by) {
    const std::string key = "projection." + p.name;
    using Part = transform::PartitionSpec::Part;
    if (p.part != Part::kValue) {
      parameters[key + ".type"] = "integer";
      parameters[key + ".range"] = p.part == Part::kYear    ? "2000,2099"
                                   : p.part == Part::kMonth ? "1,12"
                                                            : "1,31";
      continue;
    }
    const transform::ColumnSpec* column = mapping.Column(p.from);
    if (!column || column->type != transform::ColumnType::kDate) return ordered_json::object();
    parameters[key + ".type"] = "date";
    parameters[key + ".format"] = "yyyy-MM-dd";
    parameters[key + ".range"] = "2000-01-01,NOW";
    parameters[key + ".interval"] = "1";
    parameters[key + ".interval.unit"] = "DAYS";
  }
  return parameters;
}

// The Glue database and table of each dataset. Returns database name -> resource name.
std::map<std::string, std::string> AddGlueTables(Template& tmpl, const Project& project,
                                                 std::map<std::string, std::string>& files) {
  std::map<std::string, std::string> databases;
  std::map<std::string, ordered_json> tables;  // by resource name: a stable order
  for (const auto& dataset : project.datasets) {
    const fs::path file = MappingFile(project, dataset);
    const transform::Mapping mapping = transform::LoadMapping(file);
    files["function/" + fs::relative(file, project.root).generic_string()] = ReadFile(file);
    const catalog::Table table = transform::MappedTable(mapping);
    const std::string database = "GlueDatabase" + PascalCase(table.database);
    databases[table.database] = database;
    // GlueTableInput's keys come sorted (nlohmann::json), so the text is stable.
    ordered_json glue = ordered_json::parse(
        catalog::GlueTableInput(
            table, std::string("s3://${") + kProcessedBucket + "}/${" + kLakePrefix + "}")
            .dump());
    ordered_json input = glue["TableInput"];
    input["Description"] = "shoplake dataset '" + dataset.name + "' (" +
                           fs::relative(file, project.root).generic_string() + ")";
    input["Parameters"].erase("shoplake.version");  // the catalog's version; none yet here
    const ordered_json projection = PartitionProjection(mapping);
    for (const auto& [key, value] : projection.items()) {
      input["Parameters"][key] = value;
    }
    input["StorageDescriptor"]["Location"] = Sub(input["StorageDescriptor"]["Location"]);
    tables["GlueTable" + PascalCase(table.database) + PascalCase(table.name)] = {
        {"Type", "AWS::Glue::Table"},
        {"Properties",
         {{"CatalogId", Ref("AWS::AccountId")},
          {"DatabaseName", Ref(database)},
          {"TableInput", input}}}};
  }
  for (const auto& [name, resource] : databases) {
    tmpl.Add(resource,
             {{"Type", "AWS::Glue::Database"},
              {"Properties",
               {{"CatalogId", Ref("AWS::AccountId")},
                {"DatabaseInput",
                 {{"Name", name}, {"Description", "shoplake: the lake's tables in " + name}}}}}});
  }
  for (auto& [name, resource] : tables) tmpl.Add(name, std::move(resource));
  return databases;
}

// DuckDB spellings Athena (Trino) does not take, and what it takes instead: a view that uses
// one renders, but its named query fails there. What no spelling shows (Trino divides
// integers as integers, and decimals as decimals) the views avoid by casting to DOUBLE.
struct NotOnAthena {
  std::regex duckdb;
  const char* shown;   // the DuckDB spelling, as the warning names it
  const char* athena;  // what to write instead
};

const std::vector<NotOnAthena>& NotOnAthenaSpellings() {
  static const std::vector<NotOnAthena> spellings = [] {
    auto rx = [](const char* pattern) { return std::regex(pattern, std::regex::icase); };
    return std::vector<NotOnAthena>{
        {rx(R"(\barg_max\s*\()"), "arg_max(", "max_by("},
        {rx(R"(\barg_min\s*\()"), "arg_min(", "min_by("},
        {rx(R"(::)"), "::", "CAST(value AS type)"},
        {rx(R"(\bstrftime\s*\()"), "strftime(", "date_format("},
        {rx(R"(\bqualify\b)"), "QUALIFY", "a WHERE on the window's column, in an outer query"},
        {rx(R"(\bilike\b)"), "ILIKE", "lower(value) LIKE"},
        {rx(R"(\*\s*exclude\b)"), "* EXCLUDE", "the columns, named"},
        {rx(R"(\blist_\w+\s*\()"), "list_...(", "the array functions (array_*, transform, filter)"},
        {rx(R"(\bstruct_pack\s*\()"), "struct_pack(", "CAST(ROW(...) AS ROW(...))"},
    };
  }();
  return spellings;
}

// Warns, at file:line, of each DuckDB spelling in a view that Athena would refuse.
void WarnOfSpellingsAthenaLacks(const std::string& file, const std::string& text) {
  std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line(lines[i].substr(0, lines[i].find("--")));  // a comment may name anything
    for (const auto& s : NotOnAthenaSpellings()) {
      if (std::regex_search(line, s.duckdb)) {
        spdlog::warn(
            "{}:{}: '{}' is DuckDB's; Athena would refuse this view's named query: write {}", file,
            i + 1, s.shown, s.athena);
      }
    }
  }
}

// A named query per view, in the order the views are defined (dependencies first).
void AddNamedQueries(Template& tmpl, const Project& project,
                     const std::map<std::string, std::string>& databases,
                     std::map<std::string, std::string>& files) {
  const fs::path dir = project.PathOf("views");
  if (!fs::is_directory(dir)) return;
  tmpl.Resource(kAthenaWorkGroup, "AWS::Athena::WorkGroup", "the views' named queries use it");
  for (const auto& view : query::LoadViews(dir, project.root)) {
    auto database = databases.find(view.database);
    if (database == databases.end()) {
      throw Error(ErrorCode::kConfig,
                  "view " + view.database + "." + view.name +
                      " is in a database no dataset's mapping creates",
                  view.file, "name it after a mapping's database");
    }
    const std::string text = ReadFile(project.root / view.file);
    WarnOfSpellingsAthenaLacks(view.file, text);
    files["views/" + fs::path(view.file).filename().string()] = text;
    files["function/" + fs::path(view.file).generic_string()] = text;
    tmpl.Add("NamedQuery" + PascalCase(view.name), {{"Type", "AWS::Athena::NamedQuery"},
                                                    {"Properties",
                                                     {{"Name", view.database + "." + view.name},
                                                      {"Description", "shoplake view " + view.file},
                                                      {"Database", Ref(database->second)},
                                                      {"WorkGroup", Ref(kAthenaWorkGroup)},
                                                      {"QueryString", view.sql}}}});
  }
}

// A project file copied into the functions' code folder, at its place under the root.
void CopyIntoFunction(const Project& project, const fs::path& file,
                      std::map<std::string, std::string>& files) {
  std::string relative = fs::relative(file, project.root).generic_string();
  if (relative.starts_with("..")) {
    throw Error(ErrorCode::kConfig, "the functions need this file, which is outside the project",
                file.string(), "move it under " + project.root.string());
  }
  files["function/" + relative] = ReadFile(file);
}

std::string Readme(const ordered_json& document, const std::vector<std::string>& functions) {
  std::string out =
      "# shoplake on AWS: the deployable bundle\n\n"
      "Rendered by `shoplake deploy --render`; render again rather than editing. The guide is\n"
      "docs/aws.md in the shoplake source.\n\n"
      "| file | what |\n|---|---|\n"
      "| template.yaml | the SAM template: buckets, functions, state machine, Glue, Athena, "
      "alarms |\n"
      "| statemachine/pipeline.asl.json | the pipeline as Step Functions runs it |\n"
      "| views/*.sql | the views the Athena named queries hold |\n"
      "| function/ | the functions' code folder: the project, and web/ (the dashboard's page "
      "assets); add `bootstrap` |\n"
      "| layer/lib/ | add the shared libraries here: libduckdb.so and what provided.al2023 "
      "lacks |\n\n"
      "## Before `sam build`\n\n"
      "Add `function/bootstrap` (the shoplake binary) and `layer/lib/` as docs/aws.md, \"Build "
      "the binary for provided.al2023\", says; then:\n\n"
      "```sh\n"
      "sam build && sam deploy --guided\n"
      "```\n\n"
      "## Functions\n\n";
  for (const auto& function : functions) out += "- " + function + "\n";
  out += "\n## Parameters\n\n| name | default | description |\n|---|---|---|\n";
  if (document.contains("Parameters") && document["Parameters"].is_object()) {
    for (const auto& [name, parameter] : document["Parameters"].items()) {
      std::string value = parameter.contains("Default") ? parameter["Default"].dump() : "";
      out += "| " + name + " | " + value + " | " + parameter.value("Description", "") + " |\n";
    }
  }
  return out;
}

}  // namespace

ordered_json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      ordered_json out = ordered_json::object();
      for (const auto& pair : node) out[pair.first.Scalar()] = YamlToJson(pair.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      ordered_json out = ordered_json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags a quoted scalar "!" and a plain one "?".
      return node.Tag() == "!" ? ordered_json(node.Scalar()) : PlainScalar(node.Scalar());
    default:
      return nullptr;
  }
}

std::string EmitYaml(const ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetBoolFormat(YAML::TrueFalseBool);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

ordered_json AwsDefinition(const ordered_json& definition,
                           const std::map<std::string, std::string>& bindings) {
  ordered_json aws = definition;
  // The ingest, at the top level only: a Distributed Map cannot run inside another's
  // inline iterations, and the pipeline ingests once per execution.
  if (aws.contains("States") && aws["States"].is_object()) {
    for (auto& [name, state] : aws["States"].items()) {
      if (BoundResource(state, bindings) == kIngestResource) state = DistributedIngest(name, state);
    }
  }
  // Then every Task, the ingest's child included.
  ForEachState(aws, [&](ordered_json& state) {
    const std::string resource = BoundResource(state, bindings);
    if (resource == kNotifyResource) {
      PublishToTopic(state);
    } else if (resource.starts_with("shoplake:")) {
      AddLambdaRetrier(state);
    }
  });
  if (aws.contains("Comment") && aws["Comment"].is_string()) {
    aws["Comment"] = aws["Comment"].get<std::string>() +
                     " Rendered for AWS by shoplake deploy: the ingest a Distributed Map over "
                     "the raw bucket, the failure notice an SNS publish.";
  }
  return aws;
}

std::map<std::string, std::string> RenderAwsBundle(const Project& project,
                                                   const fs::path& template_file) {
  if (!project.file) {
    throw Error(ErrorCode::kUsage, "no shoplake.yaml here or above", fs::current_path().string(),
                "run deploy in a project (or pass --project FILE): the functions need it");
  }
  std::map<std::string, std::string> files;
  YamlReader reader(template_file);
  Template tmpl(template_file, YamlToJson(reader.Parse(ReadFile(template_file))));

  const fs::path definition_file = project.PathOf("workflow");
  ordered_json definition;
  try {
    definition = ordered_json::parse(ReadFile(definition_file));
  } catch (const ordered_json::parse_error& e) {
    throw Error(ErrorCode::kConfig, std::string("the definition is not valid JSON: ") + e.what(),
                definition_file.string(), "run 'shoplake workflow validate' on it");
  }
  const ordered_json aws = AwsDefinition(definition, project.bindings);
  files[kDefinitionFile] = aws.dump(2) + "\n";

  ordered_json& state_machine =
      tmpl.Resource(tmpl.OnlyOf(kStateMachineType), kStateMachineType, "it runs the pipeline");
  std::vector<std::string> functions =
      BindDefinition(tmpl, state_machine, Variables(aws), project.bindings);
  for (const auto& function : functions) {
    tmpl.Add(function + "ErrorsAlarm", LambdaErrorsAlarm(function));
  }
  tmpl.Resource(kProcessedBucket, "AWS::S3::Bucket", "the Glue tables' files are in it");
  auto databases = AddGlueTables(tmpl, project, files);
  AddNamedQueries(tmpl, project, databases, files);

  CopyIntoFunction(project, *project.file, files);
  if (const fs::path dashboard = project.PathOf("dashboard"); fs::is_regular_file(dashboard)) {
    CopyIntoFunction(project, dashboard, files);
    // The page's chart runtime and script, which the report function inlines: the template
    // points SHOPLAKE_WEB_DIR at them (kBundleWebDir).
    for (auto& [relative, bytes] : report::WebAssets::Files(report::WebDir())) {
      files[std::string("function/") + kBundleWebDir + "/" + relative] = std::move(bytes);
    }
  }
  files["template.yaml"] = "# Rendered by `shoplake deploy --render` from " +
                           template_file.filename().string() + " and the project " + project.name +
                           ": render again rather than editing (docs/aws.md).\n" +
                           EmitYaml(tmpl.document());
  files["README.md"] = Readme(tmpl.document(), functions);
  return files;
}

}  // namespace shoplake::pipeline
