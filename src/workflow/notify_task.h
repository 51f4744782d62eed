// shoplake:notify, the task resource that plays SNS/EventBridge for a local state machine:
// it sends a JSON message to a webhook and/or to a shell command, typically from a Catch
// that reports a failed pipeline before the execution ends (docs/workflow.md).
#pragma once

#include "common/project.h"
#include "workflow/interpreter.h"

namespace shoplake::workflow {

//! The error name of every failed notification, for Retry and Catch to match.
inline constexpr const char* kNotifyFailed = "Notify.Failed";

//! Registers shoplake:notify. Its input:
//!   message         the JSON value sent (default: the whole input)
//!   url             webhook: the message is POSTed with Content-Type application/json
//!   command         shell command (/bin/sh -c): the message, one line, on its stdin
//!   timeoutSeconds  bounds each delivery
//! An input that names neither url nor command uses both of `defaults` (shoplake.yaml's
//! notify:); timeoutSeconds defaults to its timeout. Every channel named is tried. The task
//! fails with Notify.Failed, its cause naming each channel that failed and why, when none
//! is named or any fails (a non-2xx answer, an unreachable server, a command exiting
//! non-zero or running past the timeout). It returns {"webhook": {"url", "status"},
//! "command": {"command", "exitCode"}}, with the channels used.
void RegisterNotifyTask(TaskRegistry& registry, NotifySpec defaults);

}  // namespace shoplake::workflow
