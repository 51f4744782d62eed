// The AWS bundle: the orchestrator. Each part lives in its own file: the definition for
// AWS (bundle_definition.cpp), the SAM template (bundle_template.cpp), the Athena SQL
// warnings (bundle_athena.cpp), the README (bundle_readme.cpp); YAML is read and written by
// common/yaml_json.h.
#include "pipeline/aws_bundle.h"

#include "common/error.h"
#include "common/files.h"
#include "common/yaml_json.h"
#include "common/yaml_reader.h"
#include "pipeline/bundle_readme.h"
#include "pipeline/bundle_template.h"
#include "report/report.h"

namespace shoplake::pipeline {
namespace {

namespace fs = std::filesystem;

// Where the dashboard's page assets go in the functions' code folder (/var/task on Lambda);
// the template's SHOPLAKE_WEB_DIR must name the same place.
constexpr const char* kBundleWebDir = "web";

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

}  // namespace

std::map<std::string, std::string> RenderAwsBundle(const Project& project,
                                                   const fs::path& template_file) {
  if (!project.file) {
    throw Error(ErrorCode::kUsage, "no shoplake.yaml here or above", fs::current_path().string(),
                "run deploy in a project (or pass --project FILE): the functions need it");
  }
  std::map<std::string, std::string> files;
  YamlReader reader(template_file);
  SamTemplate tmpl(template_file, YamlToJson(reader.Parse(ReadFile(template_file))));

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

  std::vector<std::string> functions = BindDefinition(tmpl, aws, project.bindings);
  AddErrorAlarms(tmpl, functions);
  tmpl.Resource(kProcessedBucket, "AWS::S3::Bucket", "the Glue tables' files are in it");
  auto databases = AddGlueTables(tmpl, project, files);
  AddNamedQueries(tmpl, project, databases, files);

  CopyIntoFunction(project, *project.file, files);
  const fs::path dashboard = project.PathOf("dashboard");
  if (fs::is_regular_file(dashboard)) CopyIntoFunction(project, dashboard, files);
  // With a sales model and no file, the report function renders the dashboard in its binary.
  if (fs::is_regular_file(dashboard) || project.sales) {
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
  files["README.md"] = BundleReadme(tmpl.document(), functions);
  return files;
}

}  // namespace shoplake::pipeline
