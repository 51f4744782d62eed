// SubstituteVariables: a walk over the definition that keeps track of where it is, so an
// unbound variable is reported as a validation error in the state and field that name it.
#include "workflow/substitution.h"

#include <algorithm>
#include <cctype>

namespace shoplake::workflow {
namespace {

// As SAM names them: letters, digits and '_'.
bool IsVariableName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class Substitution {
 public:
  Substitution(const std::map<std::string, std::string>& bindings,
               std::vector<ValidationError>& unbound)
      : bindings_(bindings), unbound_(unbound) {}

  // A state machine (the top level, a Parallel branch, a Map processor): its own fields and
  // its states'.
  void Machine(json& machine, const std::string& prefix) {
    if (!machine.is_object()) return;
    for (auto& [key, value] : machine.items()) {
      if (key != "States") {
        Value(value, prefix, key);
        continue;
      }
      if (!value.is_object()) continue;
      for (auto& [name, state] : value.items()) {
        State(state, prefix.empty() ? name : prefix + "/" + name);
      }
    }
  }

 private:
  void State(json& state, const std::string& where) {
    if (!state.is_object()) return;
    for (auto& [field, value] : state.items()) {
      if (field == "Branches" && value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
          Machine(value[i], where + "/Branches[" + std::to_string(i) + "]");
        }
      } else if ((field == "ItemProcessor" || field == "Iterator") && value.is_object()) {
        Machine(value, where + "/" + field);
      } else {
        Value(value, where, field);
      }
    }
  }

  void Value(json& value, const std::string& state, const std::string& field) {
    if (value.is_string()) {
      value = Replace(value.get<std::string>(), state, field);
    } else if (value.is_object()) {
      for (auto& [key, member] : value.items()) Value(member, state, field + "." + key);
    } else if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        Value(value[i], state, field + "[" + std::to_string(i) + "]");
      }
    }
  }

  std::string Replace(const std::string& text, const std::string& state, const std::string& field) {
    std::string out;
    size_t pos = 0;
    for (;;) {
      size_t open = text.find("${", pos);
      size_t close = open == std::string::npos ? open : text.find('}', open + 2);
      if (close == std::string::npos) break;
      out.append(text, pos, open - pos);
      std::string variable = text.substr(open + 2, close - open - 2);
      auto bound = bindings_.find(variable);
      if (!IsVariableName(variable)) {
        // "${}" or "${a b}" is text, e.g. a price in States.Format('${}', $.price).
        out.append(text, open, close + 1 - open);
      } else if (bound != bindings_.end()) {
        out += bound->second;
      } else {
        out.append(text, open, close + 1 - open);
        unbound_.push_back({state, field,
                            "no binding for ${" + variable +
                                "}: bind it under workflow.bindings in shoplake.yaml (" + variable +
                                ": shoplake:<task>)"});
      }
      pos = close + 1;
    }
    out.append(text, pos);
    return out;
  }

  const std::map<std::string, std::string>& bindings_;
  std::vector<ValidationError>& unbound_;
};

}  // namespace

json SubstituteVariables(json definition, const std::map<std::string, std::string>& bindings,
                         std::vector<ValidationError>& unbound) {
  Substitution(bindings, unbound).Machine(definition, "");
  return definition;
}

}  // namespace shoplake::workflow
