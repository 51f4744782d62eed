// The Amazon States Language interpreter (JSONPath query language): a StateMachine built
// from a validated definition runs executions (or redrives failed ones) against a
// TaskRegistry of local handlers, tells an ExecutionListener of each event as it happens
// (workflow/history.h persists them) and returns the result with the event history.
//
// Thread-safety: a StateMachine is immutable and may run several executions at once. Task
// handlers run on their own threads; a task that times out or is stopped has its
// Cancellation raised and is waited for (never abandoned), so a handler must watch
// TaskContext::cancelled() in anything long. Parallel branches and Map iterations run
// concurrently, so handlers must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "workflow/clock.h"
#include "workflow/definition.h"
#include "workflow/states_error.h"

namespace shoplake::workflow {

using json = nlohmann::json;

//! What a task handler knows about the task it runs.
struct TaskContext {
  std::string state_name;
  std::string resource;
  std::string execution_id;
  int retry_count = 0;  //!< 0 on the first attempt, then 1, 2, ...
  int invocation =
      1;  //!< how many times this state's task ran in this execution, this one included
  Clock* clock = nullptr;
  std::shared_ptr<const Cancellation> cancellation;  //!< raised on timeout or abort

  bool cancelled() const { return cancellation && cancellation->IsCancelled(); }
  //! Sleeps on the execution's clock; false when cancelled first.
  bool Sleep(std::chrono::milliseconds duration) const {
    return clock->SleepFor(duration, cancellation.get());
  }
};

//! Runs one task: takes the task's input (after InputPath and Parameters), returns its
//! result, or throws TaskError{error, cause} (any other exception is States.TaskFailed).
using TaskHandler = std::function<json(const json& input, TaskContext& context)>;

//! Resource name -> handler. Filled before executions start; read-only afterwards.
class TaskRegistry {
 public:
  void Register(const std::string& resource, TaskHandler handler);
  //! The handler for `resource`, or null.
  const TaskHandler* Find(const std::string& resource) const;

 private:
  std::map<std::string, TaskHandler> handlers_;
};

//! One entry of an execution's history, shaped to be stored as a row: id (1, 2, ... in the
//! order recorded), the id of the event it follows, RFC 3339 time, type (as Step Functions
//! names them: ExecutionStarted, TaskStateEntered, TaskScheduled, TaskFailed, ...), the
//! state (empty for execution events) and a JSON object of details.
struct HistoryEvent {
  int64_t id = 0;
  int64_t previous_id = 0;
  std::string timestamp;
  std::string type;
  std::string state;
  json details;

  json ToJson() const;
};

struct ExecutionResult;

//! Asks a running execution to stop, as Step Functions' StopExecution does: the execution
//! raises its tasks' cancellations, waits for them, and ends ABORTED with `cause`. Set from
//! any thread (a signal watcher); the first request's cause wins. Thread-safe.
class ExecutionStop {
 public:
  void Request(const std::string& cause);
  bool requested() const { return cancellation_->IsCancelled(); }
  std::string cause() const;
  //! Raised by Request(): the execution's own cancellations descend from it.
  std::shared_ptr<const Cancellation> cancellation() const { return cancellation_; }

