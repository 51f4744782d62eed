// ExecutionHistory over SQLite: schema, rows, and what redrive reads back from them.
#include "workflow/history.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/hash.h"

namespace shoplake::workflow {
namespace {

// The history's schema version (db::ApplySchema records it in shoplake_schema). 2: the process
// running each execution (workflow_owners), to find the executions of a dead process.
constexpr int kHistorySchemaVersion = 2;

// JSON values are stored as their text; NULL where the execution has none (yet).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS workflow_executions (
  execution_arn      TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  state_machine      TEXT NOT NULL,
  definition_path    TEXT NOT NULL,
  definition_sha256  TEXT NOT NULL,
  input              TEXT NOT NULL,
  status             TEXT NOT NULL,
  output             TEXT,
  error              TEXT,
  cause              TEXT,
  start_date         TEXT NOT NULL,
  stop_date          TEXT,
  redrive_count      INTEGER NOT NULL DEFAULT 0,
  redrive_date       TEXT,
  failed_state       TEXT,
  failed_state_input TEXT
);
CREATE INDEX IF NOT EXISTS workflow_executions_by_start ON workflow_executions (start_date);
CREATE INDEX IF NOT EXISTS workflow_executions_by_name ON workflow_executions (name);
CREATE TABLE IF NOT EXISTS workflow_events (
  execution_arn     TEXT NOT NULL REFERENCES workflow_executions (execution_arn),
  id                INTEGER NOT NULL,
  previous_event_id INTEGER NOT NULL,
  timestamp         TEXT NOT NULL,
  type              TEXT NOT NULL,
  state             TEXT,
  details           TEXT NOT NULL,
  PRIMARY KEY (execution_arn, id)
);
CREATE TABLE IF NOT EXISTS workflow_owners (
  execution_arn TEXT PRIMARY KEY REFERENCES workflow_executions (execution_arn),
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  process_start TEXT NOT NULL
);
)sql";

constexpr const char* kColumns =
    "execution_arn, name, state_machine, definition_path, definition_sha256, input, status,"
    " output, error, cause, start_date, stop_date, redrive_count, redrive_date, failed_state,"
    " failed_state_input";

json JsonColumn(const db::SqliteStatement& row, int column) {
  return row.IsNull(column) ? json() : json::parse(row.Text(column));
}

