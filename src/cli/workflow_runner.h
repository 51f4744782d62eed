// What `shoplake workflow run` and `shoplake run` share: a definition file run with the
// project's bindings and every task resource shoplake has, its history recorded, and the
// stdout/exit-code contract of docs/workflow.md kept.
#pragma once

#include <string>

#include "cli/context.h"
#include "workflow/interpreter.h"

namespace shoplake::cli {

//! Registers every task resource shoplake has (shoplake:echo, fail, flaky, sleep, notify
//! and the pipeline's stages) into `registry`, the pipeline's over context's workspace:
//! what a definition's Tasks and a Lambda function (`shoplake lambda`) may run.
void RegisterAllTasks(Context& context, workflow::TaskRegistry& registry);

struct RunRequest {
  std::string definition;  //!< the .asl.json file
  std::string input;       //!< the execution's input as JSON text; empty: see input_file
  std::string input_file;  //!< a file holding it; both empty: {}
  std::string name;        //!< the execution's name; empty: a fresh UUID
  bool history = false;    //!< also print the run's events on stderr
};

//! Declares --input, --input-file and --name on `command`, filling `request`.
void AddRunFlags(CLI::App& command, RunRequest& request);

//! Runs `request.definition`: prints one JSON object on stdout and returns when the
//! execution succeeded; throws ExitStatus{1} when it failed, Error (exit 2) for an invalid
//! definition, an unbound ${Variable}, a resource with no handler, bad input or a name
//! already used.
void RunDefinition(Context& context, const RunRequest& request);

}  // namespace shoplake::cli
