// Executions persisted in SQLite: the rows and event sequences a success, a retried task, a
// caught failure, a Map (events from threads) and a timeout leave; redrive continuing a
// failed execution to SUCCEEDED; what refuses a redrive; recording errors.
#include "workflow/history.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "common/files.h"
#include "support/temp_folder.h"
#include "workflow/builtin_tasks.h"

namespace shoplake::workflow {
namespace {

using shoplake::testing::TempFolder;

std::vector<std::string> Types(const std::vector<HistoryEvent>& events) {
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.type);
  return types;
}

// Runs definitions written to a temporary folder with their history in its catalog.db,
// as `shoplake workflow run` does.
struct HistoryHarness {
  TempFolder folder{"shoplake-history"};
  TaskRegistry registry;
  ManualClock clock;
  std::unique_ptr<ExecutionHistory> history;

  HistoryHarness() {
    RegisterBuiltinTasks(registry);
    history = std::make_unique<ExecutionHistory>((folder.path() / "catalog.db").string());
  }

  std::string Write(const std::string& file, const std::string& definition) {
    std::string path = (folder.path() / file).string();
    WriteFileAtomically(path, definition);
    return path;
  }

  ExecutionResult Run(const std::string& path, const std::string& name,
                      const json& input = json::object(),
                      std::optional<RedrivePoint> redrive = std::nullopt) {
    StateMachine machine(json::parse(ReadFile(path)));
    ExecutionRecord definition;
    definition.state_machine = "machine";
    definition.definition_path = path;
    definition.definition_sha256 = DefinitionSha256(path);
    HistoryRecorder recorder(*history, definition);
    ExecutionOptions options;
    options.clock = &clock;
    options.random_seed = 7;
    options.state_machine_name = "machine";
    options.execution_name = name;
    options.listener = &recorder;
    options.redrive = std::move(redrive);
    ExecutionResult result = machine.Run(input, registry, options);
    EXPECT_FALSE(recorder.failure()) << recorder.failure()->what();
    return result;
  }

  ExecutionRecord Record(const std::string& name) {
    auto found = history->Find(ExecutionArn("machine", name));
    EXPECT_TRUE(found) << name;
    return found.value_or(ExecutionRecord{});
  }

  // The stored events equal the ones the run returned, numbered 1, 2, ... each after the
  // one before.
  std::vector<HistoryEvent> CheckedEvents(const std::string& name, const ExecutionResult& result) {
    auto stored = history->Events(ExecutionArn("machine", name));
    EXPECT_EQ(stored.size(), result.history.size());
    for (size_t i = 0; i < stored.size() && i < result.history.size(); ++i) {
      EXPECT_EQ(stored[i].ToJson(), result.history[i].ToJson()) << "event " << i + 1;
      EXPECT_EQ(stored[i].id, static_cast<int64_t>(i) + 1);
      EXPECT_EQ(stored[i].previous_id, static_cast<int64_t>(i));
    }
    return stored;
  }
};

TEST(ExecutionHistory, ASuccessIsOneRowAndItsEvents) {
  HistoryHarness h;
  std::string path = h.Write("ok.json", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"shoplake:echo","ResultPath":"$.echo","End":true}}})");
  auto result = h.Run(path, "ok", json::parse(R"({"a":1})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;

  ExecutionRecord r = h.Record("ok");
  EXPECT_EQ(r.arn, "arn:shoplake:states:local:execution:machine:ok");
  EXPECT_EQ(r.name, "ok");
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(r.input, json::parse(R"({"a":1})"));
  EXPECT_EQ(r.output, json::parse(R"({"a":1,"echo":{"a":1}})"));
  EXPECT_EQ(r.definition_path, path);
  EXPECT_EQ(r.definition_sha256, DefinitionSha256(path));
  EXPECT_EQ(r.definition_sha256.size(), 64u);
  EXPECT_EQ(r.start_date, "2023-11-14T22:13:20.000Z");  // the ManualClock's start
  EXPECT_EQ(r.stop_date, r.start_date);                 // nothing advanced the clock
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.failed_state, "");
  EXPECT_EQ(r.redrive_count, 0);

  auto events = h.CheckedEvents("ok", result);
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(events[0].details, json::parse(R"({"input":{"a":1},"name":"ok"})"));
  EXPECT_EQ(events[1].state, "T");
  EXPECT_EQ(events[0].state, "");
  EXPECT_EQ(events[2].details["resource"], "shoplake:echo");

  json described = r.ToJson();
  EXPECT_EQ(described["status"], "SUCCEEDED");
  EXPECT_EQ(described["stateMachineArn"], "arn:shoplake:states:local:stateMachine:machine");
  EXPECT_EQ(described["output"], r.output);
  EXPECT_FALSE(described.contains("error"));
}

