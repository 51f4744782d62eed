// `shoplake run`: the project's pipeline (shoplake.yaml's paths.workflow, by default
// pipeline/pipeline.asl.json) run as `shoplake workflow run` runs a definition: with the
// project's bindings, its history recorded, one JSON object on stdout and exit 0, 1 or 2.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/context.h"
#include "cli/workflow_runner.h"

namespace shoplake::cli {

void AddRunCommand(CLI::App& app, Context& context) {
  auto request = std::make_shared<RunRequest>();
  auto* run = app.add_subcommand(
      "run",
      "Run the project's pipeline (ingest, transform, crawl, views, report) as a state "
      "machine, recording its history");
  AddRunFlags(*run, *request);
  run->add_flag("--history", request->history,
                "Also print this run's events on stderr, one JSON line each");
  run->footer(
      "Runs shoplake.yaml's paths.workflow (default pipeline/pipeline.asl.json), its ${...}\n"
      "variables bound by workflow.bindings. Prints one JSON object on stdout:\n"
      "{\"status\":\"SUCCEEDED\",\"output\":...} or {\"status\":\"FAILED\",\"error\":...,"
      "\"cause\":...}.\nExit codes: 0 succeeded, 1 failed, 2 invalid definition or usage. A failed "
      "run is\ncontinued with 'shoplake workflow redrive NAME'. Guide: docs/workflow.md");
  run->callback([&context, request] {
    RunRequest with_definition = *request;
    with_definition.definition = context.project().PathOf("workflow").string();
    RunDefinition(context, with_definition);
  });
}

}  // namespace shoplake::cli
