// Running state machines: input and output processing, Retry back-off on a ManualClock,
// Catch, timeouts, Parallel and Map with real concurrency, the history.
#include "workflow/interpreter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "workflow/builtin_tasks.h"

namespace shoplake::workflow {
namespace {

using std::chrono::milliseconds;

// Counts how many calls run at once. The first calls wait (up to 10 s) until `together` of
// them run side by side, so real concurrency shows as a peak of `together` however loaded
// the machine is, and a missing one as a lower peak (never a hang).
class ConcurrencyProbe {
 public:
  explicit ConcurrencyProbe(int together) : together_(together) {}

  template <typename Result>
  Result Call(Result result) {
    std::unique_lock<std::mutex> lock(mutex_);
    peak_ = std::max(peak_, ++running_);
    if (peak_ >= together_) wake_.notify_all();
    wake_.wait_for(lock, std::chrono::seconds(10), [&] { return peak_ >= together_; });
    --running_;
    return result;
  }
  int peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    return peak_;
  }

 private:
  const int together_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int running_ = 0;
  int peak_ = 0;
};

struct Harness {
  TaskRegistry registry;
  ManualClock clock;
  ExecutionOptions options;

  Harness() {
    RegisterBuiltinTasks(registry);
    options.clock = &clock;
    options.random_seed = 7;
    options.execution_name = "run-1";
    options.state_machine_name = "Test";
  }
  ExecutionResult Run(const std::string& definition, const json& input = json::object()) {
    StateMachine machine(json::parse(definition));
    EXPECT_TRUE(machine.UnboundResources(registry).empty());
    return machine.Run(input, registry, options);
  }
};

TEST(Interpreter, InputAndOutputProcessingInSpecOrder) {
  Harness h;
  // The spec's example: InputPath, Parameters, ResultSelector, ResultPath, OutputPath.
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:echo",
    "InputPath":"$.order","Parameters":{"id.$":"$.id","fixed":1,"ctx.$":"$$.State.Name"},
    "ResultSelector":{"echoed.$":"$.id","n.$":"$.fixed"},"ResultPath":"$.order.task",
    "OutputPath":"$.order","End":true}}})",
                      json::parse(R"({"order":{"id":"o-1","qty":2},"drop":true})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(result.output, json::parse(R"({"id":"o-1","qty":2,"task":{"echoed":"o-1","n":1}})"));
}

TEST(Interpreter, ResultPathNullKeepsInputAndNullPathsGiveEmptyObjects) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":"ignored","ResultPath":null,"Next":"B"},
    "B":{"Type":"Pass","InputPath":null,"ResultPath":"$.from_b","Next":"C"},
    "C":{"Type":"Pass","OutputPath":null,"End":true}}})",
                      json::parse(R"({"x":1})"));
  EXPECT_EQ(result.output, json::object());
}

TEST(Interpreter, ContextObject) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{
    "name.$":"$$.Execution.Name","input.$":"$$.Execution.Input","state.$":"$$.State.Name",
    "machine.$":"$$.StateMachine.Name","id.$":"$$.Execution.Id","start.$":"$$.Execution.StartTime"},
    "End":true}}})",
                      json::parse(R"({"k":1})"));
  EXPECT_EQ(result.output["name"], "run-1");
  EXPECT_EQ(result.output["input"], json::parse(R"({"k":1})"));
  EXPECT_EQ(result.output["state"], "A");
  EXPECT_EQ(result.output["machine"], "Test");
  EXPECT_EQ(result.output["id"], "arn:shoplake:states:local:execution:Test:run-1");
  EXPECT_EQ(result.output["start"], "2023-11-14T22:13:20.000Z");
}

TEST(Interpreter, RetryBacksOffOnTheClockThenSucceeds) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:flaky",
    "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":4,
              "MaxDelaySeconds":10}],"End":true}}})",
                      json::parse(R"({"failures":3})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  // 2, 2*3 = 6, 2*9 = 18 capped at 10.
  EXPECT_EQ(h.clock.sleeps(), (std::vector<milliseconds>{milliseconds(2000), milliseconds(6000),
                                                         milliseconds(10000)}));
}

