// Choice state rules: evaluating a rule (comparison, Is* test, And/Or/Not) against a state's
// input, and checking a rule's shape for Validate.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace shoplake::workflow {

using json = nlohmann::json;

//! True when `rule` matches. `input` is the state's effective input, `context` the context
//! object. Throws StatesError(States.Runtime) when the rule's Variable (or the path of a
//! ...Path comparison) matches nothing, except for IsPresent. REQUIRES: a valid rule.
bool EvaluateChoiceRule(const json& rule, const json& input, const json& context);

//! A problem with a rule: the field (e.g. "Choices[0].And[1].StringEquals") and what is wrong.
using RuleProblem = std::pair<std::string, std::string>;

//! Appends the problems of `rule`, named under `field`. Top-level rules need a Next;
//! nested ones (inside And/Or/Not) must not have one.
void CheckChoiceRule(const json& rule, const std::string& field, bool top_level,
                     std::vector<RuleProblem>& problems);

}  // namespace shoplake::workflow