std::optional<std::string> TextOrNull(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

std::optional<std::string> JsonOrNull(const json& value, bool present) {
  return present ? std::optional<std::string>(value.dump()) : std::nullopt;
}

ExecutionRecord RecordFrom(const db::SqliteStatement& row) {
  ExecutionRecord r;
  r.arn = row.Text(0);
  r.name = row.Text(1);
  r.state_machine = row.Text(2);
  r.definition_path = row.Text(3);
  r.definition_sha256 = row.Text(4);
  r.input = JsonColumn(row, 5);
  r.status = row.Text(6);
  r.output = JsonColumn(row, 7);
  r.error = row.OptionalText(8).value_or("");
  r.cause = row.OptionalText(9).value_or("");
  r.start_date = row.Text(10);
  r.stop_date = row.OptionalText(11).value_or("");
  r.redrive_count = static_cast<int>(row.Int64(12));
  r.redrive_date = row.OptionalText(13).value_or("");
  r.failed_state = row.OptionalText(14).value_or("");
  r.failed_state_input = JsonColumn(row, 15);
  return r;
}

std::string StatusOf(const ExecutionResult& result) {
  if (result.status == ExecutionResult::Status::kSucceeded) return "SUCCEEDED";
  if (result.status == ExecutionResult::Status::kAborted) return "ABORTED";
  return result.timed_out ? "TIMED_OUT" : "FAILED";
}

// A process as the owner of an execution: a pid alone is reused, so its start time (in
// clock ticks since boot, /proc/PID/stat's 22nd field) tells a new process from the old.
struct Owner {
  std::string host;
  int64_t pid = 0;
  std::string process_start;  // empty where /proc is not there
};

std::string ProcessStart(int64_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command (field 2) is in parentheses and may hold blanks: count fields after it.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

std::string HostName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

Owner ThisProcess() {
  static const Owner self{HostName(), static_cast<int64_t>(::getpid()),
                          ProcessStart(static_cast<int64_t>(::getpid()))};
  return self;
}

// Whether `owner` still runs. Only this host's processes can be checked: another host's
// executions are taken to be alive.
bool Alive(const Owner& owner) {
  if (owner.host != HostName()) return true;
  if (::kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno != EPERM) return false;
  std::string start = ProcessStart(owner.pid);
  return start.empty() || owner.process_start.empty() || start == owner.process_start;
}

// Where a redrive resumes an execution whose process died: the last state entered at the top
// level, and its input. Nested states' events come between their Map's or Parallel's Started
// and its end; a redrive starts a new attempt at the top level.
std::pair<std::string, json> LastTopLevelState(const std::vector<HistoryEvent>& events) {
  std::pair<std::string, json> last;
  int depth = 0;
  for (const auto& e : events) {
    if (e.type == "ExecutionStarted" || e.type == "ExecutionRedriven") {
      depth = 0;
    } else if (e.type == "MapStateStarted" || e.type == "ParallelStateStarted") {
      ++depth;
    } else if (e.type == "MapStateSucceeded" || e.type == "MapStateFailed" ||
               e.type == "ParallelStateSucceeded" || e.type == "ParallelStateFailed") {
      --depth;
    } else if (depth == 0 && e.type.ends_with("StateEntered")) {
      last = {e.state, e.details.value("input", json::object())};
    }
  }
  return last;
}

void RecordOwner(db::SqliteDatabase& db, const std::string& arn) {
  Owner self = ThisProcess();
  db.Prepare("INSERT OR REPLACE INTO workflow_owners VALUES (?, ?, ?, ?)")
      .Bind(1, arn)
      .Bind(2, self.host)
      .Bind(3, self.pid)
      .Bind(4, self.process_start)
      .Run();
}

// StateRunTotals' query. Top-level states run one at a time, so their events split an
// execution's history into runs: each run starts at a StateEntered and ends at its
// StateExited (succeeded, or caught when a StateCaught precedes it) or at ExecutionFailed or
// ExecutionTimedOut (failed). A state is nested while a Map or Parallel is open: between its
// Started and its Succeeded or Failed (`depth`, reset at each start or redrive: an aborted
// Map records no end). Execution events (state NULL) always count, whatever the depth.
constexpr const char* kStateRunsSql = R"sql(
WITH marked AS (
  SELECT execution_arn, id, timestamp, type, state,
         sum(type IN ('ExecutionStarted', 'ExecutionRedriven'))
             OVER (PARTITION BY execution_arn ORDER BY id) AS attempt,
         CASE WHEN type IN ('MapStateStarted', 'ParallelStateStarted') THEN 1
              WHEN type IN ('MapStateSucceeded', 'MapStateFailed', 'ParallelStateSucceeded',
                            'ParallelStateFailed') THEN -1
              ELSE 0 END AS nesting
  FROM workflow_events),
top_level AS (
  SELECT execution_arn, timestamp, type, state,
         sum(type GLOB '*StateEntered') OVER (PARTITION BY execution_arn ORDER BY id) AS run
  FROM (SELECT *, sum(nesting) OVER (PARTITION BY execution_arn, attempt ORDER BY id)
                  - (nesting = 1) AS depth
        FROM marked)
  WHERE depth = 0 OR state IS NULL),
runs AS (
  SELECT execution_arn,
         max(CASE WHEN type GLOB '*StateEntered' THEN state END) AS state,
         max(CASE WHEN type GLOB '*StateEntered' THEN timestamp END) AS entered,
         max(CASE WHEN type GLOB '*StateExited' OR type IN ('ExecutionFailed', 'ExecutionTimedOut')
                  THEN timestamp END) AS ended,
         CASE WHEN max(type GLOB '*StateExited')
                   THEN iif(max(type GLOB '*StateCaught'), 'caught', 'succeeded')
              WHEN max(type IN ('ExecutionFailed', 'ExecutionTimedOut')) THEN 'failed' END
             AS outcome
  FROM top_level WHERE run > 0 GROUP BY execution_arn, run)
SELECT e.state_machine, r.state, r.outcome, count(*),
       sum(CAST(round((julianday(r.ended) - julianday(r.entered)) * 86400000) AS INTEGER))
FROM runs r JOIN workflow_executions e USING (execution_arn)
WHERE r.outcome IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
)sql";

}  // namespace

