// The AWS bundle's README.md: what the files are, and the steps before `sam build`.
#include "pipeline/bundle_readme.h"

namespace shoplake::pipeline {

std::string BundleReadme(const nlohmann::ordered_json& document,
                         const std::vector<std::string>& functions) {
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

}  // namespace shoplake::pipeline