TEST(Interpreter, RetryGivesUpAfterMaxAttemptsThenCatches) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:flaky",
    "Retry":[{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":2}],
    "Catch":[{"ErrorEquals":["Other"],"Next":"Never"},{"ErrorEquals":["States.ALL"],
              "ResultPath":"$.err","Next":"Caught"}],"End":true},
    "Never":{"Type":"Succeed"},"Caught":{"Type":"Pass","End":true}}})",
                      json::parse(R"({"failures":5})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded);
  EXPECT_EQ(result.output["err"]["Error"], "Flaky");
  EXPECT_EQ(h.clock.sleeps(), (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000)}));
}

TEST(Interpreter, FullJitterStaysWithinTheDelay) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:flaky",
    "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":4,"JitterStrategy":"FULL"}],"End":true}}})",
                      json::parse(R"({"failures":3})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded);
  auto sleeps = h.clock.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_LE(sleeps[0], milliseconds(4000));
  EXPECT_LE(sleeps[1], milliseconds(8000));
  EXPECT_LE(sleeps[2], milliseconds(16000));
}

TEST(Interpreter, RuntimeErrorsAreNeverCaught) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:echo",
    "InputPath":"$.missing","Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
    "C":{"Type":"Succeed"}}})");
  EXPECT_EQ(result.status, ExecutionResult::Status::kFailed);
  EXPECT_EQ(result.error, "States.Runtime");
}

TEST(Interpreter, TaskTimeoutOnTheClock) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:sleep",
    "TimeoutSeconds":5,"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Wrong"},
    {"ErrorEquals":["States.Timeout"],"Next":"Timed"}],"End":true},
    "Wrong":{"Type":"Fail","Error":"Wrong"},"Timed":{"Type":"Pass","End":true}}})",
                      json::parse(R"({"seconds":6})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.error;
  EXPECT_EQ(result.output["Error"], "States.Timeout");
}

// Issue 15 item 14: a timed-out task's thread was detached and went on running after the
// execution ended. Now its cancellation is raised and the run waits for it to return.
TEST(Interpreter, ATimedOutTaskIsCancelledAndWaitedFor) {
  Harness h;
  auto stopped = std::make_shared<std::atomic<bool>>(false);
  h.registry.Register("test:block", [stopped](const json& input, TaskContext& context) {
    context.Sleep(milliseconds(5000));  // on the ManualClock: past the task's 1 s at once
    while (!context.cancelled()) std::this_thread::sleep_for(milliseconds(1));
    // Winding down takes a while (an ingest finishing an object): the run waits for it.
    std::this_thread::sleep_for(milliseconds(50));
    stopped->store(true);
    return input;
  });
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"test:block",
    "TimeoutSeconds":1,"End":true}}})");
  EXPECT_EQ(result.error, "States.Timeout");
  EXPECT_TRUE(stopped->load()) << "the run ended before its task stopped";
  EXPECT_EQ(result.history.back().type, "ExecutionFailed");
}

TEST(Interpreter, AnExecutionTimeoutCancelsAndWaitsForItsRunningTask) {
  Harness h;
  auto stopped = std::make_shared<std::atomic<bool>>(false);
  h.registry.Register("test:block", [stopped](const json& input, TaskContext& context) {
    context.Sleep(milliseconds(20000));  // past the execution's 10 s
    while (!context.cancelled()) std::this_thread::sleep_for(milliseconds(1));
    std::this_thread::sleep_for(milliseconds(50));
    stopped->store(true);
    return input;
  });
  auto result = h.Run(R"({"StartAt":"T","TimeoutSeconds":10,"States":{"T":{"Type":"Task",
    "Resource":"test:block","End":true}}})");
  EXPECT_TRUE(result.timed_out);
  EXPECT_TRUE(stopped->load()) << "the run ended before its task stopped";
}

