// The state machine of a workflow execution drawn as the Step Functions console draws it:
// the definition's states as boxes (those of Parallel branches and Map iterations under their
// parent), its transitions as arrows, each state coloured by what happened to it in that
// execution. The C++ side lays the graph out in layers (a state one below the first state
// that leads to it) and writes a Vega-Lite spec; the page draws it like any dashboard chart.
//
// Thread safety: free functions of their arguments.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workflow/interpreter.h"

namespace shoplake::server {

//! What happened to each state in an execution, from its events: "succeeded" (exited),
//! "caught" (failed, and a Catch moved on), "failed", "running" (entered, the execution
//! still RUNNING). States without events are absent ("not reached").
std::map<std::string, std::string> StateOutcomes(const std::vector<workflow::HistoryEvent>& events,
                                                 const std::string& execution_status);

//! A Vega-Lite spec drawing `definition`'s States (Next, Default, Choices and Catch
//! transitions) with `outcomes`' colours; its data lists every state as
//! {"state", "type", "outcome", "x", "y"}, every transition as {"from", "to", "kind", "x",
//! "y", "x2", "y2"}. The states of a Parallel's branches and of a Map's item processor are
//! drawn too, named "Parent/State", in rows under their parent within its layer, with a
//! "branch" transition from the parent to each inner StartAt; their colour is their name's
//! outcome (events do not say which iteration: a state failed in any is "failed").
nlohmann::ordered_json StateGraphSpec(const nlohmann::json& definition,
                                      const std::map<std::string, std::string>& outcomes);

}  // namespace shoplake::server
