// Task resources built into shoplake so a definition can run without the pipeline: for
// trying the interpreter out and for its tests (docs/workflow.md lists them).
#pragma once

#include "workflow/interpreter.h"

namespace shoplake::workflow {

//! Registers:
//!  - shoplake:echo  returns its input.
//!  - shoplake:fail  fails with Error = input.error (default "TaskFailed") and Cause =
//!                   input.cause (default "").
//!  - shoplake:flaky fails with Error "Flaky" on its first input.failures invocations
//!                   (counted per state per execution), then returns its input.
//!  - shoplake:sleep sleeps input.seconds (a number, default 0) on the execution's clock,
//!                   giving up when cancelled, then returns its input.
void RegisterBuiltinTasks(TaskRegistry& registry);

}  // namespace shoplake::workflow