 private:
  mutable std::mutex mutex_;
  std::string cause_;
  std::shared_ptr<Cancellation> cancellation_ = std::make_shared<Cancellation>();
};

//! The error of an ABORTED execution: stopped by an ExecutionStop, or found RUNNING after its
//! process died (workflow/history.h). Step Functions' StopExecution takes its error from the
//! caller; these stops are shoplake's own.
inline constexpr const char* kAbortedError = "Shoplake.Aborted";

//! Step Functions' limit on the events of one execution's history: past it the execution
//! fails with States.Runtime.
inline constexpr int64_t kMaxHistoryEvents = 25'000;

//! Told of an execution's events as they happen, e.g. to persist them (workflow/history.h).
//!
//! Thread-safety: events are recorded by whichever of the execution's threads made them
//! (Parallel branches and Map iterations run on their own), but the interpreter serialises
//! the calls: OnEvent sees one event at a time, in id order, then OnEnd once, last. A
//! listener shared by several executions at once must lock for itself.
//! REQUIRES: neither method throws; a listener that fails keeps its error for its owner
//! to report after the run (the execution itself must not fail because of it).
class ExecutionListener {
 public:
  virtual ~ExecutionListener() = default;
  //! `execution_id` is the execution's ARN (ExecutionArn).
  virtual void OnEvent(const std::string& execution_id, const HistoryEvent& event) = 0;
  //! The execution's end (its history is in `result` too).
  virtual void OnEnd(const ExecutionResult& result) = 0;
};

//! Where a redrive continues a failed execution: the same execution (name, input, start
//! time, event numbering), entered again at the top-level state that failed, with the input
//! that state had, as Step Functions' RedriveExecution does.
struct RedrivePoint {
  std::string state;          //!< a top-level state of the machine (ExecutionResult::failed_state)
  json state_input;           //!< the input it was entered with
  Clock::TimePoint started;   //!< the execution's first start: $$.Execution.StartTime
  int redrive_count = 1;      //!< this redrive's number: 1 for the first
  int64_t last_event_id = 0;  //!< new events are numbered after it
  //! Task invocations so far per state name, so that counts made "per state per
  //! execution" (shoplake:flaky) go on across redrives.
  std::map<std::string, int> invocations;
};

struct ExecutionOptions {
  std::string state_machine_name = "StateMachine";
  std::string execution_name;             //!< empty: a fresh UUID
  Clock* clock = nullptr;                 //!< null: the system clock
  std::optional<uint64_t> random_seed;    //!< seeds States.UUID, MathRandom and FULL jitter
  int max_threads_per_map = 40;           //!< the cap for MaxConcurrency 0 (unbounded)
  ExecutionListener* listener = nullptr;  //!< told of every event; may be null
  //! Set: continue an earlier execution (named by execution_name) instead of starting one.
  //! The events begin with ExecutionRedriven; the execution's TimeoutSeconds counts again
  //! from the redrive.
  std::optional<RedrivePoint> redrive;
  //! Set: the execution ends ABORTED as soon as it is requested. May be null.
  ExecutionStop* stop = nullptr;
  //! The execution fails with States.Runtime rather than record more events than this (a
  //! redrive's earlier events count); tests lower it.
  int64_t max_history_events = kMaxHistoryEvents;
};

struct ExecutionResult {
  enum class Status { kSucceeded, kFailed, kAborted };
  Status status = Status::kFailed;
  json output;        //!< when succeeded
  std::string error;  //!< when failed or aborted
  std::string cause;
  bool timed_out = false;  //!< failed by the execution's own TimeoutSeconds (ExecutionTimedOut)
  //! When failed or aborted: the top-level state that failed (or was about to run when the
  //! execution timed out or was stopped) and the input it was entered with: where a redrive
  //! resumes.
  std::string failed_state;
  json failed_state_input;
  std::string execution_id;  //!< the execution's ARN
  std::string execution_name;
  //! This run's events (after a redrive: the redrive's own, numbered after the earlier ones).
  std::vector<HistoryEvent> history;

  //! {"status":"SUCCEEDED","output":...}, or {"status":"FAILED","error":...,"cause":...}
  //! (ABORTED when stopped by an ExecutionStop).
  json ToJson() const;
};

//! "arn:shoplake:states:local:stateMachine:NAME": $$.StateMachine.Id.
std::string StateMachineArn(const std::string& state_machine_name);
//! "arn:shoplake:states:local:execution:MACHINE:NAME": $$.Execution.Id.
std::string ExecutionArn(const std::string& state_machine_name, const std::string& execution_name);

//! A definition ready to run.
class StateMachine {
 public:
  //! Throws shoplake::Error(kConfig) listing the problems when `definition` is invalid.
  explicit StateMachine(json definition);

  const json& definition() const { return definition_; }

  //! The Task states whose Resource has no handler in `registry`, as validation errors.
  std::vector<ValidationError> UnboundResources(const TaskRegistry& registry) const;

  //! Runs one execution to its end (or, with options.redrive, continues one). Never throws
  //! for a failing execution: the failure is in the result. Throws Error(kConfig) when
  //! options.redrive names no top-level state. REQUIRES: every Resource bound
  //! (UnboundResources empty).
  ExecutionResult Run(const json& input, const TaskRegistry& registry,
                      const ExecutionOptions& options = {}) const;

 private:
  json definition_;
};

}  // namespace shoplake::workflow