TEST(ExecutionHistory, ARetriedTaskRecordsEachAttempt) {
  HistoryHarness h;
  std::string path = h.Write("retry.json", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"shoplake:flaky","Parameters":{"failures":2},
         "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"BackoffRate":2}],"End":true}}})");
  auto result = h.Run(path, "retry");
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  auto events = h.CheckedEvents("retry", result);
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskFailed", "TaskStateRetry", "TaskScheduled", "TaskFailed",
                                      "TaskStateRetry", "TaskScheduled", "TaskSucceeded",
                                      "TaskStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(events[3].details["error"], "Flaky");
  EXPECT_EQ(events[4].details["retryCount"], 1);
  EXPECT_EQ(events[4].details["delayMilliseconds"], 1000);
  EXPECT_EQ(events[7].details["retryCount"], 2);
  EXPECT_EQ(events[7].details["delayMilliseconds"], 2000);
  // The back-off ran on the execution's clock: the stop date is 3 s after the start.
  ExecutionRecord r = h.Record("retry");
  EXPECT_EQ(r.stop_date, "2023-11-14T22:13:23.000Z");
}

TEST(ExecutionHistory, ACaughtFailureRecordsTheCatchAndSucceeds) {
  HistoryHarness h;
  std::string path = h.Write("catch.json", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"shoplake:fail","Parameters":{"error":"Boom","cause":"bad row"},
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.failure","Next":"Handled"}],
         "End":true},
    "Handled":{"Type":"Pass","End":true}}})");
  auto result = h.Run(path, "catch");
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  auto events = h.CheckedEvents("catch", result);
  EXPECT_EQ(Types(events), (std::vector<std::string>{
                               "ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                               "TaskFailed", "TaskStateCaught", "TaskStateExited",
                               "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(events[4].details,
            json::parse(R"({"error":"Boom","cause":"bad row","next":"Handled"})"));
  EXPECT_EQ(h.Record("catch").output,
            json::parse(R"({"failure":{"Error":"Boom","Cause":"bad row"}})"));
}

TEST(ExecutionHistory, AMapRecordsEveryIterationFromItsThreads) {
  HistoryHarness h;
  std::string path = h.Write("map.json", R"({"StartAt":"M","States":{
    "M":{"Type":"Map","MaxConcurrency":4,"ItemProcessor":{"StartAt":"Echo","States":{
      "Echo":{"Type":"Task","Resource":"shoplake:echo","End":true}}},"End":true}}})");
  auto result = h.Run(path, "map", json::parse("[1,2,3,4,5,6,7,8]"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(h.Record("map").output, json::parse("[1,2,3,4,5,6,7,8]"));
  auto events = h.CheckedEvents("map", result);
  // 1 start + Map entered/started + 8 x (iteration started, task entered, scheduled,
  // succeeded, exited, iteration succeeded) + map succeeded/exited + 1 end.
  ASSERT_EQ(events.size(), 1u + 2u + 8u * 6u + 2u + 1u);
  std::multiset<int> started;
  std::multiset<int> succeeded;
  for (const auto& e : events) {
    if (e.type == "MapIterationStarted") started.insert(e.details["index"].get<int>());
    if (e.type == "MapIterationSucceeded") succeeded.insert(e.details["index"].get<int>());
  }
  const std::multiset<int> all = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(started, all);
  EXPECT_EQ(succeeded, all);
  EXPECT_EQ(events[2].type, "MapStateStarted");
  EXPECT_EQ(events[2].details["length"], 8);
  EXPECT_EQ(events[events.size() - 3].type, "MapStateSucceeded");
}

TEST(ExecutionHistory, ATimeoutIsTimedOutAndRemembersTheStateItStopped) {
  HistoryHarness h;
  std::string path = h.Write("timeout.json", R"({"TimeoutSeconds":2,"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"waited":true},"Next":"W"},
    "W":{"Type":"Wait","Seconds":10,"End":true}}})");
  auto result = h.Run(path, "slow");
  ASSERT_EQ(result.status, ExecutionResult::Status::kFailed);
  EXPECT_TRUE(result.timed_out);
  ExecutionRecord r = h.Record("slow");
  EXPECT_EQ(r.status, "TIMED_OUT");
  EXPECT_EQ(r.error, "States.Timeout");
  EXPECT_EQ(r.failed_state, "W");
  EXPECT_EQ(r.failed_state_input, json::parse(R"({"waited":true})"));
  EXPECT_EQ(h.CheckedEvents("slow", result).back().type, "ExecutionTimedOut");
}

