// The ASL intrinsic functions ("States.Format('{}', $.name)" and the rest), parsed into a
// small call tree and evaluated against the state input and the context object. Any
// argument error is a States.IntrinsicFailure.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

namespace shoplake::workflow {

using json = nlohmann::json;

//! True when `text` is meant as an intrinsic call (starts with "States.").
bool IsIntrinsicCall(std::string_view text);

//! Checks the syntax and the function name of `text` without evaluating it; throws
//! std::invalid_argument saying what is wrong.
void CheckIntrinsicSyntax(std::string_view text);

//! Where intrinsics get their randomness: a function returning 64 random bits (seeded in
//! tests; States.MathRandom with a seed argument uses its own generator).
struct IntrinsicEnvironment {
  std::function<uint64_t()> random;
};

//! Evaluates the call `text`: paths "$..." read `input`, "$$..." read `context`. Throws
//! StatesError(States.IntrinsicFailure) on a syntax or argument error, and
//! StatesError(States.ParameterPathFailure) when a path argument matches nothing.
json EvaluateIntrinsic(std::string_view text, const json& input, const json& context,
                       const IntrinsicEnvironment& environment);

}  // namespace shoplake::workflow