json ExecutionRecord::ToJson() const {
  json out = {{"executionArn", arn},
              {"stateMachineArn", StateMachineArn(state_machine)},
              {"name", name},
              {"status", status},
              {"startDate", start_date},
              {"input", input}};
  if (!stop_date.empty()) out["stopDate"] = stop_date;
  if (status == "SUCCEEDED") out["output"] = output;
  if (status == "FAILED" || status == "TIMED_OUT" || status == "ABORTED") {
    out["error"] = error;
    out["cause"] = cause;
  }
  out["redriveCount"] = redrive_count;
  if (!redrive_date.empty()) out["redriveDate"] = redrive_date;
  if (!failed_state.empty()) out["failedState"] = failed_state;
  out["definition"] = {{"path", definition_path}, {"sha256", definition_sha256}};
  return out;
}

ExecutionHistory::ExecutionHistory(const std::string& path) : db_(path) {
  db::ApplySchema(db_, "workflow", kHistorySchemaVersion, kSchema, "the workflow history");
  try {
    AbortOrphans();
  } catch (const Error& e) {
    // A read-only lake: the orphans stay RUNNING until a writer opens the history.
    spdlog::debug("cannot mark the executions of dead processes ABORTED in {}: {}", path,
                  e.message());
  }
}

int ExecutionHistory::AbortOrphans() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, Owner>> running;
  {
    auto rows = db_.Prepare(
        "SELECT e.execution_arn, o.host, o.pid, o.process_start FROM workflow_executions e"
        " JOIN workflow_owners o USING (execution_arn) WHERE e.status = 'RUNNING'");
    while (rows.Step()) {
      running.push_back({rows.Text(0), {rows.Text(1), rows.Int64(2), rows.Text(3)}});
    }
  }
  int aborted = 0;
  for (const auto& [arn, owner] : running) {
    if (Alive(owner)) continue;
    const std::string cause = "the process that ran it (pid " + std::to_string(owner.pid) + " on " +
                              owner.host +
                              ") ended without recording its end: it was killed (e.g. kill -9) "
                              "or crashed";
    db::SqliteTransaction tx(db_);
    // Its stop date is its last event's: when the process was last seen working. A redrive
    // resumes it in the top-level state it was in.
    auto [state, input] = LastTopLevelState(EventsOf(arn));
    db_.Prepare(
           "UPDATE workflow_executions SET status = 'ABORTED', error = ?, cause = ?,"
           " stop_date = coalesce((SELECT max(timestamp) FROM workflow_events"
           " WHERE execution_arn = ?3), start_date), failed_state = ?4, failed_state_input = ?5"
           " WHERE execution_arn = ?3 AND status = 'RUNNING'")
        .Bind(1, std::string(kAbortedError))
        .Bind(2, cause)
        .Bind(3, arn)
        .Bind(4, TextOrNull(state))
        .Bind(5, JsonOrNull(input, !state.empty()))
        .Run();
    if (sqlite3_changes(db_.handle()) == 0) continue;  // another process marked it first
    json details = {{"error", kAbortedError}, {"cause", cause}};
    db_.Prepare(
           "INSERT INTO workflow_events SELECT ?1, max(id) + 1, max(id), ?2, 'ExecutionAborted',"
           " NULL, ?3 FROM workflow_events WHERE execution_arn = ?1 HAVING count(*) > 0")
        .Bind(1, arn)
        .Bind(2, FormatTimestamp(std::chrono::system_clock::now()))
        .Bind(3, details.dump())
        .Run();
    tx.Commit();
    spdlog::warn("execution {} was RUNNING in a process that is gone: marked ABORTED", arn);
    ++aborted;
  }
  return aborted;
}

void ExecutionHistory::Begin(const ExecutionRecord& e) {
  std::lock_guard lock(mutex_);
  db::SqliteTransaction tx(db_);
  db_.Prepare(
         "INSERT INTO workflow_executions (execution_arn, name, state_machine, definition_path,"
         " definition_sha256, input, status, start_date) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?)")
      .Bind(1, e.arn)
      .Bind(2, e.name)
      .Bind(3, e.state_machine)
      .Bind(4, e.definition_path)
      .Bind(5, e.definition_sha256)
      .Bind(6, e.input.dump())
      .Bind(7, e.start_date)
      .Run();
  RecordOwner(db_, e.arn);
  tx.Commit();
}

