// Validation of ASL definitions, following the spec's per-state field tables.
#include "workflow/definition.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "workflow/choice.h"
#include "workflow/clock.h"
#include "workflow/intrinsics.h"
#include "workflow/json_path.h"

namespace shoplake::workflow {

std::string ValidationError::ToString() const {
  std::string out;
  if (!state.empty()) out += "state '" + state + "'";
  if (!field.empty()) out += std::string(out.empty() ? "" : ", ") + "field '" + field + "'";
  return out + (out.empty() ? "" : ": ") + message;
}

namespace {

const std::map<std::string, std::set<std::string>>& AllowedFields() {
  static const std::map<std::string, std::set<std::string>> kFields = {
      {"Pass", {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"}},
      {"Task",
       {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
        "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
        "HeartbeatSecondsPath", "Credentials"}},
      {"Choice", {"Choices", "Default", "InputPath", "OutputPath"}},
      {"Wait",
       {"Next", "End", "InputPath", "OutputPath", "Seconds", "Timestamp", "SecondsPath",
        "TimestampPath"}},
      {"Succeed", {"InputPath", "OutputPath"}},
      {"Fail", {"Error", "Cause", "ErrorPath", "CausePath"}},
      {"Parallel",
       {"Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
        "Retry", "Catch", "Branches"}},
      {"Map",
       {"Next",
        "End",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "Parameters",
        "ResultSelector",
        "Retry",
        "Catch",
        "ItemsPath",
        "ItemSelector",
        "ItemProcessor",
        "Iterator",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "Label"}},
  };
  return kFields;
}

bool IsPositiveInteger(const json& value) {
  return value.is_number_integer() && value.get<long long>() > 0;
}
bool IsNonNegativeInteger(const json& value) {
  return value.is_number_integer() && value.get<long long>() >= 0;
}

class Validator {
 public:
  std::vector<ValidationError> errors;

  void Machine(const json& machine, const std::string& prefix, bool top) {
    if (!machine.is_object()) {
      Add(prefix, "", "a state machine must be a JSON object");
      return;
    }
    static const std::set<std::string> kTop = {"Comment",        "StartAt", "States",
                                               "TimeoutSeconds", "Version", "QueryLanguage"};
    static const std::set<std::string> kNested = {"Comment", "StartAt", "States",
                                                  "ProcessorConfig"};
    for (auto it = machine.begin(); it != machine.end(); ++it) {
      if (!(top ? kTop : kNested).count(it.key())) {
        Add(prefix, it.key(), "unknown field in a state machine");
      }
    }
    if (top && machine.contains("TimeoutSeconds") &&
        !IsPositiveInteger(machine["TimeoutSeconds"])) {
      Add(prefix, "TimeoutSeconds", "must be a positive integer");
    }
    if (top && machine.contains("QueryLanguage") && machine["QueryLanguage"] != "JSONPath") {
      Add(prefix, "QueryLanguage", "only \"JSONPath\" is supported");
    }
    if (machine.contains("ProcessorConfig")) {
      const json& config = machine["ProcessorConfig"];
      if (!config.is_object() || (config.contains("Mode") && config["Mode"] != "INLINE" &&
                                  config["Mode"] != "DISTRIBUTED")) {
        Add(prefix, "ProcessorConfig", "Mode must be INLINE or DISTRIBUTED");
      }
    }
    if (!machine.contains("States") || !machine["States"].is_object() ||
        machine["States"].empty()) {
      Add(prefix, "States", "required: an object with at least one state");
      return;
    }
    const json& states = machine["States"];
    if (!machine.contains("StartAt")) {
      Add(prefix, "StartAt", "required: the name of the first state");
    } else if (!machine["StartAt"].is_string() ||
               !states.contains(machine["StartAt"].get<std::string>())) {
      Add(prefix, "StartAt", "names no state in States: " + machine["StartAt"].dump());
    }
    for (auto it = states.begin(); it != states.end(); ++it) {
      State(Join(prefix, it.key()), it.key(), it.value(), states);
    }
    // Reachability from StartAt through every transition.
    if (!machine.contains("StartAt") || !machine["StartAt"].is_string()) return;
    std::set<std::string> seen;
    std::vector<std::string> todo{machine["StartAt"].get<std::string>()};
    while (!todo.empty()) {
      std::string name = todo.back();
      todo.pop_back();
      if (!states.contains(name) || !seen.insert(name).second) continue;
      for (const auto& next : Transitions(states[name])) todo.push_back(next);
    }
    for (auto it = states.begin(); it != states.end(); ++it) {
      if (!seen.count(it.key())) {
        Add(Join(prefix, it.key()), "", "unreachable: no transition leads here from StartAt");
      }
    }
    CannotEnd(prefix, states, seen);
  }

 private:
  static std::string Join(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "/" + name;
  }
  void Add(const std::string& state, const std::string& field, const std::string& message) {
    errors.push_back({state, field, message});
  }

  // A state that can end its machine by itself: End, Succeed, Fail, and a Choice without
  // Default (no rule matching fails it with States.NoChoiceMatched).
  static bool Ends(const json& state) {
    if (!state.is_object()) return true;  // reported as malformed already
    const json type = state.value("Type", json());
    if (type == "Succeed" || type == "Fail") return true;
    if (type == "Choice") return !state.contains("Default");
    return state.contains("End");
  }

  // Issue 15 item 9: a machine that validates but can never end ("A" -> "A") runs until its
  // history fills the disk. Reports, in one error, the states reachable from StartAt from
  // which no transition path leads to a state that ends.
  void CannotEnd(const std::string& prefix, const json& states,
                 const std::set<std::string>& reachable) {
    std::set<std::string> can_end;
    for (auto it = states.begin(); it != states.end(); ++it) {
      if (Ends(it.value())) can_end.insert(it.key());
    }
    // Backwards to a fixed point: a state can end when one of its transitions leads to one.
    // A transition to no state is reported by Target(); it is not reported again here.
    for (bool grew = true; grew;) {
      grew = false;
      for (auto it = states.begin(); it != states.end(); ++it) {
        if (can_end.count(it.key())) continue;
        for (const auto& next : Transitions(it.value())) {
          if (can_end.count(next) || !states.contains(next)) {
            can_end.insert(it.key());
            grew = true;
            break;
          }
        }
      }
    }
    std::string stuck;
    for (auto it = states.begin(); it != states.end(); ++it) {
      if (reachable.count(it.key()) && !can_end.count(it.key())) {
        stuck += (stuck.empty() ? "'" : ", '") + it.key() + "'";
      }
    }
    if (!stuck.empty()) {
      Add(prefix, "States",
          "no End, Succeed or Fail state can be reached from " + stuck +
              ": the execution would run forever (add \"End\": true, or a transition to a state "
              "that ends)");
    }
  }

  static std::vector<std::string> Transitions(const json& state) {
    std::vector<std::string> out;
    if (!state.is_object()) return out;
    auto add = [&out](const json& value) {
      if (value.is_string()) out.push_back(value.get<std::string>());
    };
    if (state.contains("Next")) add(state["Next"]);
    if (state.contains("Default")) add(state["Default"]);
    if (state.contains("Choices") && state["Choices"].is_array()) {
      for (const auto& rule : state["Choices"]) {
        if (rule.is_object() && rule.contains("Next")) add(rule["Next"]);
      }
    }
    if (state.contains("Catch") && state["Catch"].is_array()) {
      for (const auto& catcher : state["Catch"]) {
        if (catcher.is_object() && catcher.contains("Next")) add(catcher["Next"]);
      }
    }
    return out;
  }

  void Target(const std::string& where, const std::string& field, const json& value,
              const json& states) {
    if (!value.is_string()) {
      Add(where, field, "must be a state name (string)");
    } else if (!states.contains(value.get<std::string>())) {
      Add(where, field, "names no state in this machine: '" + value.get<std::string>() + "'");
    }
  }

  void Path(const std::string& where, const std::string& field, const json& value, bool nullable,
            bool reference) {
    if (value.is_null() && nullable) return;
    if (!value.is_string()) {
      Add(where, field, nullable ? "must be a path string or null" : "must be a path string");
      return;
    }
    try {
      JsonPath path = JsonPath::Parse(value.get<std::string>());
      if (reference && (!path.is_reference() || path.is_context())) {
        Add(where, field,
            "must be a reference path ($, .name, ['name'], [index]): " + value.dump());
      }
    } catch (const std::invalid_argument& e) {
      Add(where, field, e.what());
    }
  }

  // Checks a payload template (Parameters, ResultSelector, ItemSelector): every "key.$"
  // value is a path or an intrinsic call.
  void Template(const std::string& where, const std::string& field, const json& value) {
    if (value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        std::string key = it.key();
        std::string name = field + "." + key;
        if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
          if (!it.value().is_string()) {
            Add(where, name, "a field ending in '.$' needs a path or intrinsic function string");
            continue;
          }
          const std::string& text = it.value().get_ref<const std::string&>();
          if (IsIntrinsicCall(text)) {
            try {
              CheckIntrinsicSyntax(text);
            } catch (const std::invalid_argument& e) {
              Add(where, name, e.what());
            }
          } else {
            Path(where, name, it.value(), false, false);
          }
        } else {
          Template(where, name, it.value());
        }
      }
    } else if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        Template(where, field + "[" + std::to_string(i) + "]", value[i]);
      }
    }
  }

