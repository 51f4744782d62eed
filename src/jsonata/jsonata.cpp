// The public entry points: compile and evaluate, and $eval which does both at run time.
#include "jsonata/jsonata.h"

#include "jsonata/engine.h"
#include "jsonata/functions.h"
#include "jsonata/json_bridge.h"

namespace shoplake::jsonata {
namespace {

const EnvPtr& BuiltinEnv() {
  static const EnvPtr env = [] {
    auto e = std::make_shared<Env>();
    BindBuiltins(*e);
    return e;
  }();
  return env;
}

Value WrapInput(const Value& input) {
  if (input.IsArray() && !input.Arr().sequence) {
    Value wrapped = NewSequenceValue();
    wrapped.Arr().items.push_back(input);
    wrapped.Arr().outer_wrapper = true;
    return wrapped;
  }
  return input;
}

}  // namespace

Expression::Expression(const std::string& text) : ast_(Parse(text)) {}

Value Expression::Evaluate(const Value& input,
                           const std::vector<std::pair<std::string, Value>>& bindings,
                           const Limits& limits) const {
  const EnvPtr& builtins = BuiltinEnv();
  FrameCycleBreaker cycles;  // declared before the frames it empties: runs after they are done
  auto env = std::make_shared<Env>(builtins);
  for (const auto& [name, value] : bindings) env->Bind(name, value);
  env->Bind("$", input);
  Evaluator evaluator(limits.max_depth, limits.time_limit, limits.max_stack_bytes);
  evaluator.set_root(env);
  return evaluator.Eval(ast_->root, WrapInput(input), env);
}

Value EvalFn(Evaluator& ev, std::vector<Value>& a, const Value& input) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  std::shared_ptr<Ast> ast;
  try {
    ast = Parse(a[0].Str());
  } catch (const Error& e) {
    throw Error("D3120", e.message());
  }
  Value context = a.size() > 1 && a[1].IsDefined() ? a[1] : input;
  // The parsed tree must outlive any function the expression returns: keep it with the env.
  auto env = std::make_shared<Env>(ev.root());
  static thread_local std::vector<std::shared_ptr<Ast>> kept;
  kept.push_back(ast);
  if (kept.size() > 64) kept.erase(kept.begin());
  try {
    return ev.Eval(ast->root, WrapInput(context), env);
  } catch (const Error& e) {
    if (e.code()[0] == 'U') throw;
    throw Error("D3121", e.message());
  }
}

}  // namespace shoplake::jsonata
