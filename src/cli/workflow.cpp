// `shoplake workflow validate` and `shoplake workflow run`: the Amazon States Language
// interpreter from the command line. `run` prints exactly one JSON object on stdout
// ({"status":"SUCCEEDED","output":...} or {"status":"FAILED","error":...,"cause":...}) and
// exits 0 (succeeded), 1 (the execution failed) or 2 (invalid definition or usage); other
// tools rely on that contract (docs/workflow.md).
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/context.h"
#include "common/error.h"
#include "workflow/builtin_tasks.h"
#include "workflow/definition.h"
#include "workflow/interpreter.h"

namespace shoplake::cli {
namespace {

using workflow::json;

struct WorkflowFlags {
  std::string definition;
  std::string input;
  std::string input_file;
  std::string name;
  bool history = false;
};

std::string ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kUsage, std::string("cannot read the ") + what, path,
                "check the file name");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json ParseJson(const std::string& text, const std::string& where, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::kUsage, std::string(what) + " is not valid JSON: " + e.what(), where);
  }
}

json LoadDefinition(const std::string& path) {
  return ParseJson(ReadFile(path, "definition"), path, "the definition");
}

void PrintErrors(const std::string& path, const std::vector<workflow::ValidationError>& errors) {
  for (const auto& error : errors) fmt::print(stderr, "{}: {}\n", path, error.ToString());
}

void ValidateCommand(const WorkflowFlags& flags) {
  json definition = LoadDefinition(flags.definition);
  auto errors = workflow::Validate(definition);
  if (!errors.empty()) {
    for (const auto& error : errors) fmt::print("{}\n", error.ToString());
    spdlog::error("{}: {} problem(s)", flags.definition, errors.size());
    throw ExitStatus{2};
  }
  fmt::print("{}: valid\n", flags.definition);
}

void RunCommand(const WorkflowFlags& flags) {
  json definition = LoadDefinition(flags.definition);
  auto errors = workflow::Validate(definition);
  if (!errors.empty()) {
    PrintErrors(flags.definition, errors);
    throw Error(ErrorCode::kConfig, "invalid state machine definition", flags.definition,
                "run 'shoplake workflow validate " + flags.definition + "'");
  }
  if (!flags.input.empty() && !flags.input_file.empty()) {
    throw Error(ErrorCode::kUsage, "give --input or --input-file, not both");
  }
  json input = json::object();
  if (!flags.input.empty()) input = ParseJson(flags.input, "--input", "--input");
  if (!flags.input_file.empty()) {
    input = ParseJson(ReadFile(flags.input_file, "input file"), flags.input_file, "the input");
  }
  workflow::StateMachine machine(std::move(definition));
  workflow::TaskRegistry registry;
  workflow::RegisterBuiltinTasks(registry);
  auto unbound = machine.UnboundResources(registry);
  if (!unbound.empty()) {
    PrintErrors(flags.definition, unbound);
    throw Error(ErrorCode::kConfig, "a Task names a resource shoplake has no handler for",
                flags.definition, "use one of the built-in resources (docs/workflow.md)");
  }
  workflow::ExecutionOptions options;
  options.state_machine_name = std::filesystem::path(flags.definition).stem().string();
  options.execution_name = flags.name;
  spdlog::info("running {} ({})", flags.definition, options.state_machine_name);
  workflow::ExecutionResult result = machine.Run(input, registry, options);
  if (flags.history) {
    for (const auto& event : result.history) fmt::print(stderr, "{}\n", event.ToJson().dump());
  }
  fmt::print("{}\n", result.ToJson().dump());
  bool succeeded = result.status == workflow::ExecutionResult::Status::kSucceeded;
  if (succeeded) {
    spdlog::info("execution {} succeeded", result.execution_id);
    return;
  }
  spdlog::error("execution {} failed: {}: {}", result.execution_id, result.error, result.cause);
  throw ExitStatus{1};
}

}  // namespace

void AddWorkflowCommand(CLI::App& app, Context& /*context*/) {
  auto* workflow = app.add_subcommand(
      "workflow", "Validate and run Amazon States Language state machines (Step Functions)");
  workflow->require_subcommand(1);
  workflow->footer("See docs/workflow.md for what the interpreter supports.");
  auto flags = std::make_shared<WorkflowFlags>();

  auto* validate = workflow->add_subcommand(
      "validate",
      "Check a definition; print one problem per line (state and field); exit 2 if any");
  validate->add_option("definition", flags->definition, "The state machine (.asl.json)")
      ->required()
      ->type_name("DEFINITION.json");
  validate->callback([flags] { ValidateCommand(*flags); });

  auto* run = workflow->add_subcommand(
      "run", "Run a definition locally; print one JSON object with the status on stdout");
  run->add_option("definition", flags->definition, "The state machine (.asl.json)")
      ->required()
      ->type_name("DEFINITION.json");
  run->add_option("--input", flags->input, "The execution's input as JSON; default {}")
      ->type_name("JSON");
  run->add_option("--input-file", flags->input_file, "Read the execution's input from FILE")
      ->type_name("FILE");
  run->add_option("--name", flags->name, "The execution's name; default a fresh UUID")
      ->type_name("NAME");
  run->add_flag("--history", flags->history,
                "Print the event history on stderr, one JSON line each");
  run->footer(
      "Exit codes: 0 the execution succeeded, 1 it failed, 2 invalid definition or usage.\n"
      "Built-in resources: shoplake:echo, shoplake:fail, shoplake:flaky, shoplake:sleep.");
  run->callback([flags] { RunCommand(*flags); });
}

}  // namespace shoplake::cli
