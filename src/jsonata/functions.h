// Built-in functions implemented outside functions*.cpp: number and date pictures, $eval,
// and the clock.
#pragma once

#include <vector>

#include "jsonata/engine.h"

namespace shoplake::jsonata {

//! Argument i of a built-in, undefined when the call gave fewer.
inline const Value& Arg(const std::vector<Value>& a, size_t i) {
  static const Value undefined;
  return i < a.size() ? a[i] : undefined;
}

Value FormatNumber(Evaluator& ev, std::vector<Value>& a, const Value& input);
Value FormatInteger(Evaluator& ev, std::vector<Value>& a, const Value& input);
Value ParseInteger(Evaluator& ev, std::vector<Value>& a, const Value& input);
Value ToMillis(Evaluator& ev, std::vector<Value>& a, const Value& input);
Value FromMillis(Evaluator& ev, std::vector<Value>& a, const Value& input);
Value Now(Evaluator& ev, std::vector<Value>& a, const Value& input);
//! Sums, strings and regex functions (functions.cpp).
std::vector<Builtin> StringBuiltins();
//! $round: half to even at a decimal precision.
Value RoundNumber(double value, int precision);
//! $partition, $range, $hash, $random(seed), $uuid, $parse (step_functions.cpp).
std::vector<Builtin> StepFunctionsBuiltins();
Value EvalFn(Evaluator& ev, std::vector<Value>& a, const Value& input);

}  // namespace shoplake::jsonata
