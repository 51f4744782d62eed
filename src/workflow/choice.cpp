// Choice rules: the comparison operators of the ASL spec ("Choice Rules"), their Path
// variants, the Is* type tests, StringMatches and the And/Or/Not combinators.
#include "workflow/choice.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include "workflow/clock.h"
#include "workflow/intrinsics.h"
#include "workflow/json_path.h"
#include "workflow/states_error.h"

namespace shoplake::workflow {
namespace {

enum class Operand { kString, kNumber, kBoolean, kTimestamp, kPattern, kTest };
enum class Compare { kEquals, kLess, kGreater, kLessEquals, kGreaterEquals, kNone };

struct Operator {
  Operand operand;
  Compare compare;
  bool path;  // the operand is a path to the value to compare with
};

const std::map<std::string, Operator>& Operators() {
  static const std::map<std::string, Operator> kOperators = [] {
    std::map<std::string, Operator> out;
    const std::pair<const char*, Operand> kinds[] = {{"String", Operand::kString},
                                                     {"Numeric", Operand::kNumber},
                                                     {"Timestamp", Operand::kTimestamp}};
    const std::pair<const char*, Compare> compares[] = {
        {"Equals", Compare::kEquals},
        {"LessThan", Compare::kLess},
        {"GreaterThan", Compare::kGreater},
        {"LessThanEquals", Compare::kLessEquals},
        {"GreaterThanEquals", Compare::kGreaterEquals}};
    for (const auto& [prefix, operand] : kinds) {
      for (const auto& [suffix, compare] : compares) {
        std::string name = std::string(prefix) + suffix;
        out[name] = {operand, compare, false};
        out[name + "Path"] = {operand, compare, true};
      }
    }
    out["BooleanEquals"] = {Operand::kBoolean, Compare::kEquals, false};
    out["BooleanEqualsPath"] = {Operand::kBoolean, Compare::kEquals, true};
    out["StringMatches"] = {Operand::kPattern, Compare::kNone, false};
    for (const char* test :
         {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}) {
      out[test] = {Operand::kTest, Compare::kNone, false};
    }
    return out;
  }();
  return kOperators;
}

bool IsRuleKey(const std::string& key) {
  return key != "Variable" && key != "Next" && key != "Comment";
}

template <typename T>
bool Apply(Compare compare, const T& a, const T& b) {
  switch (compare) {
    case Compare::kEquals:
      return a == b;
    case Compare::kLess:
      return a < b;
    case Compare::kGreater:
      return a > b;
    case Compare::kLessEquals:
      return a <= b;
    case Compare::kGreaterEquals:
      return a >= b;
    case Compare::kNone:
      break;
  }
  return false;
}

// "*" matches any run of characters; "\*" a literal star and "\\" a literal backslash.
bool Matches(const std::string& text, size_t t, const std::string& pattern, size_t p) {
  while (p < pattern.size()) {
    char c = pattern[p];
    if (c == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      for (size_t k = t; k <= text.size(); ++k) {
        if (Matches(text, k, pattern, p)) return true;
      }
      return false;
    }
    if (c == '\\' && p + 1 < pattern.size()) c = pattern[++p];
    if (t >= text.size() || text[t] != c) return false;
    ++t;
    ++p;
  }
  return t == text.size();
}

std::optional<json> Lookup(const std::string& path_text, const json& input, const json& context) {
  JsonPath path = JsonPath::Parse(path_text);
  return path.Find(path.is_context() ? context : input);
}

bool NumbersCompare(Compare compare, const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    return Apply(compare, a.get<long long>(), b.get<long long>());
  }
  return Apply(compare, a.get<double>(), b.get<double>());
}

}  // namespace

