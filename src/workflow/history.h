// ExecutionHistory: the workflow executions and their events, persisted in the lake's SQLite
// catalog file (_catalog/catalog.db) beside the catalog and the ingest ledger, so that a
// failed execution can be listed, described, read event by event and redriven after the
// process that ran it is gone. The rows follow Step Functions' DescribeExecution and
// GetExecutionHistory. HistoryRecorder is the ExecutionListener that fills it while an
// execution runs.
//
// Thread safety: one ExecutionHistory may be shared by threads; calls are serialised.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "db/sqlite.h"
#include "workflow/interpreter.h"

namespace shoplake::workflow {

//! One execution as recorded: what ran, on what input, how it ended.
struct ExecutionRecord {
  std::string arn;                //!< $$.Execution.Id
  std::string name;               //!< $$.Execution.Name
  std::string state_machine;      //!< $$.StateMachine.Name
  std::string definition_path;    //!< absolute path of the definition file
  std::string definition_sha256;  //!< hex SHA-256 of its bytes when the execution started
  json input;
  //! RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED (Step Functions' names). ABORTED: its
  //! process was stopped (SIGTERM, SIGINT), or died without recording the end (found when the
  //! history is next opened on the same host).
  std::string status;
  json output;  //!< when SUCCEEDED
  std::string error;
  std::string cause;
  std::string start_date;  //!< RFC 3339, of the first start
  std::string stop_date;   //!< RFC 3339; empty while RUNNING
  int redrive_count = 0;
  std::string redrive_date;  //!< of the latest redrive; empty when never redriven
  //! When FAILED, TIMED_OUT or ABORTED: the top-level state where a redrive resumes, and
  //! its input (for an execution whose process died: the last one it entered).
  std::string failed_state;
  json failed_state_input;

  //! DescribeExecution's fields (input and output as JSON values, not strings) but the
  //! redrive status (RedriveRefusal says it), plus "failedState" and "definition":
  //! {"path", "sha256"}.
  json ToJson() const;
};

class ExecutionHistory {
 public:
  //! Opens (creating and migrating when needed) the history in the SQLite file `path`, and
  //! marks ABORTED the RUNNING executions of this host's processes that are gone
  //! (AbortOrphans; skipped when the file cannot be written). On failure throws Error
  //! naming the file.
  explicit ExecutionHistory(const std::string& path);

  //! Marks ABORTED, with a cause naming the process, an ExecutionAborted event and the last
  //! top-level state entered as its failed state (so it can be redriven), each RUNNING
  //! execution whose process (recorded at Begin: host, pid and its start time, so a
  //! reused pid does not count) no longer runs on this host. Returns how many.
  int AbortOrphans();

  const std::string& path() const { return db_.path(); }

  //! Records a new RUNNING execution, owned by this process. An `arn` already recorded is
  //! an Error(kData).
  void Begin(const ExecutionRecord& execution);
  //! Marks `arn` RUNNING again, owned by this process, for redrive number `redrive_count`,
  //! begun at `date`.
  void BeginRedrive(const std::string& arn, int redrive_count, const std::string& date);
  //! Appends one event to `arn`'s history.
  void Append(const std::string& arn, const HistoryEvent& event);
  //! Records how `result`'s execution ended (status, output or error and cause, the
  //! failed state); the stop date is its last event's time.
  void Finish(const ExecutionResult& result);

  //! The execution with this ARN, if any.
  std::optional<ExecutionRecord> Find(const std::string& arn);
  //! The executions whose ARN or name is `id` (names are unique per state machine only).
  std::vector<ExecutionRecord> Match(const std::string& id);
  //! The latest `limit` executions, most recently started first.
  std::vector<ExecutionRecord> List(size_t limit);
  //! `arn`'s events, in id order.
  std::vector<HistoryEvent> Events(const std::string& arn);

 private:
  std::vector<ExecutionRecord> Select(const std::string& where_and_order,
                                      const std::vector<std::string>& values);
  //! Events() under the lock its caller holds.
  std::vector<HistoryEvent> EventsOf(const std::string& arn);

  std::mutex mutex_;
  db::SqliteDatabase db_;
};

//! Persists an execution while it runs: its row at ExecutionStarted (from `execution`'s
//! definition fields and the event's name, input and time) or ExecutionRedriven, each event
//! as it happens, its end at OnEnd. Recording errors do not stop the execution: the first
//! one is kept (and logged), later events are dropped, and failure() reports it.
class HistoryRecorder : public ExecutionListener {
 public:
  //! `execution` supplies state_machine, definition_path and definition_sha256.
  HistoryRecorder(ExecutionHistory& history, ExecutionRecord execution);

  void OnEvent(const std::string& execution_id, const HistoryEvent& event) override;
  void OnEnd(const ExecutionResult& result) override;

  //! The error that stopped recording, or nullopt when everything was recorded.
  const std::optional<Error>& failure() const { return failure_; }

 private:
  template <typename Write>
  void Guarded(Write&& write);

  ExecutionHistory& history_;
  ExecutionRecord execution_;
  std::optional<Error> failure_;
};

//! The execution `id` (an ARN or a name) names in `history`. Throws Error(kNotFound) when
//! none does, Error(kUsage) listing the ARNs when a name is ambiguous.
ExecutionRecord ResolveExecution(ExecutionHistory& history, const std::string& id);

//! Why `execution` cannot be redriven now (RUNNING, SUCCEEDED, its definition file gone or
//! changed since it ran), or nullopt when it can. Reads the definition file.
std::optional<std::string> RedriveRefusal(const ExecutionRecord& execution);

//! The RedrivePoint that continues `execution` (FAILED or TIMED_OUT) after `events`.
RedrivePoint RedrivePointOf(const ExecutionRecord& execution,
                            const std::vector<HistoryEvent>& events);

//! Hex SHA-256 of a definition file's bytes. Throws Error naming the file when unreadable.
std::string DefinitionSha256(const std::string& path);

//! The completed runs of one top-level state, summed over the recorded executions of one
//! state machine: /metrics' stage durations.
struct StateRunTotal {
  std::string state_machine;
  std::string state;
  //! "succeeded" (exited), "caught" (failed, a Catch moved on: it exited too) or "failed"
  //! (the execution failed or timed out in it).
  std::string outcome;
  int64_t runs = 0;
  //! From each run's StateEntered to its StateExited, or for a failed run to the
  //! execution's end; whole milliseconds, as the events' timestamps are.
  double seconds = 0;
};

//! The workflow history's top-level state runs in `db`, by state
//! machine, state and outcome, in that order; one SQL query, no event kept in memory. States
//! inside Parallel branches and Map iterations count toward their parent's time, not their
//! own. Runs not over (a RUNNING execution, or one whose process died) are left out. An
//! empty list when the history's tables do not exist.
std::vector<StateRunTotal> StateRunTotals(db::SqliteDatabase& db);

//! The executions recorded in `db`'s workflow history, counted by status. Empty when no
//! workflow ever ran there (its tables are not created).
std::map<std::string, int64_t> ExecutionsByStatus(db::SqliteDatabase& db);

}  // namespace shoplake::workflow