// Issue 15 item 14: a Retry's back-off slept past the execution's deadline, so
// ExecutionTimedOut came MaxDelaySeconds late.
TEST(Interpreter, RetryBackOffStopsAtTheExecutionDeadline) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","TimeoutSeconds":10,"States":{"T":{"Type":"Task",
    "Resource":"shoplake:fail","Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":60,
    "MaxAttempts":3}],"End":true}}})");
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.history.back().type, "ExecutionTimedOut");
  EXPECT_EQ(h.clock.sleeps(), std::vector<milliseconds>{milliseconds(10000)});
  EXPECT_EQ(result.history.back().timestamp, "2023-11-14T22:13:30.000Z");  // start + 10 s
}

// Issue 15 item 9: a loop that never takes its way out wrote 341,923 events in 10 s. As on
// AWS, an execution's history holds at most 25,000 events; then it fails with States.Runtime.
TEST(Interpreter, AHistoryOf25000EventsFailsTheExecution) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Again?"},
    "Again?":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],
              "Default":"A"},"Done":{"Type":"Succeed"}}})");
  EXPECT_EQ(result.status, ExecutionResult::Status::kFailed);
  EXPECT_EQ(result.error, "States.Runtime");
  EXPECT_NE(result.cause.find("25000 events"), std::string::npos) << result.cause;
  ASSERT_EQ(result.history.size(), 25000u);
  EXPECT_EQ(result.history.back().type, "ExecutionFailed");
  EXPECT_EQ(result.history.back().id, 25000);
}

TEST(Interpreter, AMapThatOutgrowsTheHistoryFailsAndCannotBeCaught) {
  Harness h;
  h.options.max_history_events = 50;
  json items = json::array();
  for (int i = 0; i < 100; ++i) items.push_back(i);
  auto result = h.Run(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{
    "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
    "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
    "Caught":{"Type":"Succeed"}}})",
                      items);
  EXPECT_EQ(result.status, ExecutionResult::Status::kFailed);
  EXPECT_EQ(result.error, "States.Runtime");
  EXPECT_EQ(result.history.size(), 50u);
  EXPECT_EQ(result.history.back().type, "ExecutionFailed");
}

TEST(Interpreter, AStopEndsTheExecutionAbortedAfterItsTaskStops) {
  Harness h;
  ExecutionStop stop;
  h.options.stop = &stop;
  auto stopped = std::make_shared<std::atomic<bool>>(false);
  h.registry.Register("test:stop", [&stop, stopped](const json& input, TaskContext& context) {
    stop.Request("stopped by SIGTERM (test)");
    while (!context.cancelled()) std::this_thread::sleep_for(milliseconds(1));
    stopped->store(true);
    return input;
  });
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"test:stop",
    "Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],
    "Next":"Caught"}],"Next":"Caught"},"Caught":{"Type":"Succeed"}}})");
  EXPECT_EQ(result.status, ExecutionResult::Status::kAborted);
  EXPECT_EQ(result.error, "Shoplake.Aborted");
  EXPECT_EQ(result.cause, "stopped by SIGTERM (test)");
  EXPECT_EQ(result.failed_state, "T");
  EXPECT_EQ(result.history.back().type, "ExecutionAborted");
  EXPECT_TRUE(stopped->load());
}

TEST(Interpreter, ExecutionTimeoutIsNotCatchable) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"W","TimeoutSeconds":10,"States":{
    "W":{"Type":"Wait","Seconds":60,"Next":"T"},
    "T":{"Type":"Task","Resource":"shoplake:echo","End":true}}})");
  EXPECT_EQ(result.error, "States.Timeout");
  EXPECT_EQ(result.history.back().type, "ExecutionTimedOut");
  EXPECT_EQ(h.clock.sleeps(), std::vector<milliseconds>{milliseconds(10000)});
}