bool EvaluateChoiceRule(const json& rule, const json& input, const json& context) {
  if (rule.contains("And")) {
    for (const auto& sub : rule["And"]) {
      if (!EvaluateChoiceRule(sub, input, context)) return false;
    }
    return true;
  }
  if (rule.contains("Or")) {
    for (const auto& sub : rule["Or"]) {
      if (EvaluateChoiceRule(sub, input, context)) return true;
    }
    return false;
  }
  if (rule.contains("Not")) return !EvaluateChoiceRule(rule["Not"], input, context);

  const std::string variable = rule.at("Variable").get<std::string>();
  std::string name;
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    if (IsRuleKey(it.key())) name = it.key();
  }
  const Operator& op = Operators().at(name);
  const json& operand = rule[name];
  std::optional<json> value = Lookup(variable, input, context);
  if (name == "IsPresent") return value.has_value() == operand.get<bool>();
  if (!value) {
    throw StatesError(states_errors::kRuntime,
                      "Invalid path '" + variable +
                          "': the Choice state's condition path references an invalid value.");
  }
  if (op.operand == Operand::kTest) {
    bool result = false;
    if (name == "IsNull") result = value->is_null();
    if (name == "IsNumeric") result = value->is_number();
    if (name == "IsString") result = value->is_string();
    if (name == "IsBoolean") result = value->is_boolean();
    if (name == "IsTimestamp") {
      result = value->is_string() && ParseTimestamp(value->get<std::string>()).has_value();
    }
    return result == operand.get<bool>();
  }
  if (op.operand == Operand::kPattern) {
    return value->is_string() &&
           Matches(value->get<std::string>(), 0, operand.get<std::string>(), 0);
  }
  json other = operand;
  if (op.path) {
    std::optional<json> found = Lookup(operand.get<std::string>(), input, context);
    if (!found) {
      throw StatesError(states_errors::kRuntime,
                        "Invalid path '" + operand.get<std::string>() +
                            "': the Choice state's comparison path references an invalid value.");
    }
    other = *found;
  }
  switch (op.operand) {
    case Operand::kString:
      return value->is_string() && other.is_string() &&
             Apply(op.compare, value->get<std::string>(), other.get<std::string>());
    case Operand::kNumber:
      return value->is_number() && other.is_number() && NumbersCompare(op.compare, *value, other);
    case Operand::kBoolean:
      return value->is_boolean() && other.is_boolean() && *value == other;
    case Operand::kTimestamp: {
      if (!value->is_string() || !other.is_string()) return false;
      auto a = ParseTimestamp(value->get<std::string>());
      auto b = ParseTimestamp(other.get<std::string>());
      return a && b && Apply(op.compare, *a, *b);
    }
    default:
      return false;
  }
}

void CheckChoiceRule(const json& rule, const std::string& field, bool top_level,
                     std::vector<RuleProblem>& problems) {
  if (!rule.is_object()) {
    problems.emplace_back(field, "a Choice rule must be an object");
    return;
  }
  if (top_level && !rule.contains("Next")) {
    problems.emplace_back(field + ".Next", "a top-level Choice rule needs a Next");
  }
  if (!top_level && rule.contains("Next")) {
    problems.emplace_back(field + ".Next", "a rule nested in And/Or/Not must not have a Next");
  }
  if (rule.contains("Next") && !rule["Next"].is_string()) {
    problems.emplace_back(field + ".Next", "must be a state name (string)");
  }
  std::vector<std::string> operators;
  for (auto it = rule.begin(); it != rule.end(); ++it) {
    if (IsRuleKey(it.key())) operators.push_back(it.key());
  }
  if (operators.size() != 1) {
    problems.emplace_back(field, operators.empty()
                                     ? "a Choice rule needs one comparison operator or And/Or/Not"
                                     : "a Choice rule has more than one operator (" + operators[0] +
                                           ", " + operators[1] + ")");
    return;
  }
  const std::string& name = operators[0];
  const json& value = rule[name];
  if (name == "And" || name == "Or") {
    if (rule.contains("Variable")) {
      problems.emplace_back(field + ".Variable", "not allowed with " + name);
    }
    if (!value.is_array() || value.empty()) {
      problems.emplace_back(field + "." + name, "must be a non-empty array of rules");
      return;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      CheckChoiceRule(value[i], field + "." + name + "[" + std::to_string(i) + "]", false,
                      problems);
    }
    return;
  }
  if (name == "Not") {
    if (rule.contains("Variable"))
      problems.emplace_back(field + ".Variable", "not allowed with Not");
    CheckChoiceRule(value, field + ".Not", false, problems);
    return;
  }
  auto it = Operators().find(name);
  if (it == Operators().end()) {
    problems.emplace_back(field + "." + name, "unknown comparison operator");
    return;
  }
  if (!rule.contains("Variable")) {
    problems.emplace_back(field + ".Variable", "required with " + name);
  } else if (!rule["Variable"].is_string() || !IsValidPath(rule["Variable"].get<std::string>())) {
    problems.emplace_back(field + ".Variable",
                          "must be a valid path, got " + rule["Variable"].dump());
  }
  const Operator& op = it->second;
  std::string where = field + "." + name;
  if (op.path) {
    if (!value.is_string() || !IsValidPath(value.get<std::string>())) {
      problems.emplace_back(where, "must be a valid path, got " + value.dump());
    }
    return;
  }
  switch (op.operand) {
    case Operand::kString:
    case Operand::kPattern:
      if (!value.is_string()) problems.emplace_back(where, "must be a string");
      break;
    case Operand::kNumber:
      if (!value.is_number()) problems.emplace_back(where, "must be a number");
      break;
    case Operand::kBoolean:
    case Operand::kTest:
      if (!value.is_boolean()) problems.emplace_back(where, "must be true or false");
      break;
    case Operand::kTimestamp:
      if (!value.is_string() || !ParseTimestamp(value.get<std::string>())) {
        problems.emplace_back(where, "must be an RFC 3339 timestamp string");
      }
      break;
  }
}

}  // namespace shoplake::workflow