  void ErrorEquals(const std::string& where, const std::string& field, const json& value,
                   bool last) {
    if (!value.is_array() || value.empty()) {
      Add(where, field, "must be a non-empty array of error names");
      return;
    }
    for (const auto& name : value) {
      if (!name.is_string()) Add(where, field, "error names must be strings");
    }
    if (std::find(value.begin(), value.end(), json("States.ALL")) != value.end()) {
      if (value.size() != 1) Add(where, field, "States.ALL must appear alone");
      if (!last) Add(where, field, "States.ALL must be in the last retrier or catcher");
    }
  }

  // Retry and Catch alike: an array of objects (`noun`s: retriers, catchers) of the fields
  // `known`, each matching errors by a required ErrorEquals, the States.ALL one last. Checks that
  // much, then hands each object and its field name ("Retry[0]") to `rest` for its own fields.
  void ErrorMatchers(const std::string& where, const std::string& name, const std::string& noun,
                     const json& matchers, const std::set<std::string>& known,
                     const std::function<void(const std::string&, const json&)>& rest) {
    if (!matchers.is_array()) {
      Add(where, name, "must be an array of " + noun + "s");
      return;
    }
    for (size_t i = 0; i < matchers.size(); ++i) {
      std::string field = name + "[" + std::to_string(i) + "]";
      const json& m = matchers[i];
      if (!m.is_object()) {
        Add(where, field, "a " + noun + " must be an object");
        continue;
      }
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (!known.count(it.key()))
          Add(where, field + "." + it.key(), "unknown " + noun + " field");
      }
      if (!m.contains("ErrorEquals")) {
        Add(where, field + ".ErrorEquals", "required");
      } else {
        ErrorEquals(where, field + ".ErrorEquals", m["ErrorEquals"], i + 1 == matchers.size());
      }
      rest(field, m);
    }
  }

  void Retry(const std::string& where, const json& retry) {
    static const std::set<std::string> kFields = {
        "ErrorEquals",     "IntervalSeconds", "MaxAttempts", "BackoffRate",
        "MaxDelaySeconds", "JitterStrategy",  "Comment"};
    ErrorMatchers(where, "Retry", "retrier", retry, kFields,
                  [&](const std::string& field, const json& r) { Retrier(where, field, r); });
  }

  // A retrier's own fields (ErrorMatchers checked the rest).
  void Retrier(const std::string& where, const std::string& field, const json& r) {
    if (r.contains("IntervalSeconds") && !IsPositiveInteger(r["IntervalSeconds"])) {
      Add(where, field + ".IntervalSeconds", "must be a positive integer");
    }
    if (r.contains("MaxAttempts") && !IsNonNegativeInteger(r["MaxAttempts"])) {
      Add(where, field + ".MaxAttempts", "must be a non-negative integer");
    }
    if (r.contains("BackoffRate") &&
        (!r["BackoffRate"].is_number() || r["BackoffRate"].get<double>() < 1.0)) {
      Add(where, field + ".BackoffRate", "must be a number >= 1.0");
    }
    if (r.contains("MaxDelaySeconds") && !IsPositiveInteger(r["MaxDelaySeconds"])) {
      Add(where, field + ".MaxDelaySeconds", "must be a positive integer");
    }
    if (r.contains("JitterStrategy") && r["JitterStrategy"] != "FULL" &&
        r["JitterStrategy"] != "NONE") {
      Add(where, field + ".JitterStrategy", "must be FULL or NONE");
    }
  }

  void Catch(const std::string& where, const json& catchers, const json& states) {
    static const std::set<std::string> kFields = {"ErrorEquals", "Next", "ResultPath", "Comment"};
    ErrorMatchers(where, "Catch", "catcher", catchers, kFields,
                  [&](const std::string& field, const json& c) {
                    if (!c.contains("Next")) {
                      Add(where, field + ".Next", "required");
                    } else {
                      Target(where, field + ".Next", c["Next"], states);
                    }
                    if (c.contains("ResultPath")) {
                      Path(where, field + ".ResultPath", c["ResultPath"], true, true);
                    }
                  });
  }

  void State(const std::string& where, const std::string& name, const json& state,
             const json& states) {
    if (name.size() > 80) Add(where, "", "a state name must be at most 80 characters");
    if (!state.is_object()) {
      Add(where, "", "a state must be a JSON object");
      return;
    }
    if (!state.contains("Type") || !state["Type"].is_string()) {
      Add(where, "Type", "required: one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map");
      return;
    }
    std::string type = state["Type"].get<std::string>();
    auto allowed = AllowedFields().find(type);
    if (allowed == AllowedFields().end()) {
      Add(where, "Type", "unknown state type '" + type + "'");
      return;
    }
    for (auto it = state.begin(); it != state.end(); ++it) {
      if (it.key() != "Type" && it.key() != "Comment" && !allowed->second.count(it.key())) {
        Add(where, it.key(), "not allowed in a " + type + " state");
      }
    }
    // Transitions: states that continue need exactly one of Next and End.
    bool continues =
        type == "Pass" || type == "Task" || type == "Wait" || type == "Parallel" || type == "Map";
    if (continues) {
      bool has_next = state.contains("Next");
      bool has_end = state.contains("End");
      if (has_end && state["End"] != true) Add(where, "End", "must be true when present");
      if (has_next && has_end) Add(where, "Next", "a state has either Next or End, not both");
      if (!has_next && !has_end) Add(where, "Next", "required (or \"End\": true)");
      if (has_next) Target(where, "Next", state["Next"], states);
    }
    for (const char* field : {"InputPath", "OutputPath"}) {
      if (state.contains(field)) Path(where, field, state[field], true, false);
    }
    if (state.contains("ResultPath")) Path(where, "ResultPath", state["ResultPath"], true, true);
    for (const char* field : {"Parameters", "ResultSelector", "ItemSelector"}) {
      if (state.contains(field)) Template(where, field, state[field]);
    }
    if (state.contains("ResultSelector") && !state["ResultSelector"].is_object()) {
      Add(where, "ResultSelector", "must be an object");
    }
    if (state.contains("Retry")) Retry(where, state["Retry"]);
    if (state.contains("Catch")) Catch(where, state["Catch"], states);

    if (type == "Task") TaskState(where, state);
    if (type == "Choice") ChoiceState(where, state, states);
    if (type == "Wait") WaitState(where, state);
    if (type == "Fail") FailState(where, state);
    if (type == "Parallel") ParallelState(where, state);
    if (type == "Map") MapState(where, state);
  }

  void TaskState(const std::string& where, const json& state) {
    if (!state.contains("Resource") || !state["Resource"].is_string() ||
        state["Resource"].get<std::string>().empty()) {
      Add(where, "Resource", "required: the task's resource (a non-empty string)");
    }
    if (state.contains("TimeoutSeconds") && state.contains("TimeoutSecondsPath")) {
      Add(where, "TimeoutSecondsPath", "TimeoutSeconds and TimeoutSecondsPath are exclusive");
    }
    if (state.contains("HeartbeatSeconds") && state.contains("HeartbeatSecondsPath")) {
      Add(where, "HeartbeatSecondsPath", "HeartbeatSeconds and HeartbeatSecondsPath are exclusive");
    }
    for (const char* field : {"TimeoutSeconds", "HeartbeatSeconds"}) {
      if (state.contains(field) && !IsPositiveInteger(state[field])) {
        Add(where, field, "must be a positive integer");
      }
    }
    for (const char* field : {"TimeoutSecondsPath", "HeartbeatSecondsPath"}) {
      if (state.contains(field)) Path(where, field, state[field], false, true);
    }
    if (state.contains("TimeoutSeconds") && state.contains("HeartbeatSeconds") &&
        IsPositiveInteger(state["TimeoutSeconds"]) &&
        IsPositiveInteger(state["HeartbeatSeconds"]) &&
        state["HeartbeatSeconds"].get<long long>() >= state["TimeoutSeconds"].get<long long>()) {
      Add(where, "HeartbeatSeconds", "must be smaller than TimeoutSeconds");
    }
  }

  void ChoiceState(const std::string& where, const json& state, const json& states) {
    if (!state.contains("Choices") || !state["Choices"].is_array() || state["Choices"].empty()) {
      Add(where, "Choices", "required: a non-empty array of rules");
    } else {
      std::vector<RuleProblem> problems;
      const json& choices = state["Choices"];
      for (size_t i = 0; i < choices.size(); ++i) {
        std::string field = "Choices[" + std::to_string(i) + "]";
        CheckChoiceRule(choices[i], field, true, problems);
        if (choices[i].is_object() && choices[i].contains("Next") &&
            choices[i]["Next"].is_string()) {
          Target(where, field + ".Next", choices[i]["Next"], states);
        }
      }
      for (const auto& [field, message] : problems) Add(where, field, message);
    }
    if (state.contains("Default")) Target(where, "Default", state["Default"], states);
  }

  void WaitState(const std::string& where, const json& state) {
    int count = 0;
    for (const char* field : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) {
      count += state.contains(field) ? 1 : 0;
    }
    if (count != 1) {
      Add(where, "Seconds",
          "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath");
    }
    if (state.contains("Seconds") && !IsNonNegativeInteger(state["Seconds"])) {
      Add(where, "Seconds", "must be a non-negative integer");
    }
    if (state.contains("Timestamp") && (!state["Timestamp"].is_string() ||
                                        !ParseTimestamp(state["Timestamp"].get<std::string>()))) {
      Add(where, "Timestamp", "must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z");
    }
    for (const char* field : {"SecondsPath", "TimestampPath"}) {
      if (state.contains(field)) Path(where, field, state[field], false, true);
    }
  }

  void FailState(const std::string& where, const json& state) {
    for (const auto& [plain, path] :
         {std::pair{"Error", "ErrorPath"}, std::pair{"Cause", "CausePath"}}) {
      if (state.contains(plain) && state.contains(path)) {
        Add(where, path, std::string(plain) + " and " + path + " are exclusive");
      }
      if (state.contains(plain) && !state[plain].is_string()) Add(where, plain, "must be a string");
      if (state.contains(path)) {
        const json& value = state[path];
        if (value.is_string() && IsIntrinsicCall(value.get<std::string>())) {
          try {
            CheckIntrinsicSyntax(value.get<std::string>());
          } catch (const std::invalid_argument& e) {
            Add(where, path, e.what());
          }
        } else {
          Path(where, path, value, false, true);
        }
      }
    }
  }

  void ParallelState(const std::string& where, const json& state) {
    if (!state.contains("Branches") || !state["Branches"].is_array() || state["Branches"].empty()) {
      Add(where, "Branches", "required: a non-empty array of state machines");
      return;
    }
    const json& branches = state["Branches"];
    for (size_t i = 0; i < branches.size(); ++i) {
      Machine(branches[i], where + "/Branches[" + std::to_string(i) + "]", false);
    }
  }

  void MapState(const std::string& where, const json& state) {
    bool processor = state.contains("ItemProcessor");
    bool iterator = state.contains("Iterator");
    if (processor == iterator) {
      Add(where, "ItemProcessor",
          processor ? "ItemProcessor and Iterator are exclusive"
                    : "required (or the older Iterator)");
    }
    if (state.contains("ItemSelector") && state.contains("Parameters")) {
      Add(where, "ItemSelector", "ItemSelector and Parameters are exclusive");
    }
    if (processor) Machine(state["ItemProcessor"], where + "/ItemProcessor", false);
    if (iterator) Machine(state["Iterator"], where + "/Iterator", false);
    if (state.contains("ItemsPath")) Path(where, "ItemsPath", state["ItemsPath"], false, true);
    if (state.contains("MaxConcurrency") && !IsNonNegativeInteger(state["MaxConcurrency"])) {
      Add(where, "MaxConcurrency", "must be a non-negative integer");
    }
    if (state.contains("ToleratedFailureCount") &&
        !IsNonNegativeInteger(state["ToleratedFailureCount"])) {
      Add(where, "ToleratedFailureCount", "must be a non-negative integer");
    }
    if (state.contains("ToleratedFailurePercentage")) {
      const json& value = state["ToleratedFailurePercentage"];
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 100) {
        Add(where, "ToleratedFailurePercentage", "must be a number from 0 to 100");
      }
    }
    for (const char* field :
         {"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}) {
      if (state.contains(field)) Path(where, field, state[field], false, true);
    }
    for (const auto& [plain, path] :
         {std::pair{"MaxConcurrency", "MaxConcurrencyPath"},
          std::pair{"ToleratedFailureCount", "ToleratedFailureCountPath"},
          std::pair{"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}}) {
      if (state.contains(plain) && state.contains(path)) {
        Add(where, path, std::string(plain) + " and " + path + " are exclusive");
      }
    }
  }
};

}  // namespace

std::vector<ValidationError> Validate(const json& definition) {
  Validator validator;
  validator.Machine(definition, "", true);
  return validator.errors;
}

}  // namespace shoplake::workflow