TEST(Interpreter, WaitForms) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"A","States":{
    "A":{"Type":"Wait","Seconds":3,"Next":"B"},
    "B":{"Type":"Wait","SecondsPath":"$.s","Next":"C"},
    "C":{"Type":"Wait","TimestampPath":"$.until","Next":"D"},
    "D":{"Type":"Wait","Timestamp":"2000-01-01T00:00:00Z","End":true}}})",
                      json::parse(R"({"s":4,"until":"2023-11-14T22:13:47Z"})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  // Start 22:13:20; after 3 s and 4 s it is 22:13:27; the timestamp is 20 s later; D is past.
  EXPECT_EQ(h.clock.sleeps(), (std::vector<milliseconds>{milliseconds(3000), milliseconds(4000),
                                                         milliseconds(20000)}));
}

TEST(Interpreter, ParallelRunsBranchesConcurrentlyInBranchOrder) {
  Harness h;
  h.options.clock = nullptr;
  ConcurrencyProbe probe(3);
  h.registry.Register("test:probe",
                      [&](const json& input, TaskContext&) { return probe.Call(input); });
  auto result = h.Run(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"test:probe","Parameters":{"b":0},"End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"test:probe","Parameters":{"b":1},"End":true}}},
    {"StartAt":"C","States":{"C":{"Type":"Task","Resource":"test:probe","Parameters":{"b":2},"End":true}}}]}}})");
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded);
  EXPECT_EQ(result.output, json::parse(R"([{"b":0},{"b":1},{"b":2}])"));
  EXPECT_EQ(probe.peak(), 3);
}

TEST(Interpreter, ParallelFailsWithTheBranchError) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"Boom","Cause":"branch 1"}}}]}}})");
  EXPECT_EQ(result.error, "Boom");
  EXPECT_EQ(result.cause, "branch 1");
}

TEST(Interpreter, MapMaxConcurrencyBoundsAndUsesRealConcurrency) {
  Harness h;
  h.options.clock = nullptr;
  ConcurrencyProbe probe(2);
  h.registry.Register("test:probe", [&](const json& input, TaskContext&) {
    return probe.Call(json(input.get<int>() * 10));
  });
  auto result = h.Run(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,
    "ItemsPath":"$.items","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"test:probe","End":true}}},"End":true}}})",
                      json::parse(R"({"items":[1,2,3,4,5,6,7,8]})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(result.output, json::parse("[10,20,30,40,50,60,70,80]"));
  EXPECT_EQ(probe.peak(), 2);
}

TEST(Interpreter, MapToleratedFailures) {
  Harness h;
  const std::string definition = R"({"StartAt":"M","States":{"M":{"Type":"Map",
    "ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":0,"Next":"Bad"}],"Default":"Ok"},
      "Bad":{"Type":"Fail","Error":"Zero","Cause":"zero"},"Ok":{"Type":"Pass","End":true}}},"End":true}}})";
  auto one = h.Run(definition, json::parse("[1,0,2]"));
  ASSERT_EQ(one.status, ExecutionResult::Status::kSucceeded) << one.cause;
  EXPECT_EQ(one.output, json::parse(R"([1,{"Error":"Zero","Cause":"zero"},2])"));
  auto two = h.Run(definition, json::parse("[0,0,2]"));
  EXPECT_EQ(two.error, "States.ExceedToleratedFailureThreshold");
}

TEST(Interpreter, HistoryRecordsTheRun) {
  Harness h;
  auto result = h.Run(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"shoplake:echo",
    "Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"S"}]},
    "S":{"Type":"Succeed"}}})",
                      json::parse(R"({"a":1})"));
  std::vector<std::string> types;
  for (const auto& e : result.history) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{
                       "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskSucceeded",
                       "TaskStateExited", "ChoiceStateEntered", "ChoiceStateExited",
                       "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(result.history[2].details["resource"], "shoplake:echo");
  EXPECT_EQ(result.history.back().id, 10);
}

}  // namespace
}  // namespace shoplake::workflow
