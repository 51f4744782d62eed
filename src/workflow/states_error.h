// The errors an Amazon States Language execution reports: an error name ("States.Timeout",
// "Flaky", ...) and a cause. Task handlers throw TaskError; the interpreter throws
// StatesError for the predefined errors. Neither is a shoplake::Error: they are the
// workflow's own data, matched by Retry and Catch, never shown to the user as a crash.
#pragma once

#include <stdexcept>
#include <string>

namespace shoplake::workflow {

//! Predefined error names (ASL spec, "Errors").
namespace states_errors {
inline constexpr const char* kAll = "States.ALL";
inline constexpr const char* kTimeout = "States.Timeout";
inline constexpr const char* kHeartbeatTimeout = "States.HeartbeatTimeout";
inline constexpr const char* kTaskFailed = "States.TaskFailed";
inline constexpr const char* kPermissions = "States.Permissions";
inline constexpr const char* kRuntime = "States.Runtime";
inline constexpr const char* kNoChoiceMatched = "States.NoChoiceMatched";
inline constexpr const char* kIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr const char* kParameterPathFailure = "States.ParameterPathFailure";
inline constexpr const char* kResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr const char* kBranchFailed = "States.BranchFailed";
inline constexpr const char* kExceedToleratedFailureThreshold =
    "States.ExceedToleratedFailureThreshold";
inline constexpr const char* kItemReaderFailed = "States.ItemReaderFailed";
inline constexpr const char* kDataLimitExceeded = "States.DataLimitExceeded";
}  // namespace states_errors

//! A failed state: what Retry and Catch match on and what a FAILED execution reports.
class StatesError : public std::runtime_error {
 public:
  StatesError(std::string error, std::string cause)
      : std::runtime_error(error + ": " + cause),
        error_(std::move(error)),
        cause_(std::move(cause)) {}

  const std::string& error() const { return error_; }
  const std::string& cause() const { return cause_; }

 private:
  std::string error_;
  std::string cause_;
};

//! What a task handler throws to fail its task with a given error name and cause. Any other
//! exception a handler throws fails the task with States.TaskFailed and the exception's
//! message as the cause.
class TaskError : public StatesError {
 public:
  using StatesError::StatesError;
};

}  // namespace shoplake::workflow