TEST(ExecutionHistory, RedriveContinuesAFailedExecutionFromTheFailedState) {
  HistoryHarness h;
  // Prepare runs once; Load fails on its first invocation, as a server that is down would.
  std::string path = h.Write("redrive.json", R"({"StartAt":"Prepare","States":{
    "Prepare":{"Type":"Task","Resource":"shoplake:echo","Parameters":{"failures":1,"day":"mon"},
               "Next":"Load"},
    "Load":{"Type":"Task","Resource":"shoplake:flaky",
            "Parameters":{"failures.$":"$.failures","day.$":"$.day",
                          "redrive.$":"$$.Execution.RedriveCount"},"End":true}}})");
  auto first = h.Run(path, "r1", json::parse(R"({"run":1})"));
  ASSERT_EQ(first.status, ExecutionResult::Status::kFailed);
  EXPECT_EQ(first.error, "Flaky");
  EXPECT_EQ(first.failed_state, "Load");
  ExecutionRecord failed = h.Record("r1");
  EXPECT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.failed_state, "Load");
  EXPECT_EQ(failed.failed_state_input, json::parse(R"({"failures":1,"day":"mon"})"));
  EXPECT_FALSE(RedriveRefusal(failed)) << *RedriveRefusal(failed);
  const size_t first_events = first.history.size();

  h.clock.Advance(std::chrono::seconds(60));
  RedrivePoint point = RedrivePointOf(failed, h.history->Events(failed.arn));
  EXPECT_EQ(point.state, "Load");
  EXPECT_EQ(point.redrive_count, 1);
  EXPECT_EQ(point.last_event_id, static_cast<int64_t>(first_events));
  EXPECT_EQ(point.invocations, (std::map<std::string, int>{{"Prepare", 1}, {"Load", 1}}));
  auto second = h.Run(path, "r1", failed.input, point);
  ASSERT_EQ(second.status, ExecutionResult::Status::kSucceeded) << second.cause;
  EXPECT_EQ(second.execution_id, first.execution_id);
  EXPECT_EQ(second.output, json::parse(R"({"failures":1,"day":"mon","redrive":1})"));

  ExecutionRecord done = h.Record("r1");
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.redrive_count, 1);
  EXPECT_EQ(done.redrive_date, "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(done.start_date, failed.start_date);  // the first start stays
  EXPECT_EQ(done.input, json::parse(R"({"run":1})"));
  EXPECT_EQ(done.error, "");
  EXPECT_EQ(done.failed_state, "");
  EXPECT_EQ(RedriveRefusal(done), "it SUCCEEDED: there is nothing to redrive");

  // The earlier events stay; the redrive's follow them, Prepare is not run again.
  auto events = h.history->Events(done.arn);
  ASSERT_EQ(events.size(), first_events + second.history.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].id, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(events[i].previous_id, static_cast<int64_t>(i));
  }
  std::vector<std::string> types = Types(events);
  std::vector<std::string> after(types.begin() + static_cast<long>(first_events), types.end());
  EXPECT_EQ(after,
            (std::vector<std::string>{"ExecutionRedriven", "TaskStateEntered", "TaskScheduled",
                                      "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(events[first_events].details, json::parse(R"({"redriveCount":1})"));
  EXPECT_EQ(events[first_events + 1].state, "Load");
  EXPECT_EQ(events[first_events + 1].details["input"], failed.failed_state_input);
}

TEST(ExecutionHistory, RedriveIsRefusedForRunningOrChangedDefinitions) {
  HistoryHarness h;
  std::string path = h.Write("fail.json", R"({"StartAt":"F","States":{
    "F":{"Type":"Fail","Error":"Nope"}}})");
  auto result = h.Run(path, "f");
  ASSERT_EQ(result.error, "Nope");
  ExecutionRecord r = h.Record("f");
  EXPECT_FALSE(RedriveRefusal(r));

  ExecutionRecord running = r;
  running.status = "RUNNING";
  EXPECT_EQ(RedriveRefusal(running),
            "it is RUNNING (or the process running it died before it could record its end)");

  std::ofstream(path, std::ios::app) << "\n";  // the same machine, other bytes
  auto changed = RedriveRefusal(r);
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->find("its definition file " + path + " changed since it ran"),
            std::string::npos)
      << *changed;
  std::filesystem::remove(path);
  EXPECT_EQ(RedriveRefusal(r), "its definition file " + path + " is gone");
}

