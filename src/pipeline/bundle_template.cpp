// The SAM template completed from the project: bindings, alarms, Glue tables, named queries.
#include "pipeline/bundle_template.h"

#include <cctype>
#include <regex>
#include <set>

#include "catalog/export.h"
#include "common/error.h"
#include "common/files.h"
#include "pipeline/aws_bundle.h"
#include "pipeline/bundle_athena.h"
#include "pipeline/stages.h"
#include "query/sales_model.h"
#include "query/views.h"
#include "transform/transform.h"

namespace shoplake::pipeline {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr const char* kStateMachineType = "AWS::Serverless::StateMachine";
constexpr const char* kFunctionType = "AWS::Serverless::Function";
// Resources of the template the generated parts refer to.
constexpr const char* kRawBucket = "RawBucket";
constexpr const char* kFailureTopic = "FailureTopic";
constexpr const char* kAthenaWorkGroup = "AthenaWorkGroup";
constexpr const char* kLakePrefix = "LakePrefix";

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

}  // namespace

SamTemplate::SamTemplate(fs::path file, ordered_json document)
    : file_(std::move(file)), document_(std::move(document)) {
  if (!document_.is_object() || !document_.contains("Resources") ||
      !document_["Resources"].is_object()) {
    Fail("has no Resources mapping", "start from infra/aws/template.yaml");
  }
}

ordered_json& SamTemplate::Resource(const std::string& name, const std::string& type,
                                    const std::string& why) {
  if (!resources().contains(name) || resources()[name].value("Type", "") != type) {
    Fail("has no " + type + " named " + name + " (" + why + ")",
         "add it under Resources, as infra/aws/template.yaml does");
  }
  return resources()[name];
}

std::string SamTemplate::OnlyOf(const std::string& type) {
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

void SamTemplate::Add(const std::string& name, ordered_json resource) {
  if (resources().contains(name)) {
    Fail("already has a resource named " + name + ", which the renderer generates",
         "remove it from the template: the renderer makes it from the project");
  }
  resources()[name] = std::move(resource);
}

void SamTemplate::Fail(const std::string& message, const std::string& hint) const {
  throw Error(ErrorCode::kConfig, "the SAM template " + message, file_.string(), hint);
}

std::vector<std::string> BindDefinition(SamTemplate& tmpl, const ordered_json& aws_definition,
                                        const std::map<std::string, std::string>& bindings) {
  ordered_json& state_machine =
      tmpl.Resource(tmpl.OnlyOf(kStateMachineType), kStateMachineType, "it runs the pipeline");
  ordered_json substitutions = ordered_json::object();
  std::vector<std::string> functions;
  for (const std::string& variable : Variables(aws_definition)) {
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

void AddErrorAlarms(SamTemplate& tmpl, const std::vector<std::string>& functions) {
  for (const auto& function : functions) {
    tmpl.Add(function + "ErrorsAlarm", LambdaErrorsAlarm(function));
  }
}

// The Glue database and table of each dataset. Returns database name -> resource name.
std::map<std::string, std::string> AddGlueTables(SamTemplate& tmpl, const Project& project,
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

// A named query per view, in the order the views are defined (dependencies first).
void AddNamedQueries(SamTemplate& tmpl, const Project& project,
                     const std::map<std::string, std::string>& databases,
                     std::map<std::string, std::string>& files) {
  const fs::path dir = project.PathOf("views");
  if (!project.sales && !fs::is_directory(dir)) return;
  tmpl.Resource(kAthenaWorkGroup, "AWS::Athena::WorkGroup", "the views' named queries use it");
  for (const auto& view : query::LoadProjectViews(project, dir).views) {
    auto database = databases.find(view.database);
    if (database == databases.end()) {
      throw Error(ErrorCode::kConfig,
                  "view " + view.database + "." + view.name +
                      " is in a database no dataset's mapping creates",
                  view.file, "name it after a mapping's database");
    }
    WarnOfSpellingsAthenaLacks(view.file, view.sql);
    files["views/" + view.name + ".sql"] = AthenaSql(view.sql);
    // The function applies the project's own view files; the sales model's views are in
    // its binary, rendered from shoplake.yaml (which the bundle carries).
    if (fs::is_regular_file(project.root / view.file)) {
      files["function/" + fs::path(view.file).generic_string()] = view.sql;
    }
    tmpl.Add("NamedQuery" + PascalCase(view.name), {{"Type", "AWS::Athena::NamedQuery"},
                                                    {"Properties",
                                                     {{"Name", view.database + "." + view.name},
                                                      {"Description", "shoplake view " + view.file},
                                                      {"Database", Ref(database->second)},
                                                      {"WorkGroup", Ref(kAthenaWorkGroup)},
                                                      {"QueryString", AthenaSql(view.sql)}}}});
  }
}

}  // namespace shoplake::pipeline
