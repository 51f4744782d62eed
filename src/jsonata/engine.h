// The evaluator of the reference implementation: environments, function values (lambdas,
// built-ins, partial applications, regexes, compositions, transforms) and the limits on
// depth and time that keep a runaway expression from hanging or overflowing the stack.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "jsonata/ast.h"
#include "jsonata/value.h"

namespace shoplake::jsonata {

struct Env {
  std::shared_ptr<Env> parent;
  std::vector<std::pair<std::string, Value>> vars;
  explicit Env(std::shared_ptr<Env> p = nullptr) : parent(std::move(p)) {}
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  void Bind(std::string_view name, Value v);
  const Value* Lookup(std::string_view name) const;
};
using EnvPtr = std::shared_ptr<Env>;

//! A closure bound in its own frame (`$f := function() { $f() }`) is a reference cycle of
//! shared pointers. While an evaluation runs, every frame that binds an array, object or
//! function is noted; when it ends, those frames are emptied, which breaks the cycles.
class FrameCycleBreaker {
 public:
  FrameCycleBreaker();
  ~FrameCycleBreaker();
  FrameCycleBreaker(const FrameCycleBreaker&) = delete;
  FrameCycleBreaker& operator=(const FrameCycleBreaker&) = delete;

 private:
  void* saved_;
  std::unordered_set<Env*> frames_;
};

class Evaluator;
using NativeFn = Value (*)(Evaluator&, std::vector<Value>& args, const Value& input);

struct Builtin {
  Builtin(const char* n, const char* s, NativeFn f) : name(n), signature(s), fn(f) {}
  const char* name;
  const char* signature;
  NativeFn fn;
  std::shared_ptr<Signature> parsed;
  int arity = 0;
};

struct Function : Heap {
  enum class Kind : uint8_t { kLambda, kNative, kPartial, kRegex, kCompose, kTransform };
  Kind kind = Kind::kLambda;
  const Node* node = nullptr;  // lambda: its body and signature; transform: the operator
  std::vector<std::string> params;
  Value input;
  EnvPtr env;
  bool thunk = false;
  const Builtin* builtin = nullptr;
  Value target;                   // partial application: the applied function
  std::vector<Value> bound;       // partial application: the given arguments
  std::vector<bool> placeholder;  // partial application: which arguments are `?`
  std::shared_ptr<Regex> regex;
  Value f, g;  // composition g(f(x))
};

//! The function a value holds; T1006 when it holds none.
inline Function& FunctionOf(const Value& v) {
  if (!v.IsFunction()) Throw("T1006");
  return *static_cast<Function*>(v.heap.get());
}
Value MakeFunction(std::shared_ptr<Function> f);
int Arity(const Value& fn);

//! Registers the built-in functions into an environment.
void BindBuiltins(Env& env);
const Builtin* FindBuiltin(std::string_view name);

class Evaluator {
 public:
  Evaluator(int max_depth, std::chrono::milliseconds time_limit, size_t max_stack_bytes = 4u << 20);

  Value Eval(const Node* expr, const Value& input, const EnvPtr& env);
  //! Applies a function value to arguments (validating its signature), trampolining thunks.
  Value Apply(const Value& proc, std::vector<Value>& args, const Value& input, const EnvPtr& env);
  //! For higher-order built-ins: calls fn with (value, index, array) cut to its arity.
  Value CallHof(const Value& fn, const Value& a, const Value& b, const Value& c);
  const EnvPtr& root() const { return root_; }
  //! The evaluation's fixed "now" ($now, $millis, defaults when parsing dates).
  double now_millis() const { return now_millis_; }
  void set_root(EnvPtr env) { root_ = std::move(env); }

 private:
  Value EvalInner(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalPath(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalStep(const Node* step, const Value& input, const EnvPtr& env, bool last);
  Value EvalStages(const std::vector<Stage>& stages, Value input, const EnvPtr& env);
  Value EvalTupleStep(const Node* step, const Value& input, Value tuples, const EnvPtr& env);
  Value EvalFilter(const Node* predicate, const Value& input, const EnvPtr& env);
  Value EvalBinary(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalUnary(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalGroup(const Group& group, const Value& input, const EnvPtr& env);
  Value EvalSort(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalFunction(const Node* expr, const Value& input, const EnvPtr& env, const Value* applyto);
  Value EvalProcedure(const Node* expr, const Value& input, const EnvPtr& env,
                      const char* undefined_code, std::string& name);
  Value EvalPartial(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalApply(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalBlock(const Node* expr, const Value& input, const EnvPtr& env);
  Value EvalCondition(const Node* expr, const Value& input, const EnvPtr& env);
  Value ApplyInner(const Value& proc, std::vector<Value>& args, const Value& input,
                   const EnvPtr& env);
  Value ApplyProcedure(const Function& fn, std::vector<Value>& args);
  Value ApplyTransform(const Function& fn, const Value& obj);
  EnvPtr FrameFromTuple(const EnvPtr& env, const Value& tuple);
  void Enter();

  int depth_ = 0;
  int max_depth_;
  std::chrono::steady_clock::time_point deadline_;
  unsigned ticks_ = 0;
  EnvPtr root_;
  double now_millis_;
  const char* stack_base_;
  size_t max_stack_bytes_;
  friend struct DepthGuard;
};

std::vector<Value> ValidateArguments(const Signature& sig, std::vector<Value>& args,
                                     const Value& context);
bool IsArrayOfStrings(const Value& v);
bool IsArrayOfNumbers(const Value& v);
//! $string's conversion (T... errors as the reference); undefined stays undefined.
Value ToStringValue(const Value& v, bool pretty = false);
Value Append(const Value& a, const Value& b);
Value Flatten(const Value& v);
//! The match object of a regex at a byte offset: {match, start, end, groups} (start/end in
//! bytes), or undefined.
Value RegexMatchObject(const Regex& re, const std::string& text, size_t start);
//! The reference's stable merge sort: swap(a, b) true puts a after b.
Value MergeSort(const Value& array, const std::function<bool(const Value&, const Value&)>& swap);

}  // namespace shoplake::jsonata