TEST(ExecutionHistory, NamesResolveToOneExecutionOrSayWhatToDo) {
  HistoryHarness h;
  std::string path = h.Write("echo.json", R"({"StartAt":"P","States":{"P":{"Type":"Pass",
    "End":true}}})");
  h.Run(path, "same");
  EXPECT_EQ(ResolveExecution(*h.history, "same").arn, ExecutionArn("machine", "same"));
  EXPECT_EQ(ResolveExecution(*h.history, ExecutionArn("machine", "same")).name, "same");
  try {
    ResolveExecution(*h.history, "other");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.message(), "no execution 'other' in the workflow history");
  }
  // The same name under another state machine makes the name ambiguous.
  ExecutionRecord twin;
  twin.arn = ExecutionArn("other-machine", "same");
  twin.name = "same";
  twin.state_machine = "other-machine";
  twin.input = json::object();
  twin.start_date = "2024-01-01T00:00:00.000Z";
  h.history->Begin(twin);
  try {
    ResolveExecution(*h.history, "same");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.hint().find(twin.arn), std::string::npos) << e.hint();
  }
  auto listed = h.history->List(10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].arn, twin.arn);  // most recently started first
  EXPECT_EQ(h.history->List(1).size(), 1u);
}

TEST(ExecutionHistory, RecordingErrorsNeverFailTheExecution) {
  HistoryHarness h;
  std::string path = h.Write("p.json", R"({"StartAt":"P","States":{"P":{"Type":"Pass",
    "End":true}}})");
  h.Run(path, "dup");
  // A second execution under an ARN already recorded cannot be inserted.
  StateMachine machine(json::parse(ReadFile(path)));
  HistoryRecorder recorder(*h.history, ExecutionRecord{});
  ExecutionOptions options;
  options.clock = &h.clock;
  options.state_machine_name = "machine";
  options.execution_name = "dup";
  options.listener = &recorder;
  auto result = machine.Run(json::object(), h.registry, options);
  EXPECT_EQ(result.status, ExecutionResult::Status::kSucceeded);
  ASSERT_TRUE(recorder.failure());
  EXPECT_EQ(recorder.failure()->code(), ErrorCode::kData);
  EXPECT_EQ(h.history->Events(ExecutionArn("machine", "dup")).size(), 4u);  // the first run's
}

TEST(ExecutionHistory, TheSchemaIsVersionedAsAComponentOfTheCatalogFile) {
  HistoryHarness h;
  std::string path = (h.folder.path() / "catalog.db").string();
  ExecutionHistory again(path);  // reopening migrates nothing and loses nothing
  db::SqliteDatabase db(path);
  auto row = db.Prepare("SELECT version FROM shoplake_schema WHERE component = 'workflow'");
  ASSERT_TRUE(row.Step());
  EXPECT_EQ(row.Int64(0), 2);
}

