// `shoplake deploy --render DIR`: writes the AWS bundle (pipeline/aws_bundle.h) into DIR,
// without any AWS access; `sam build` and `sam deploy` take it from there (docs/aws.md).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "cli/context.h"
#include "common/error.h"
#include "common/files.h"
#include "pipeline/aws_bundle.h"

namespace shoplake::cli {
namespace {

namespace fs = std::filesystem;

struct DeployFlags {
  std::string render;
  std::string template_file;
  bool force = false;
};

// The template to complete: --template, else the project's infra/aws/template.yaml, else
// the one of the shoplake source this binary was built from.
fs::path TemplateFile(Context& context, const DeployFlags& flags) {
  if (!flags.template_file.empty()) return flags.template_file;
  fs::path own = context.project().root / "infra/aws/template.yaml";
  if (fs::is_regular_file(own)) return own;
  return fs::path(SHOPLAKE_SOURCE_DIR) / "infra/aws/template.yaml";
}

void DeployCommand(Context& context, const DeployFlags& flags) {
  const fs::path dir = flags.render;
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw Error(ErrorCode::kUsage, "not a folder", dir.string(), "name a folder to render into");
  }
  // A bundle rendered over another folder's files would deploy whatever else lies there.
  if (fs::is_directory(dir) && !fs::is_empty(dir) && !flags.force) {
    throw Error(ErrorCode::kUsage, "the folder is not empty", dir.string(),
                "render into a new or empty folder, or pass --force to write the bundle's files "
                "over what is there");
  }
  const fs::path template_file = TemplateFile(context, flags);
  if (!fs::is_regular_file(template_file)) {
    throw Error(ErrorCode::kUsage, "no such template", template_file.string(),
                "pass --template FILE, a SAM template like infra/aws/template.yaml");
  }
  auto files = pipeline::RenderAwsBundle(context.project(), template_file);
  for (const auto& [path, bytes] : files) {
    fs::path target = dir / path;
    fs::create_directories(target.parent_path());
    WriteFileAtomically(target, bytes);
  }
  fmt::print("rendered {} files into {}\n", files.size(), dir.string());
  fmt::print(
      "next: add function/bootstrap and layer/lib/libduckdb.so, then sam build && sam "
      "deploy --guided (see {}/README.md)\n",
      dir.string());
}

}  // namespace

void AddDeployCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<DeployFlags>();
  auto* deploy = app.add_subcommand(
      "deploy", "Render the AWS deployment (SAM template, state machine, views), offline");
  deploy->add_option("--render", flags->render, "The folder to write the bundle into")
      ->required()
      ->type_name("DIR");
  deploy
      ->add_option("--template", flags->template_file,
                   "The SAM template to complete; default: infra/aws/template.yaml")
      ->type_name("FILE");
  deploy->add_flag("--force", flags->force, "Write into DIR even when it is not empty");
  deploy->footer(
      "Writes, without any AWS access: template.yaml (the template with the state machine's\n"
      "DefinitionSubstitutions, the Glue tables of pipeline/mappings, the Athena named queries\n"
      "of pipeline/views, Lambda alarms), statemachine/pipeline.asl.json (the pipeline as\n"
      "Step Functions runs it: the ingest a Distributed Map, the failure notice on SNS),\n"
      "views/*.sql, function/ (the project the functions read) and README.md.\n"
      "The same inputs give byte-identical files. Guide: docs/aws.md");
  deploy->callback([&context, flags] { DeployCommand(context, *flags); });
}

}  // namespace shoplake::cli
