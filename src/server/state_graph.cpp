// StateGraphSpec: a breadth-first layering from StartAt, nested machines in rows under their
// parent, drawn with three Vega-Lite layers (arrows as rules, states as squares, their names
// as text).
#include "server/state_graph.h"

#include <deque>
#include <set>

namespace shoplake::server {
namespace {

using Json = nlohmann::ordered_json;

struct Transition {
  std::string from, to, kind;  //!< kind: next, choice, catch, branch (a parent to its inner start)
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

//! Places a machine's states (the definition, a Parallel branch or a Map's processor) on the
//! grid and lists its transitions. Its layers start at row `first_row`, its states at column
//! `first_x` or right of what each row already holds; the states inside a Parallel or Map
//! go in the rows below their parent, "Parent/" before their names, so a layer holding such
//! a parent is as tall as its deepest branch. Returns the rows used.
class GraphLayout {
 public:
  explicit GraphLayout(const std::map<std::string, std::string>& outcomes) : outcomes_(outcomes) {}

  int Place(const nlohmann::json& machine, const std::string& prefix, int first_row, int first_x) {
    const nlohmann::json& states =
        machine.contains("States") ? machine["States"] : nlohmann::json::object();
    std::vector<Transition> transitions;
    for (const auto& [name, state] : states.items()) {
      for (auto& t : Transitions(name, state)) transitions.push_back(t);
    }
    std::vector<std::vector<std::string>> layers = Layers(machine, states, transitions);
    int row = first_row;
    for (const auto& layer : layers) {
      int band = 1;
      for (const auto& name : layer) {
        const nlohmann::json& state = states[name];
        std::string id = prefix + name;
        int x = std::max(width_[row], first_x);
        width_[row] = x + 1;
        at_[id] = {x, row};
        auto found = outcomes_.find(name);  // events name a nested state without its parent
        nodes_.push_back({{"state", id},
                          {"type", state.value("Type", "")},
                          {"outcome", found == outcomes_.end() ? "not reached" : found->second},
                          {"x", x},
                          {"y", row}});
        for (const nlohmann::json* inner : InnerMachines(state)) {
          std::string inner_prefix = id + "/";
          band = std::max(band, 1 + Place(*inner, inner_prefix, row + 1, x));
          if (inner->contains("StartAt") && (*inner)["StartAt"].is_string()) {
            AddEdge({id, inner_prefix + (*inner)["StartAt"].get<std::string>(), "branch"});
          }
        }
      }
      row += band;
    }
    for (const auto& t : transitions) AddEdge({prefix + t.from, prefix + t.to, t.kind});
    return row - first_row;
  }

  Json nodes() const { return nodes_; }
  Json edges() const { return edges_; }
  const std::map<int, int>& width() const { return width_; }

 private:
  // Layers: breadth-first from StartAt; states no path reaches go below, in file order.
  static std::vector<std::vector<std::string>> Layers(const nlohmann::json& machine,
                                                      const nlohmann::json& states,
                                                      const std::vector<Transition>& transitions) {
    std::map<std::string, size_t> layer;
    std::vector<std::vector<std::string>> layers;
    std::deque<std::string> queue;
    if (machine.contains("StartAt") && machine["StartAt"].is_string() &&
        states.contains(machine["StartAt"].get<std::string>())) {
      queue.push_back(machine["StartAt"]);
      layer[queue.back()] = 0;
    }
    while (!queue.empty()) {
      std::string name = queue.front();
      queue.pop_front();
      if (layers.size() <= layer[name]) layers.resize(layer[name] + 1);
      layers[layer[name]].push_back(name);
      for (const auto& t : transitions) {
        if (t.from == name && states.contains(t.to) && !layer.count(t.to)) {
          layer[t.to] = layer[name] + 1;
          queue.push_back(t.to);
        }
      }
    }
    for (const auto& [name, state] : states.items()) {
      if (!layer.count(name)) {
        layer[name] = layers.size();
        layers.push_back({name});
      }
    }
    return layers;
  }

  //! A Parallel's branches, a Map's item processor (ItemProcessor, or the older Iterator).
  static std::vector<const nlohmann::json*> InnerMachines(const nlohmann::json& state) {
    std::vector<const nlohmann::json*> out;
    if (state.contains("Branches") && state["Branches"].is_array()) {
      for (const auto& branch : state["Branches"]) out.push_back(&branch);
    }
    for (const char* field : {"ItemProcessor", "Iterator"}) {
      if (state.contains(field) && state[field].is_object()) {
        out.push_back(&state[field]);
        break;
      }
    }
    return out;
  }

  void AddEdge(const Transition& t) {
    auto from = at_.find(t.from), to = at_.find(t.to);
    if (from == at_.end() || to == at_.end()) return;
    edges_.push_back({{"from", t.from},
                      {"to", t.to},
                      {"kind", t.kind},
                      {"x", from->second.first},
                      {"y", from->second.second},
                      {"x2", to->second.first},
                      {"y2", to->second.second}});
  }

  const std::map<std::string, std::string>& outcomes_;
  std::map<int, int> width_;  // states placed per row so far
  std::map<std::string, std::pair<int, int>> at_;
  Json nodes_ = Json::array();
  Json edges_ = Json::array();
};

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
  GraphLayout layout(outcomes);
  int rows = std::max(1, layout.Place(definition, "", 0, 0));
  Json nodes = layout.nodes(), edges = layout.edges();
  int columns = 1;
  for (const auto& [row, w] : layout.width()) columns = std::max(columns, w);
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
  Json arrows = {
      {"data", {{"values", edges}}},
      {"mark", {{"type", "rule"}, {"color", "#888"}}},
      {"encoding", position({{"x2", {{"field", "x2"}}},
                             {"y2", {{"field", "y2"}}},
                             {"strokeDash",
                              {{"field", "kind"},
                               {"type", "nominal"},
                               {"title", "transition"},
                               {"scale",
                                {{"domain", {"next", "choice", "catch", "branch"}},
                                 {"range", {Json::array(), {6, 3}, {2, 2}, {1, 4}}}}}}}})}};
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
