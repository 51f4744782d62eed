// StateGraphSpec: a breadth-first layering from StartAt, drawn with three Vega-Lite layers
// (arrows as rules, states as squares, their names as text).
#include "server/state_graph.h"

#include <deque>
#include <set>

namespace shoplake::server {
namespace {

using Json = nlohmann::ordered_json;

struct Transition {
  std::string from, to, kind;  //!< kind: next, choice, catch
};

std::vector<Transition> Transitions(const std::string& name, const nlohmann::json& state) {
  std::vector<Transition> out;
  if (state.contains("Next") && state["Next"].is_string())
    out.push_back({name, state["Next"], "next"});
  if (state.contains("Default") && state["Default"].is_string()) {
    out.push_back({name, state["Default"], "choice"});
  }
  for (const char* list : {"Choices", "Catch"}) {
    if (!state.contains(list) || !state[list].is_array()) continue;
    for (const auto& rule : state[list]) {
      if (rule.contains("Next") && rule["Next"].is_string()) {
        out.push_back({name, rule["Next"], list == std::string("Catch") ? "catch" : "choice"});
      }
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> StateOutcomes(const std::vector<workflow::HistoryEvent>& events,
                                                 const std::string& execution_status) {
  struct Seen {
    bool entered = false, exited = false, failed = false, caught = false;
  };
  std::map<std::string, Seen> seen;
  for (const auto& event : events) {
    if (event.state.empty()) continue;
    Seen& s = seen[event.state];
    const std::string& type = event.type;
    if (type.ends_with("Entered")) s.entered = true;
    if (type.ends_with("Exited")) s.exited = true;
    if (type.ends_with("Caught")) s.caught = true;
    if (type.ends_with("Failed") || type.ends_with("TimedOut") || type == "FailStateEntered") {
      s.failed = true;
    }
  }
  std::map<std::string, std::string> outcomes;
  for (const auto& [state, s] : seen) {
    if (s.caught)
      outcomes[state] = "caught";
    else if (s.failed)
      outcomes[state] = "failed";
    else if (s.exited)
      outcomes[state] = "succeeded";
    else if (execution_status == "RUNNING")
      outcomes[state] = "running";
    else
      outcomes[state] = s.entered ? "failed" : "not reached";  // entered, never left
  }
  return outcomes;
}

Json StateGraphSpec(const nlohmann::json& definition,
                    const std::map<std::string, std::string>& outcomes) {
  const nlohmann::json& states =
      definition.contains("States") ? definition["States"] : nlohmann::json::object();
  // Layers: breadth-first from StartAt; states no path reaches go below, in file order.
  std::map<std::string, int> layer;
  std::vector<std::string> order;
  std::deque<std::string> queue;
  if (definition.contains("StartAt") && definition["StartAt"].is_string() &&
      states.contains(definition["StartAt"].get<std::string>())) {
    queue.push_back(definition["StartAt"]);
    layer[queue.back()] = 0;
  }
  std::vector<Transition> transitions;
  for (const auto& [name, state] : states.items()) {
    for (auto& t : Transitions(name, state)) transitions.push_back(t);
  }
  while (!queue.empty()) {
    std::string name = queue.front();
    queue.pop_front();
    order.push_back(name);
    for (const auto& t : transitions) {
      if (t.from == name && states.contains(t.to) && !layer.count(t.to)) {
        layer[t.to] = layer[name] + 1;
        queue.push_back(t.to);
      }
    }
  }
  int depth = layer.empty() ? 0 : layer[order.back()] + 1;
  for (const auto& [name, state] : states.items()) {
    if (!layer.count(name)) {
      layer[name] = depth++;
      order.push_back(name);
    }
  }
  std::map<int, int> width;  // states placed per layer so far
  std::map<std::string, std::pair<int, int>> at;
  Json nodes = Json::array();
  for (const auto& name : order) {
    int x = width[layer[name]]++;
    at[name] = {x, layer[name]};
    auto found = outcomes.find(name);
    nodes.push_back({{"state", name},
                     {"type", states[name].value("Type", "")},
                     {"outcome", found == outcomes.end() ? "not reached" : found->second},
                     {"x", x},
                     {"y", layer[name]}});
  }
  Json edges = Json::array();
  for (const auto& t : transitions) {
    if (!at.count(t.to)) continue;
    edges.push_back({{"from", t.from},
                     {"to", t.to},
                     {"kind", t.kind},
                     {"x", at[t.from].first},
                     {"y", at[t.from].second},
                     {"x2", at[t.to].first},
                     {"y2", at[t.to].second}});
  }
  int columns = 1;
  for (const auto& [l, w] : width) columns = std::max(columns, w);
  int rows = std::max(1, static_cast<int>(width.size()));
  Json x_scale = {{"domain", {-0.5, columns - 0.5}}};
  Json y_scale = {{"domain", {-0.5, rows - 0.5}}, {"reverse", true}};
  // Every layer places its marks on the same grid: x across a layer, y down the layers.
  auto position = [&](Json encoding) {
    encoding["x"] = {
        {"field", "x"}, {"type", "quantitative"}, {"scale", x_scale}, {"axis", nullptr}};
    encoding["y"] = {
        {"field", "y"}, {"type", "quantitative"}, {"scale", y_scale}, {"axis", nullptr}};
    return encoding;
  };
  Json arrows = {{"data", {{"values", edges}}},
                 {"mark", {{"type", "rule"}, {"color", "#888"}}},
                 {"encoding", position({{"x2", {{"field", "x2"}}},
                                        {"y2", {{"field", "y2"}}},
                                        {"strokeDash",
                                         {{"field", "kind"},
                                          {"type", "nominal"},
                                          {"title", "transition"},
                                          {"scale",
                                           {{"domain", {"next", "choice", "catch"}},
                                            {"range", {Json::array(), {6, 3}, {2, 2}}}}}}}})}};
  Json boxes = {
      {"data", {{"values", nodes}}},
      {"mark", {{"type", "point"}, {"shape", "square"}, {"size", 900}, {"filled", true}}},
      {"encoding",
       position(
           {{"color",
             {{"field", "outcome"},
              {"type", "nominal"},
              {"scale",
               {{"domain", {"succeeded", "caught", "failed", "running", "not reached"}},
                {"range", {"#2e7d32", "#ef6c00", "#c62828", "#1565c0", "#bdbdbd"}}}}}},
            {"tooltip", {{{"field", "state"}}, {{"field", "type"}}, {{"field", "outcome"}}}}})}};
  Json names = {{"data", {{"values", nodes}}},
                {"mark", {{"type", "text"}, {"dy", -26}, {"fontWeight", "bold"}}},
                {"encoding", position({{"text", {{"field", "state"}}}})}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"width", std::max(240, 180 * columns)},
          {"height", 80 * rows},
          {"layer", {arrows, boxes, names}}};
}

}  // namespace shoplake::server
