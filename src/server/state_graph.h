// The state machine of a workflow execution drawn as the Step Functions console draws it:
// the definition's top-level states as boxes, its transitions as arrows, each state
// coloured by what happened to it in that execution. The C++ side lays the graph out in
// layers (a state one below the first state that leads to it) and writes a Vega-Lite spec;
// the page draws it like any dashboard chart.
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

//! A Vega-Lite spec drawing `definition`'s top-level States (Next, Default, Choices and
//! Catch transitions) with `outcomes`' colours; its data lists every state as
//! {"state", "type", "outcome", "x", "y"}. Branches of Parallel and Map states are not drawn.
nlohmann::ordered_json StateGraphSpec(const nlohmann::json& definition,
                                      const std::map<std::string, std::string>& outcomes);

}  // namespace shoplake::server
