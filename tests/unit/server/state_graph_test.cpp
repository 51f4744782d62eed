// The execution graph: outcomes read from events the way the Step Functions console colours
// states, and the layered layout of a definition's states and transitions.
#include "server/state_graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

namespace shoplake::server {
namespace {

workflow::HistoryEvent Event(const std::string& type, const std::string& state) {
  workflow::HistoryEvent event;
  event.type = type;
  event.state = state;
  return event;
}

TEST(StateOutcomes, FromEvents) {
  std::vector<workflow::HistoryEvent> events = {
      Event("ExecutionStarted", ""),  Event("PassStateEntered", "A"), Event("PassStateExited", "A"),
      Event("TaskStateEntered", "B"), Event("TaskFailed", "B"),       Event("TaskStateCaught", "B"),
      Event("TaskStateExited", "B"),  Event("TaskStateEntered", "C"), Event("TaskFailed", "C"),
      Event("FailStateEntered", "D")};
  auto outcomes = StateOutcomes(events, "FAILED");
  EXPECT_EQ(outcomes["A"], "succeeded");
  EXPECT_EQ(outcomes["B"], "caught");
  EXPECT_EQ(outcomes["C"], "failed");
  EXPECT_EQ(outcomes["D"], "failed");
  EXPECT_EQ(outcomes.count("E"), 0u);
  EXPECT_EQ(StateOutcomes({Event("TaskStateEntered", "X")}, "RUNNING")["X"], "running");
}

TEST(StateGraphSpec, LayersStatesFromStartAtAndDrawsEveryTransition) {
  auto definition = nlohmann::json::parse(R"({"StartAt": "A", "States": {
    "Orphan": {"Type": "Pass", "End": true},
    "A": {"Type": "Choice", "Choices": [{"Next": "B"}], "Default": "C"},
    "B": {"Type": "Task", "Next": "D", "Catch": [{"Next": "C"}]},
    "C": {"Type": "Fail"},
    "D": {"Type": "Succeed"}}})");
  auto spec = StateGraphSpec(definition, {{"A", "succeeded"}, {"B", "caught"}, {"C", "failed"}});
  const auto& edges = spec["layer"][0]["data"]["values"];
  const auto& nodes = spec["layer"][1]["data"]["values"];
  ASSERT_EQ(nodes.size(), 5u);
  std::map<std::string, std::tuple<int, int, std::string>> at;
  for (const auto& n : nodes) at[n["state"]] = {n["x"], n["y"], n["outcome"]};
  EXPECT_EQ(at["A"], std::make_tuple(0, 0, std::string("succeeded")));
  EXPECT_EQ(std::get<1>(at["B"]), 1);
  EXPECT_EQ(std::get<1>(at["C"]), 1);  // reached from A first, not through B's Catch
  EXPECT_NE(std::get<0>(at["B"]), std::get<0>(at["C"]));
  EXPECT_EQ(at["D"], std::make_tuple(0, 2, std::string("not reached")));
  EXPECT_EQ(std::get<1>(at["Orphan"]), 3);  // unreachable: below the rest
  ASSERT_EQ(edges.size(), 4u);
  std::multiset<std::string> kinds;
  for (const auto& e : edges) kinds.insert(e["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::multiset<std::string>{"catch", "choice", "choice", "next"}));
}

TEST(StateGraphSpec, DrawsParallelBranchesAndMapProcessorsUnderTheirParent) {
  auto definition = nlohmann::json::parse(R"({"StartAt": "Split", "States": {
    "Split": {"Type": "Parallel", "Next": "Each", "Branches": [
      {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Next": "LeftDone"},
                                     "LeftDone": {"Type": "Succeed"}}},
      {"StartAt": "Right", "States": {"Right": {"Type": "Task", "End": true}}}]},
    "Each": {"Type": "Map", "Next": "Done", "ItemProcessor": {"StartAt": "Item",
      "States": {"Item": {"Type": "Task", "End": true}}}},
    "Done": {"Type": "Succeed"}}})");
  auto spec = StateGraphSpec(definition, {{"Split", "failed"},
                                          {"Left", "succeeded"},
                                          {"LeftDone", "succeeded"},
                                          {"Right", "failed"},
                                          {"Item", "running"}});
  const auto& edges = spec["layer"][0]["data"]["values"];
  const auto& nodes = spec["layer"][1]["data"]["values"];
  using Node = std::tuple<int, int, std::string, std::string>;  // x, y, type, outcome
  std::map<std::string, Node> at;
  for (const auto& n : nodes) at[n["state"]] = Node(n["x"], n["y"], n["type"], n["outcome"]);
  // The Parallel's layer holds its branches side by side, as tall as the longer one.
  EXPECT_EQ(at, (std::map<std::string, Node>{{"Split", {0, 0, "Parallel", "failed"}},
                                             {"Split/Left", {0, 1, "Pass", "succeeded"}},
                                             {"Split/LeftDone", {0, 2, "Succeed", "succeeded"}},
                                             {"Split/Right", {1, 1, "Task", "failed"}},
                                             {"Each", {0, 3, "Map", "not reached"}},
                                             {"Each/Item", {0, 4, "Task", "running"}},
                                             {"Done", {0, 5, "Succeed", "not reached"}}}));
  using Edge = std::tuple<std::string, std::string, std::string, int, int, int, int>;
  std::set<Edge> arrows;
  for (const auto& e : edges) {
    arrows.insert(Edge(e["from"], e["to"], e["kind"], e["x"], e["y"], e["x2"], e["y2"]));
  }
  EXPECT_EQ(arrows, (std::set<Edge>{{"Split", "Split/Left", "branch", 0, 0, 0, 1},
                                    {"Split", "Split/Right", "branch", 0, 0, 1, 1},
                                    {"Split/Left", "Split/LeftDone", "next", 0, 1, 0, 2},
                                    {"Split", "Each", "next", 0, 0, 0, 3},
                                    {"Each", "Each/Item", "branch", 0, 3, 0, 4},
                                    {"Each", "Done", "next", 0, 3, 0, 5}}));
  EXPECT_EQ(edges.size(), arrows.size());
  EXPECT_EQ(spec["height"], 80 * 6);  // six rows
  EXPECT_EQ(spec["width"], 180 * 2);  // two columns: the branches side by side
}

}  // namespace
}  // namespace shoplake::server
