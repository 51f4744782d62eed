// JSONata 2.0.6 (the expression language of AWS Step Functions): compile an expression once,
// evaluate it against many inputs. Errors are jsonata::Error with the reference's code
// (S0xxx syntax, T0xxx type, D3xxx dynamic, U1001 runaway) and position.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jsonata/value.h"

namespace shoplake::jsonata {

struct Ast;

//! Bounds on one evaluation: nesting depth (recursion) and wall-clock time.
struct Limits {
  int max_depth = 1500;
  std::chrono::milliseconds time_limit{10000};
  //! Stack the evaluation may use below its entry: a bound that holds whatever the build
  //! (sanitizers make frames much larger than the depth limit assumes).
  size_t max_stack_bytes = 4u << 20;
};

class Expression {
 public:
  //! Parses; throws Error (S0xxx) on a syntax error.
  explicit Expression(const std::string& text);

  //! Evaluates against `input` (undefined when absent) with extra `$name` bindings.
  Value Evaluate(const Value& input,
                 const std::vector<std::pair<std::string, Value>>& bindings = {},
                 const Limits& limits = {}) const;

 private:
  std::shared_ptr<Ast> ast_;
};

}  // namespace shoplake::jsonata
