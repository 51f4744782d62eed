// The top-level state runs (/metrics' stage durations) read from a hand-made workflow history.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "db/sqlite.h"
#include "support/temp_folder.h"
#include "workflow/history.h"

namespace shoplake::workflow {
namespace {

//! One hand-made event: its type, its state ("" for the execution's own), its time of day.
struct Step {
  const char* type;
  const char* state;
  const char* time = "00:00:00.000";
};

//! Records an execution of `state_machine` with `steps` as its events, numbered from 1.
void Record(ExecutionHistory& history, const std::string& state_machine, const std::string& name,
            const std::vector<Step>& steps) {
  ExecutionRecord record;
  record.arn = "arn:" + state_machine + ":" + name;
  record.name = name;
  record.state_machine = state_machine;
  record.definition_path = "/nowhere/" + state_machine + ".asl.json";
  record.definition_sha256 = "0";
  record.input = json::object();
  record.start_date = "2026-11-27T00:00:00.000Z";
  history.Begin(record);
  int64_t id = 0;
  for (const auto& step : steps) {
    HistoryEvent event;
    event.id = ++id;
    event.previous_id = id - 1;
    event.timestamp = std::string("2026-11-27T") + step.time + "Z";
    event.type = step.type;
    event.state = step.state;
    history.Append(record.arn, event);
  }
}

std::string Key(const StateRunTotal& t) {
  return t.state_machine + "/" + t.state + "/" + t.outcome;
}

TEST(StateRunTotals, NoHistoryNoRuns) {
  testing::TempFolder folder;
  db::SqliteDatabase db((folder.path() / "catalog.db").string());
  EXPECT_TRUE(StateRunTotals(db).empty());
}

TEST(StateRunTotals, SumsTopLevelRunsByStateAndOutcome) {
  testing::TempFolder folder;
  std::string path = (folder.path() / "catalog.db").string();
  ExecutionHistory history(path);
  // Succeeded, a Map whose inner state is not counted, caught, failed then redriven.
  Record(history, "pipeline", "one",
         {
             {"ExecutionStarted", ""},
             {"PassStateEntered", "Ingest", "00:00:00.000"},
             {"PassStateExited", "Ingest", "00:00:01.500"},
             {"MapStateEntered", "Fanout", "00:00:01.500"},
             {"MapStateStarted", "Fanout"},
             {"MapIterationStarted", "Fanout"},
             {"TaskStateEntered", "Inner", "00:00:01.600"},
             {"TaskStateExited", "Inner", "00:00:01.700"},
             {"MapIterationSucceeded", "Fanout"},
             {"MapStateSucceeded", "Fanout"},
             {"MapStateExited", "Fanout", "00:00:03.750"},
             {"TaskStateEntered", "Load", "00:00:04.000"},
             {"TaskFailed", "Load"},
             {"TaskStateCaught", "Load"},
             {"TaskStateExited", "Load", "00:00:04.250"},
             {"TaskStateEntered", "Publish", "00:00:05.000"},
             {"TaskFailed", "Publish"},
             {"ExecutionFailed", "", "00:00:06.001"},
             {"ExecutionRedriven", "", "00:01:00.000"},
             {"TaskStateEntered", "Publish", "00:01:00.000"},
             {"TaskStateExited", "Publish", "00:01:02.000"},
             {"ExecutionSucceeded", "", "00:01:02.000"},
         });
  // A Map timed out inside an iteration (no MapStateFailed), then redriven: the redrive's
  // states are top-level again.
  Record(history, "pipeline", "two",
         {
             {"ExecutionStarted", ""},
             {"MapStateEntered", "Fanout", "10:00:00.000"},
             {"MapStateStarted", "Fanout"},
             {"MapIterationStarted", "Fanout"},
             {"TaskStateEntered", "Inner", "10:00:00.100"},
             {"ExecutionTimedOut", "", "10:00:09.000"},
             {"ExecutionRedriven", "", "10:01:00.000"},
             {"MapStateEntered", "Fanout", "10:01:00.000"},
             {"MapStateStarted", "Fanout"},
             {"MapStateSucceeded", "Fanout"},
             {"MapStateExited", "Fanout", "10:01:00.500"},
         });
  // Another state machine, still running: its Parallel's branch is not counted, nor the
  // state it is in.
  Record(history, "flow", "three",
         {
             {"ExecutionStarted", ""},
             {"ParallelStateEntered", "Split", "12:00:00.000"},
             {"ParallelStateStarted", "Split"},
             {"PassStateEntered", "Branch", "12:00:00.001"},
             {"PassStateExited", "Branch", "12:00:00.002"},
             {"ParallelStateSucceeded", "Split"},
             {"ParallelStateExited", "Split", "12:00:00.010"},
             {"TaskStateEntered", "Work", "12:00:00.010"},
         });

  db::SqliteDatabase db(path);
  auto totals = StateRunTotals(db);
  std::vector<std::string> keys;
  for (const auto& t : totals) keys.push_back(Key(t));
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "flow/Split/succeeded", "pipeline/Fanout/failed", "pipeline/Fanout/succeeded",
                      "pipeline/Ingest/succeeded", "pipeline/Load/caught",
                      "pipeline/Publish/failed", "pipeline/Publish/succeeded"}));
  std::map<std::string, std::pair<int64_t, double>> got;
  for (const auto& t : totals) got[Key(t)] = {t.runs, t.seconds};
  using Runs = std::pair<int64_t, double>;
  EXPECT_EQ(got["flow/Split/succeeded"], Runs(1, 0.01));
  EXPECT_EQ(got["pipeline/Fanout/failed"], Runs(1, 9.0));  // entered to ExecutionTimedOut
  EXPECT_EQ(got["pipeline/Fanout/succeeded"], Runs(2, 2.75));
  EXPECT_EQ(got["pipeline/Ingest/succeeded"], Runs(1, 1.5));
  EXPECT_EQ(got["pipeline/Load/caught"], Runs(1, 0.25));
  EXPECT_EQ(got["pipeline/Publish/failed"], Runs(1, 1.001));  // entered to ExecutionFailed
  EXPECT_EQ(got["pipeline/Publish/succeeded"], Runs(1, 2.0));
}

}  // namespace
}  // namespace shoplake::workflow
