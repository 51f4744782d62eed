// `shoplake lambda`: the binary as an AWS Lambda custom runtime (its `bootstrap`). Reads the
// function's configuration from the environment Lambda sets, registers the same task
// handlers `shoplake workflow` runs, and serves invocations until SIGTERM
// (pipeline/lambda_runtime.h). A function that cannot start reports it to init/error and
// exits 2, as Lambda expects.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/context.h"
#include "cli/workflow_runner.h"
#include "common/environment.h"
#include "common/error.h"
#include "pipeline/lambda_runtime.h"
#include "pipeline/tasks.h"

namespace shoplake::cli {
namespace {

struct LambdaFlags {
  int max_invocations = 0;
};

std::string Env(const char* name) { return EnvironmentVariable(name).value_or(""); }

// The loop's control, where the SIGTERM handler can reach it.
pipeline::LambdaLoopControl* g_control = nullptr;

// Lambda sends SIGTERM before it shuts an environment down. Between invocations nothing is
// in flight and the process blocks in the long poll, which a flag cannot interrupt: end it
// at once (_exit is async-signal-safe). During one, let it post its outcome, then stop.
extern "C" void OnSigterm(int) {
  if (g_control == nullptr || !g_control->busy.load()) _exit(0);
  g_control->stop.store(true);
}

void InstallSigtermHandler(pipeline::LambdaLoopControl& control) {
  g_control = &control;
  struct sigaction action = {};
  action.sa_handler = OnSigterm;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
}

// Where the function's project is: --project, else shoplake.yaml in the function's code
// folder (LAMBDA_TASK_ROOT, where the bundle of `shoplake deploy --render` puts it), else
// the one found from the current folder.
void ChooseProject(Context& context) {
  if (!context.options.project_file.empty()) return;
  std::string task_root = Env("LAMBDA_TASK_ROOT");
  if (task_root.empty()) return;
  std::filesystem::path file = std::filesystem::path(task_root) / "shoplake.yaml";
  if (std::filesystem::is_regular_file(file)) context.options.project_file = file.string();
}

void LambdaCommand(Context& context, const LambdaFlags& flags) {
  pipeline::LambdaRuntimeClient client(Env("AWS_LAMBDA_RUNTIME_API"));
  std::string resource;
  workflow::TaskRegistry registry;
  try {
    resource = pipeline::LambdaTaskResource(Env("_HANDLER"));
    ChooseProject(context);
    // SHOPLAKE_LAKE is how the template tells a function its lake (s3://bucket/prefix).
    if (context.options.lake.empty()) context.options.lake = Env("SHOPLAKE_LAKE");
    RegisterAllTasks(context, registry);
    if (registry.Find(resource) == nullptr) {
      throw Error(ErrorCode::kConfig, "no task '" + resource + "' to run", "_HANDLER",
                  "set the function's Handler to ingest, transform, crawl, views, report or "
                  "notify");
    }
  } catch (const Error& e) {
    // Lambda records the init error and retries the start on the next invocation; the
    // message also goes to the function's log (stderr) through main().
    try {
      client.PostInitError(pipeline::LambdaError(e));
    } catch (const Error& post) {
      spdlog::error("could not report the init error to the Runtime API: {}", post.message());
    }
    throw;
  }
  spdlog::info("shoplake lambda: serving {} for lake {}", resource, context.lake().uri());
  // A warm function lives on between invocations while the lake's other functions write its
  // catalog: each invocation opens the catalog (on a remote lake: takes its lock and
  // downloads the latest) and closes it when done, so an idle function holds no lock and
  // never works on a stale copy. Registering the tasks opened it once, which checked the
  // lake at start.
  context.ReleaseCatalog();
  const workflow::TaskHandler& task = *registry.Find(resource);
  workflow::TaskHandler per_invocation = [&](const workflow::json& input,
                                             workflow::TaskContext& task_context) {
    try {
      context.catalog_path(lake::CatalogFile::Access::kWrite);
    } catch (const Error& e) {
      // A held lock or a failed download fails the invocation as a stage would fail with
      // it (Shoplake.Transient: worth a retry), not as a bug.
      throw workflow::TaskError(pipeline::ErrorName(e), pipeline::ErrorCause(e));
    }
    struct Release {
      Context& context;
      ~Release() { context.ReleaseCatalog(); }
    } release{context};
    return task(input, task_context);
  };
  pipeline::LambdaLoopControl control;
  control.max_invocations = flags.max_invocations;
  InstallSigtermHandler(control);
  int handled = pipeline::RunLambdaLoop(client, per_invocation, resource, control);
  spdlog::info("shoplake lambda: stopped after {} invocation(s)", handled);
}

}  // namespace

void AddLambdaCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<LambdaFlags>();
  auto* lambda = app.add_subcommand(
      "lambda", "Serve a pipeline task as an AWS Lambda custom runtime (the function's bootstrap)");
  lambda
      ->add_option("--max-invocations", flags->max_invocations,
                   "Stop after N invocations (for tests); default: until SIGTERM")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  lambda->footer(
      "Configured by the environment Lambda sets:\n"
      "  AWS_LAMBDA_RUNTIME_API  host:port of the Runtime API (required)\n"
      "  _HANDLER                the task: ingest, transform, crawl, views, report or notify\n"
      "                          (the function's Handler property)\n"
      "  SHOPLAKE_LAKE           the lake, e.g. s3://bucket/lake (--lake wins)\n"
      "  LAMBDA_TASK_ROOT        shoplake.yaml is read from here (--project wins)\n"
      "Each event is the task's JSON input; the response is its output. A failed task posts\n"
      "{\"errorType\": \"Shoplake.*\", \"errorMessage\": ...}, an event that is not JSON\n"
      "Shoplake.Config. A function that cannot start posts init/error and exits 2.\n"
      "Guide: docs/aws.md");
  lambda->callback([&context, flags] { LambdaCommand(context, *flags); });
}

}  // namespace shoplake::cli
