// `shoplake workflow validate|run|list|describe|history|redrive`: the Amazon States Language
// interpreter from the command line, with its executions recorded in the lake's catalog
// file. `run` (and `redrive`) print exactly one JSON object on stdout
// ({"status":"SUCCEEDED","output":...} or {"status":"FAILED","error":...,"cause":...}) and
// exit 0 (succeeded), 1 (the execution failed or was stopped) or 2 (invalid definition or
// usage); other tools rely on that contract (docs/workflow.md). SIGINT and SIGTERM stop the
// execution: it ends ABORTED, recorded, instead of staying RUNNING forever.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>
#include <thread>

#include "cli/signals.h"
#include "cli/workflow_runner.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "pipeline/tasks.h"
#include "workflow/builtin_tasks.h"
#include "workflow/definition.h"
#include "workflow/history.h"
#include "workflow/interpreter.h"
#include "workflow/notify_task.h"
#include "workflow/substitution.h"

namespace shoplake::cli {
namespace {

using workflow::json;

struct WorkflowFlags {
  RunRequest run;  //!< validate and run; redrive uses run.history
  std::string id;  //!< an execution's ARN or name
  std::string format = "table";
  size_t limit = 20;
};

std::string ReadFileFor(const std::string& path, const char* what) {
  try {
    return ReadFile(path);
  } catch (const Error& e) {
    throw Error(ErrorCode::kUsage, std::string("cannot read the ") + what + ": " + e.message(),
                path, "check the file name");
  }
}

json ParseJson(const std::string& text, const std::string& where, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::kUsage, std::string(what) + " is not valid JSON: " + e.what(), where);
  }
}

void PrintErrors(const std::string& path, const std::vector<workflow::ValidationError>& errors) {
  for (const auto& error : errors) fmt::print(stderr, "{}: {}\n", path, error.ToString());
}

//! A definition file, parsed, validated and ready to run with shoplake's resources.
struct LoadedMachine {
  std::string path;    //!< absolute
  std::string sha256;  //!< of the bytes parsed
  std::unique_ptr<workflow::StateMachine> machine;
  workflow::TaskRegistry registry;
};

// The definition in `path` with the project's bindings substituted (SAM's
// DefinitionSubstitutions): the problems, unbound variables first, then Validate()'s.
json BoundDefinition(Context& context, const std::string& path, const std::string& text,
                     std::vector<workflow::ValidationError>& errors) {
  json definition = workflow::SubstituteVariables(ParseJson(text, path, "the definition"),
                                                  context.project().bindings, errors);
  auto invalid = workflow::Validate(definition);
  errors.insert(errors.end(), invalid.begin(), invalid.end());
  return definition;
}

LoadedMachine LoadMachine(Context& context, const std::string& path) {
  LoadedMachine loaded;
  loaded.path = std::filesystem::absolute(path).lexically_normal().string();
  const std::string text = ReadFileFor(path, "definition");
  loaded.sha256 = HexEncode(Sha256(text));
  std::vector<workflow::ValidationError> errors;
  json definition = BoundDefinition(context, path, text, errors);
  if (!errors.empty()) {
    PrintErrors(path, errors);
    throw Error(ErrorCode::kConfig, "invalid state machine definition", path,
                "run 'shoplake workflow validate " + path + "'");
  }
  loaded.machine = std::make_unique<workflow::StateMachine>(std::move(definition));
  RegisterAllTasks(context, loaded.registry);
  auto unbound = loaded.machine->UnboundResources(loaded.registry);
  if (!unbound.empty()) {
    PrintErrors(path, unbound);
    throw Error(
        ErrorCode::kConfig, "a Task names a resource shoplake has no handler for", path,
        "use one of shoplake's resources, or bind the variable to one under workflow.bindings "
        "in shoplake.yaml (docs/workflow.md)");
  }
  return loaded;
}