void ExecutionHistory::BeginRedrive(const std::string& arn, int redrive_count,
                                    const std::string& date) {
  std::lock_guard lock(mutex_);
  db::SqliteTransaction tx(db_);
  db_.Prepare(
         "UPDATE workflow_executions SET status = 'RUNNING', redrive_count = ?, redrive_date = ?,"
         " output = NULL, error = NULL, cause = NULL, stop_date = NULL WHERE execution_arn = ?")
      .Bind(1, int64_t{redrive_count})
      .Bind(2, date)
      .Bind(3, arn)
      .Run();
  RecordOwner(db_, arn);
  tx.Commit();
}

void ExecutionHistory::Append(const std::string& arn, const HistoryEvent& event) {
  std::lock_guard lock(mutex_);
  db_.Prepare("INSERT INTO workflow_events VALUES (?, ?, ?, ?, ?, ?, ?)")
      .Bind(1, arn)
      .Bind(2, event.id)
      .Bind(3, event.previous_id)
      .Bind(4, event.timestamp)
      .Bind(5, event.type)
      .Bind(6, TextOrNull(event.state))
      .Bind(7, event.details.is_null() ? std::string("{}") : event.details.dump())
      .Run();
}

void ExecutionHistory::Finish(const ExecutionResult& result) {
  std::lock_guard lock(mutex_);
  const bool succeeded = result.status == ExecutionResult::Status::kSucceeded;
  db_.Prepare(
         "UPDATE workflow_executions SET status = ?, output = ?, error = ?, cause = ?,"
         " stop_date = ?, failed_state = ?, failed_state_input = ? WHERE execution_arn = ?")
      .Bind(1, StatusOf(result))
      .Bind(2, JsonOrNull(result.output, succeeded))
      .Bind(3, succeeded ? std::nullopt : std::optional<std::string>(result.error))
      .Bind(4, succeeded ? std::nullopt : std::optional<std::string>(result.cause))
      .Bind(5, result.history.empty() ? std::nullopt
                                      : std::optional<std::string>(result.history.back().timestamp))
      .Bind(6, succeeded ? std::nullopt : TextOrNull(result.failed_state))
      .Bind(7, JsonOrNull(result.failed_state_input, !succeeded && !result.failed_state.empty()))
      .Bind(8, result.execution_id)
      .Run();
}

std::vector<ExecutionRecord> ExecutionHistory::Select(const std::string& where_and_order,
                                                      const std::vector<std::string>& values) {
  std::lock_guard lock(mutex_);
  auto rows = db_.Prepare(std::string("SELECT ") + kColumns + " FROM workflow_executions " +
                          where_and_order);
  for (size_t i = 0; i < values.size(); ++i) rows.Bind(static_cast<int>(i) + 1, values[i]);
  std::vector<ExecutionRecord> out;
  while (rows.Step()) out.push_back(RecordFrom(rows));
  return out;
}