// Issue 15 item 9: an execution whose process was killed (kill -9) stayed RUNNING forever.
// Its owner (host, pid, process start) is recorded; reopening the history marks it ABORTED.
TEST(ExecutionHistory, TheRunningExecutionsOfADeadProcessBecomeAborted) {
  HistoryHarness h;
  auto begin = [&](const std::string& name) {
    ExecutionRecord record;
    record.arn = ExecutionArn("machine", name);
    record.name = name;
    record.state_machine = "machine";
    record.definition_path = "/nowhere.json";
    record.definition_sha256 = "0";
    record.input = json::object();
    record.start_date = "2023-11-14T22:13:20.000Z";
    h.history->Begin(record);
    HistoryEvent started{1, 0, record.start_date, "ExecutionStarted", "", json::object()};
    h.history->Append(record.arn, started);
  };
  // killed: in a Map's iteration when its process died.
  auto append = [&](int64_t id, const std::string& type, const std::string& state, json details) {
    HistoryEvent event{id,   id - 1, "2023-11-14T22:13:2" + std::to_string(id) + ".000Z",
                       type, state,  std::move(details)};
    h.history->Append(ExecutionArn("machine", "killed"), event);
  };
  begin("killed");
  append(2, "PassStateEntered", "Prepare", {{"input", {{"day", 1}}}});
  append(3, "PassStateExited", "Prepare", {{"output", {{"day", 2}}}});
  append(4, "MapStateEntered", "Each", {{"input", {{"day", 2}}}});
  append(5, "MapStateStarted", "Each", {{"length", 1}});
  append(6, "PassStateEntered", "Inner", {{"input", 1}});
  begin("alive");
  begin("elsewhere");
  // A pid that no longer runs: a child that has exited and been reaped.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  {
    db::SqliteDatabase db((h.folder.path() / "catalog.db").string());
    db.Prepare("UPDATE workflow_owners SET pid = ? WHERE execution_arn = ?")
        .Bind(1, int64_t{child})
        .Bind(2, ExecutionArn("machine", "killed"))
        .Run();
    db.Prepare("UPDATE workflow_owners SET host = 'another-host', pid = ? WHERE execution_arn = ?")
        .Bind(1, int64_t{child})
        .Bind(2, ExecutionArn("machine", "elsewhere"))
        .Run();
  }
  ExecutionHistory reopened((h.folder.path() / "catalog.db").string());
  auto killed = reopened.Find(ExecutionArn("machine", "killed"));
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->status, "ABORTED");
  EXPECT_EQ(killed->error, "Shoplake.Aborted");
  EXPECT_NE(killed->cause.find("(pid " + std::to_string(child) + " on "), std::string::npos)
      << killed->cause;
  EXPECT_EQ(killed->stop_date, "2023-11-14T22:13:26.000Z");  // its last event's time
  EXPECT_EQ(killed->ToJson()["status"], "ABORTED");
  // A redrive resumes the top-level state it was in (not the Map's inner state).
  EXPECT_EQ(killed->failed_state, "Each");
  EXPECT_EQ(killed->failed_state_input, json({{"day", 2}}));
  auto events = reopened.Events(killed->arn);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events.back().type, "ExecutionAborted");
  EXPECT_EQ(events.back().id, 7);
  // This process still runs its execution; another host's process cannot be checked.
  EXPECT_EQ(reopened.Find(ExecutionArn("machine", "alive"))->status, "RUNNING");
  EXPECT_EQ(reopened.Find(ExecutionArn("machine", "elsewhere"))->status, "RUNNING");
  EXPECT_EQ(reopened.AbortOrphans(), 0);  // once only
}

TEST(ExecutionHistory, AStoppedExecutionIsAbortedAndRedrivable) {
  HistoryHarness h;
  std::string path = h.Write("stop.json", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"test:stop","End":true}}})");
  ExecutionStop stop;
  h.registry.Register("test:stop", [&stop](const json& input, TaskContext& context) {
    stop.Request("stopped by SIGTERM (test)");
    while (!context.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return input;
  });
  StateMachine machine(json::parse(ReadFile(path)));
  ExecutionRecord definition;
  definition.state_machine = "machine";
  definition.definition_path = path;
  definition.definition_sha256 = DefinitionSha256(path);
  HistoryRecorder recorder(*h.history, definition);
  ExecutionOptions options;
  options.clock = &h.clock;
  options.state_machine_name = "machine";
  options.execution_name = "stopped";
  options.listener = &recorder;
  options.stop = &stop;
  auto result = machine.Run(json::object(), h.registry, options);
  EXPECT_EQ(result.ToJson(), json({{"status", "ABORTED"},
                                   {"error", "Shoplake.Aborted"},
                                   {"cause", "stopped by SIGTERM (test)"}}));
  ExecutionRecord r = h.Record("stopped");
  EXPECT_EQ(r.status, "ABORTED");
  EXPECT_EQ(r.failed_state, "T");
  EXPECT_EQ(h.CheckedEvents("stopped", result).back().type, "ExecutionAborted");
  EXPECT_FALSE(RedriveRefusal(r));
}

}  // namespace
}  // namespace shoplake::workflow