// While it lives, SIGINT and SIGTERM stop `stop`'s execution instead of killing the process:
// the execution ends ABORTED, its tasks cancelled and waited for, and its end recorded.
class StopOnSignal {
 public:
  explicit StopOnSignal(workflow::ExecutionStop& stop)
      : watcher_([this, &stop] {
          while (!done_.load()) {
            auto signal = signals_.WaitFor(std::chrono::milliseconds(50));
            if (!signal) continue;
            const char* name = *signal == SIGINT ? "SIGINT" : "SIGTERM";
            if (stop.requested()) {
              // A task that does not watch its cancellation (a transform) runs to its end;
              // a second signal does not wait for it. The history's next reader finds the
              // execution's process gone and marks it ABORTED.
              spdlog::error("second {}: exiting without waiting for the running task", name);
              std::_Exit(128 + *signal);
            }
            spdlog::warn("{}: stopping the execution (its running tasks are cancelled)", name);
            stop.Request(std::string("stopped by ") + name +
                         ": the process running the execution was asked to stop");
          }
        }) {}
  ~StopOnSignal() {
    done_.store(true);
    watcher_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  BlockedStopSignals signals_;  // first: the execution's threads inherit the mask
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

// Runs (or redrives) with the history recorded, then keeps the stdout contract: one JSON
// object, and the exit code 0 or 1.
void RunAndReport(LoadedMachine& loaded, const json& input, workflow::ExecutionOptions options,
                  workflow::ExecutionHistory& history, bool print_events) {
  workflow::ExecutionRecord definition;
  definition.state_machine = options.state_machine_name;
  definition.definition_path = loaded.path;
  definition.definition_sha256 = loaded.sha256;
  workflow::HistoryRecorder recorder(history, std::move(definition));
  options.listener = &recorder;
  workflow::ExecutionStop stop;
  options.stop = &stop;
  workflow::ExecutionResult result;
  {
    StopOnSignal stop_on_signal(stop);
    result = loaded.machine->Run(input, loaded.registry, options);
  }
  if (print_events) {
    for (const auto& event : result.history) fmt::print(stderr, "{}\n", event.ToJson().dump());
  }
  fmt::print("{}\n", result.ToJson().dump());
  std::fflush(stdout);
  if (recorder.failure()) {
    spdlog::error("execution {} is not fully recorded in {}: {}", result.execution_id,
                  history.path(), recorder.failure()->message());
  }
  if (result.status == workflow::ExecutionResult::Status::kSucceeded) {
    spdlog::info("execution {} succeeded", result.execution_id);
    return;
  }
  spdlog::error(
      "execution {} {} in state '{}': {}: {}", result.execution_id,
      result.status == workflow::ExecutionResult::Status::kAborted ? "was stopped" : "failed",
      result.failed_state, result.error, result.cause);
  spdlog::info("after fixing the cause: shoplake workflow redrive {}", result.execution_name);
  throw ExitStatus{1};
}

void ValidateCommand(Context& context, const WorkflowFlags& flags) {
  const std::string& path = flags.run.definition;
  std::vector<workflow::ValidationError> errors;
  json definition = BoundDefinition(context, path, ReadFileFor(path, "definition"), errors);
  if (errors.empty()) {
    // What run refuses, validate refuses: a Task whose resource has no handler here.
    workflow::StateMachine machine(std::move(definition));
    workflow::TaskRegistry registry;
    RegisterAllTasks(context, registry);
    errors = machine.UnboundResources(registry);
  }
  if (!errors.empty()) {
    for (const auto& error : errors) fmt::print("{}\n", error.ToString());
    spdlog::error("{}: {} problem(s)", path, errors.size());
    throw ExitStatus{2};
  }
  fmt::print("{}: valid\n", path);
}

}  // namespace

void RegisterAllTasks(Context& context, workflow::TaskRegistry& registry) {
  workflow::RegisterBuiltinTasks(registry);
  workflow::RegisterNotifyTask(registry, context.project().notify);
  pipeline::RegisterPipelineTasks(registry, context.workspace());
}

void AddRunFlags(CLI::App& command, RunRequest& request) {
  command.add_option("--input", request.input, "The execution's input as JSON; default {}")
      ->type_name("JSON");
  command.add_option("--input-file", request.input_file, "Read the execution's input from FILE")
      ->type_name("FILE");
  command
      .add_option("--name", request.name,
                  "The execution's name, unique per state machine; default a fresh UUID")
      ->type_name("NAME");
}

void RunDefinition(Context& context, const RunRequest& request) {
  LoadedMachine loaded = LoadMachine(context, request.definition);
  if (!request.input.empty() && !request.input_file.empty()) {
    throw Error(ErrorCode::kUsage, "give --input or --input-file, not both");
  }
  json input = json::object();
  if (!request.input.empty()) input = ParseJson(request.input, "--input", "--input");
  if (!request.input_file.empty()) {
    input =
        ParseJson(ReadFileFor(request.input_file, "input file"), request.input_file, "the input");
  }
  workflow::ExecutionOptions options;
  options.state_machine_name = std::filesystem::path(request.definition).stem().string();
  options.execution_name = request.name;
  workflow::ExecutionHistory history(context.catalog_path(lake::CatalogFile::Access::kWrite));
  // Step Functions refuses a second execution of the same name (ExecutionAlreadyExists):
  // the ARN is what list, describe, history and redrive find it by.
  if (!request.name.empty() &&
      history.Find(workflow::ExecutionArn(options.state_machine_name, request.name))) {
    throw Error(ErrorCode::kUsage,
                "state machine '" + options.state_machine_name +
                    "' already has an execution named '" + request.name + "'",
                history.path(),
                "choose another --name, or drop it for a fresh one; a failed execution can be "
                "continued with 'shoplake workflow redrive " +
                    request.name + "'");
  }
  spdlog::info("running {} ({}), history in {}", request.definition, options.state_machine_name,
               history.path());
  RunAndReport(loaded, input, std::move(options), history, request.history);
}

namespace {

void RedriveCommand(Context& context, const WorkflowFlags& flags) {
  workflow::ExecutionHistory history(context.catalog_path(lake::CatalogFile::Access::kWrite));
  workflow::ExecutionRecord execution = workflow::ResolveExecution(history, flags.id);
  if (auto refusal = workflow::RedriveRefusal(execution)) {
    throw Error(ErrorCode::kUsage, "cannot redrive execution " + execution.arn + ": " + *refusal,
                history.path(), "'shoplake workflow describe " + flags.id + "' shows it");
  }
  LoadedMachine loaded = LoadMachine(context, execution.definition_path);
  workflow::ExecutionOptions options;
  options.state_machine_name = execution.state_machine;
  options.execution_name = execution.name;
  options.redrive = workflow::RedrivePointOf(execution, history.Events(execution.arn));
  spdlog::info("redriving {} from state '{}' (redrive {})", execution.arn, execution.failed_state,
               options.redrive->redrive_count);
  RunAndReport(loaded, execution.input, std::move(options), history, flags.run.history);
}

// "850ms", "12.3s", "4m05s", "2h03m".
std::string Duration(const workflow::ExecutionRecord& e) {
  auto start = workflow::ParseTimestamp(e.start_date);
  auto stop = workflow::ParseTimestamp(e.stop_date);
  if (!start || !stop) return "-";
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*stop - *start).count();
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  long long s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

// A table column's width: its header's or its widest cell's.
template <typename Rows, typename Cell>
size_t ColumnWidth(const Rows& rows, std::string_view header, Cell cell) {
  size_t width = header.size();
  for (const auto& row : rows) width = std::max(width, cell(row).size());
  return width;
}

void ListCommand(Context& context, const WorkflowFlags& flags) {
  workflow::ExecutionHistory history(context.catalog_path(lake::CatalogFile::Access::kRead));
  auto executions = history.List(flags.limit);
  if (flags.format == "json") {
    json out = json::array();
    for (const auto& e : executions) {
      json row = {{"executionArn", e.arn},
                  {"stateMachineArn", workflow::StateMachineArn(e.state_machine)},
                  {"name", e.name},
                  {"status", e.status},
                  {"startDate", e.start_date},
                  {"redriveCount", e.redrive_count}};
      if (!e.stop_date.empty()) row["stopDate"] = e.stop_date;
      out.push_back(std::move(row));
    }
    fmt::print("{}\n", json{{"executions", out}}.dump(1));
    return;
  }
  if (executions.empty()) {
    fmt::print("no executions recorded in {}: run one with shoplake workflow run\n",
               history.path());
    return;
  }
  size_t name_width = ColumnWidth(executions, "execution", [](const auto& e) { return e.name; });
  size_t machine_width =
      ColumnWidth(executions, "state machine", [](const auto& e) { return e.state_machine; });
  constexpr const char* kLine = "{:<{}}  {:<{}}  {:<9}  {:<24}  {:>8}  {}\n";
  fmt::print(kLine, "execution", name_width, "state machine", machine_width, "status", "started",
             "duration", "redrives");
  for (const auto& e : executions) {
    fmt::print(kLine, e.name, name_width, e.state_machine, machine_width, e.status, e.start_date,
               Duration(e), e.redrive_count);
  }
}

void DescribeCommand(Context& context, const WorkflowFlags& flags) {
  workflow::ExecutionHistory history(context.catalog_path(lake::CatalogFile::Access::kRead));
  workflow::ExecutionRecord execution = workflow::ResolveExecution(history, flags.id);
  json out = execution.ToJson();
  auto refusal = workflow::RedriveRefusal(execution);
  out["redriveStatus"] = refusal ? "NOT_REDRIVABLE" : "REDRIVABLE";
  if (refusal) out["redriveStatusReason"] = *refusal;
  fmt::print("{}\n", out.dump(2));
}

// One line of a table cell: the details as compact JSON, cut to `width`.
std::string Excerpt(const json& details, size_t width) {
  std::string text = details.is_null() || details.empty() ? "" : details.dump();
  if (text.size() > width) text = text.substr(0, width - 3) + "...";
  return text;
}

void HistoryCommand(Context& context, const WorkflowFlags& flags) {
  workflow::ExecutionHistory history(context.catalog_path(lake::CatalogFile::Access::kRead));
  workflow::ExecutionRecord execution = workflow::ResolveExecution(history, flags.id);
  auto events = history.Events(execution.arn);
  if (flags.format == "json") {
    json out = json::array();
    for (const auto& event : events) out.push_back(event.ToJson());
    fmt::print("{}\n", json{{"events", out}}.dump(1));
    return;
  }
  size_t type_width = ColumnWidth(events, "type", [](const auto& e) { return e.type; });
  size_t state_width = ColumnWidth(events, "state", [](const auto& e) { return e.state; });
  constexpr const char* kLine = "{:>4}  {:<24}  {:<{}}  {:<{}}  {}\n";
  fmt::print(kLine, "id", "time", "type", type_width, "state", state_width, "details");
  for (const auto& event : events) {
    fmt::print(kLine, event.id, event.timestamp, event.type, type_width, event.state, state_width,
               Excerpt(event.details, 80));
  }
  fmt::print("{}: {} ({} events)\n", execution.arn, execution.status, events.size());
}

}  // namespace

void AddWorkflowCommand(CLI::App& app, Context& context) {
  auto* workflow = app.add_subcommand(
      "workflow",
      "Validate and run Amazon States Language state machines (Step Functions); list, "
      "describe, read and redrive their recorded executions");
  workflow->require_subcommand(1);
  workflow->footer(
      "Executions and their events are recorded in the lake's _catalog/catalog.db.\n"
      "ID is an execution's name (as 'list' shows it) or its ARN.\n"
      "See docs/workflow.md for what the interpreter supports.");
  auto flags = std::make_shared<WorkflowFlags>();
  auto add_definition = [&](CLI::App* sub) {
    sub->add_option("definition", flags->run.definition, "The state machine (.asl.json)")
        ->required()
        ->type_name("DEFINITION.json");
  };
  auto add_id = [&](CLI::App* sub) {
    sub->add_option("ID", flags->id, "The execution's name or ARN")->required();
  };
  auto add_format = [&](CLI::App* sub) {
    sub->add_option("--format", flags->format, "table (the default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    sub->add_flag_callback(
        "--json", [flags] { flags->format = "json"; }, "Same as --format json");
  };
  auto add_history_flag = [&](CLI::App* sub) {
    sub->add_flag("--history", flags->run.history,
                  "Also print this run's events on stderr, one JSON line each");
    sub->footer(
        "Prints one JSON object on stdout: {\"status\":\"SUCCEEDED\",\"output\":...} or\n"
        "{\"status\":\"FAILED\",\"error\":...,\"cause\":...}; logs (with the execution's ARN) go "
        "to\nstderr. Exit codes: 0 the execution succeeded, 1 it failed, 2 invalid definition or "
        "usage.\nResources: shoplake:echo, fail, flaky, sleep, notify and the pipeline's ingest,\n"
        "transform, crawl, views, report; ${Variable}s are bound by shoplake.yaml's\n"
        "workflow.bindings.");
  };

  auto* validate = workflow->add_subcommand(
      "validate",
      "Check a definition; print one problem per line (state and field); exit 2 if any");
  add_definition(validate);
  validate->callback([&context, flags] { ValidateCommand(context, *flags); });

  auto* run = workflow->add_subcommand(
      "run",
      "Run a definition locally, recording its history; print one JSON object with the status");
  add_definition(run);
  AddRunFlags(*run, flags->run);
  add_history_flag(run);
  run->callback([&context, flags] { RunDefinition(context, flags->run); });

  auto* list = workflow->add_subcommand(
      "list", "The latest executions: name, state machine, status, start, duration");
  list->add_option("--limit", flags->limit, "How many, most recent first; default 20")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  add_format(list);
  list->callback([&context, flags] { ListCommand(context, *flags); });

  auto* describe = workflow->add_subcommand(
      "describe",
      "One execution as JSON (Step Functions' DescribeExecution), with its redrive status");
  add_id(describe);
  describe->callback([&context, flags] { DescribeCommand(context, *flags); });

  auto* history =
      workflow->add_subcommand("history", "An execution's events: id, time, type, state, details");
  add_id(history);
  add_format(history);
  history->callback([&context, flags] { HistoryCommand(context, *flags); });

  auto* redrive = workflow->add_subcommand(
      "redrive",
      "Continue a FAILED, TIMED_OUT or ABORTED execution from the state that failed, as Step "
      "Functions does");
  add_id(redrive);
  add_history_flag(redrive);
  redrive->footer(
      "The failed top-level state runs again with the input it had; the execution keeps its\n"
      "name, ARN, input and earlier events, and its redrive count goes up. Refused (exit 2)\n"
      "for a RUNNING or SUCCEEDED execution or when its definition file changed since.\n"
      "Output and exit codes as for 'run'.");
  redrive->callback([&context, flags] { RedriveCommand(context, *flags); });

  AddWorkflowEvalCommand(*workflow);
}

}  // namespace shoplake::cli