std::optional<ExecutionRecord> ExecutionHistory::Find(const std::string& arn) {
  auto found = Select("WHERE execution_arn = ?", {arn});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<ExecutionRecord> ExecutionHistory::Match(const std::string& id) {
  return Select("WHERE execution_arn = ?1 OR name = ?1 ORDER BY start_date", {id});
}

std::vector<ExecutionRecord> ExecutionHistory::List(size_t limit) {
  // rowid breaks ties between executions started in the same millisecond.
  return Select("ORDER BY start_date DESC, rowid DESC LIMIT " + std::to_string(limit), {});
}

std::vector<HistoryEvent> ExecutionHistory::Events(const std::string& arn) {
  std::lock_guard lock(mutex_);
  return EventsOf(arn);
}

std::vector<HistoryEvent> ExecutionHistory::EventsOf(const std::string& arn) {
  auto rows = db_.Prepare(
      "SELECT id, previous_event_id, timestamp, type, state, details FROM workflow_events"
      " WHERE execution_arn = ? ORDER BY id");
  rows.Bind(1, arn);
  std::vector<HistoryEvent> out;
  while (rows.Step()) {
    HistoryEvent event;
    event.id = rows.Int64(0);
    event.previous_id = rows.Int64(1);
    event.timestamp = rows.Text(2);
    event.type = rows.Text(3);
    event.state = rows.OptionalText(4).value_or("");
    event.details = json::parse(rows.Text(5));
    out.push_back(std::move(event));
  }
  return out;
}

HistoryRecorder::HistoryRecorder(ExecutionHistory& history, ExecutionRecord execution)
    : history_(history), execution_(std::move(execution)) {}

template <typename Write>
void HistoryRecorder::Guarded(Write&& write) {
  if (failure_) return;  // a history with a hole in it would mislead a redrive
  try {
    write();
  } catch (const Error& e) {
    failure_ = e;
  } catch (const std::exception& e) {
    failure_ = Error(ErrorCode::kIo, std::string("recording the history failed: ") + e.what(),
                     history_.path());
  }
  if (failure_) {
    spdlog::error("the workflow history stops here: {} ({})", failure_->message(),
                  failure_->input());
  }
}

void HistoryRecorder::OnEvent(const std::string& execution_id, const HistoryEvent& event) {
  Guarded([&] {
    if (event.type == "ExecutionStarted") {
      ExecutionRecord record = execution_;
      record.arn = execution_id;
      record.name = event.details.value("name", "");
      record.input = event.details.value("input", json::object());
      record.start_date = event.timestamp;
      history_.Begin(record);
    } else if (event.type == "ExecutionRedriven") {
      history_.BeginRedrive(execution_id, event.details.value("redriveCount", 1), event.timestamp);
    }
    history_.Append(execution_id, event);
  });
}

void HistoryRecorder::OnEnd(const ExecutionResult& result) {
  Guarded([&] { history_.Finish(result); });
}

ExecutionRecord ResolveExecution(ExecutionHistory& history, const std::string& id) {
  auto matches = history.Match(id);
  if (matches.size() == 1) return std::move(matches.front());
  if (matches.empty()) {
    throw Error(ErrorCode::kNotFound, "no execution '" + id + "' in the workflow history",
                history.path(), "'shoplake workflow list' shows the recorded executions");
  }
  std::string arns;
  for (const auto& m : matches) arns += (arns.empty() ? "" : ", ") + m.arn;
  throw Error(ErrorCode::kUsage, "execution name '" + id + "' is ambiguous", history.path(),
              "name it by its ARN: " + arns);
}

std::string DefinitionSha256(const std::string& path) { return HexEncode(Sha256(ReadFile(path))); }

std::optional<std::string> RedriveRefusal(const ExecutionRecord& execution) {
  if (execution.status == "SUCCEEDED") return "it SUCCEEDED: there is nothing to redrive";
  if (execution.status == "RUNNING") {
    return "it is RUNNING (or the process running it died before it could record its end)";
  }
  if (execution.failed_state.empty()) return "no failed state was recorded for it";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(execution.definition_path, ec)) {
    return "its definition file " + execution.definition_path + " is gone";
  }
  std::string now = DefinitionSha256(execution.definition_path);
  if (now != execution.definition_sha256) {
    return "its definition file " + execution.definition_path + " changed since it ran (sha256 " +
           execution.definition_sha256.substr(0, 12) + "... then, " + now.substr(0, 12) +
           "... now); start a new execution instead";
  }
  return std::nullopt;
}

RedrivePoint RedrivePointOf(const ExecutionRecord& execution,
                            const std::vector<HistoryEvent>& events) {
  RedrivePoint point;
  point.state = execution.failed_state;
  point.state_input = execution.failed_state_input;
  point.started = ParseTimestamp(execution.start_date).value_or(Clock::TimePoint());
  point.redrive_count = execution.redrive_count + 1;
  point.last_event_id = events.empty() ? 0 : events.back().id;
  // The interpreter counts invocations per state name, nested states included: so does this.
  for (const auto& event : events) {
    if (event.type == "TaskScheduled") ++point.invocations[event.state];
  }
  return point;
}

std::vector<StateRunTotal> StateRunTotals(db::SqliteDatabase& db) {
  std::vector<StateRunTotal> totals;
  if (!db.HasTable("workflow_events")) return totals;
  auto rows = db.Prepare(kStateRunsSql);
  while (rows.Step()) {
    // Summed in whole milliseconds: julianday's rounding would not add up exactly.
    totals.push_back({.state_machine = rows.Text(0),
                      .state = rows.Text(1),
                      .outcome = rows.Text(2),
                      .runs = rows.Int64(3),
                      .seconds = static_cast<double>(rows.Int64(4)) / 1000});
  }
  return totals;
}

std::map<std::string, int64_t> ExecutionsByStatus(db::SqliteDatabase& db) {
  return db::NumbersByKey<int64_t>(db, "workflow_executions",
                                   "SELECT status, count(*) FROM workflow_executions GROUP BY 1");
}

}  // namespace shoplake::workflow
