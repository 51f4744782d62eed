// Evaluation as the reference implementation does it, step by step: paths over input
// sequences, singleton unwrapping, tuple streams for `@`, `#` and `%`, group-by, order-by,
// function application with signature validation and tail calls as thunks.
#include <cmath>

#include "jsonata/engine.h"

namespace shoplake::jsonata {

namespace {
thread_local std::unordered_set<Env*>* t_frames = nullptr;
}  // namespace

FrameCycleBreaker::FrameCycleBreaker() : saved_(t_frames) { t_frames = &frames_; }

FrameCycleBreaker::~FrameCycleBreaker() {
  // Move the values out first: destroying them may destroy frames of this very set.
  t_frames = nullptr;
  std::vector<Value> released;
  for (Env* env : frames_) {
    for (auto& [name, value] : env->vars) released.push_back(std::move(value));
    env->vars.clear();
  }
  frames_.clear();
  released.clear();
  t_frames = static_cast<std::unordered_set<Env*>*>(saved_);
}

Env::~Env() {
  if (t_frames) t_frames->erase(this);
}

void Env::Bind(std::string_view name, Value v) {
  if (t_frames && v.type >= Type::kArray) t_frames->insert(this);
  for (auto& [k, val] : vars) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(v));
}

const Value* Env::Lookup(std::string_view name) const {
  for (const Env* e = this; e; e = e->parent.get()) {
    for (const auto& [k, val] : e->vars) {
      if (k == name) return &val;
    }
  }
  return nullptr;
}

Value MakeFunction(std::shared_ptr<Function> f) {
  Value v;
  v.type = Type::kFunction;
  v.heap = std::move(f);
  return v;
}

int Arity(const Value& fn) {
  const Function& f = FunctionOf(fn);
  switch (f.kind) {
    case Function::Kind::kLambda:
      return static_cast<int>(f.params.size());
    case Function::Kind::kNative:
      return f.builtin->arity;
    case Function::Kind::kPartial: {
      int n = 0;
      for (bool p : f.placeholder) n += p ? 1 : 0;
      return n;
    }
    default:
      return 1;
  }
}

struct DepthGuard {
  Evaluator& ev;
  explicit DepthGuard(Evaluator& e) : ev(e) { ev.Enter(); }
  ~DepthGuard() { --ev.depth_; }
};

Evaluator::Evaluator(int max_depth, std::chrono::milliseconds time_limit, size_t max_stack_bytes)
    : max_depth_(max_depth),
      deadline_(std::chrono::steady_clock::now() + time_limit),
      now_millis_(static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count())),
      stack_base_(static_cast<const char*>(__builtin_frame_address(0))),
      max_stack_bytes_(max_stack_bytes) {}

void Evaluator::Enter() {
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  bool deep_stack = here<stack_base_&& static_cast<size_t>(stack_base_ - here)> max_stack_bytes_;
  if (++depth_ > max_depth_ || deep_stack) {
    throw Error("U1001",
                "Stack overflow error: Check for non-terminating recursive function.  Consider "
                "rewriting as tail-recursive.");
  }
  if ((++ticks_ & 1023) == 0 && std::chrono::steady_clock::now() > deadline_) {
    throw Error("U1001", "Expression evaluation timeout: Check for infinite loop");
  }
}

namespace {

Value SequenceOf(const Value& v) {
  auto seq = NewSequence();
  seq->items.push_back(v);  // even undefined, as the reference's createSequence(value)
  return Value::FromArray(seq);
}

Value Lookup(const Value& input, const std::string& key) {
  if (input.IsArray()) {
    auto result = NewSequence();
    for (const Value& item : input.Arr().items) {
      Value res = Lookup(item, key);
      if (res.IsUndefined()) continue;
      if (res.IsArray()) {
        for (const Value& v : res.Arr().items) result->items.push_back(v);
      } else {
        result->items.push_back(res);
      }
    }
    return Value::FromArray(result);
  }
  if (input.IsObject()) {
    const Value* v = input.Obj().Find(key);
    if (v) return *v;
  }
  return Value();
}

void FlattenInto(const Value& v, Array& out) {
  if (v.IsArray()) {
    for (const Value& item : v.Arr().items) FlattenInto(item, out);
  } else {
    out.items.push_back(v);
  }
}

Value Wildcard(const Value& in) {
  Value input = in;
  Value results = NewSequenceValue();
  if (input.IsArray() && input.Arr().outer_wrapper && !input.Arr().items.empty()) {
    input = input.Arr().items[0];
  }
  auto add = [&](const Value& value) {
    if (value.IsArray()) {
      results = Append(results, Flatten(value));
    } else {
      results.Arr().items.push_back(value);
    }
  };
  if (input.IsObject()) {
    for (const auto& [k, v] : input.Obj().entries) add(v);
  } else if (input.IsArray()) {
    for (const Value& v : input.Arr().items) add(v);
  }
  return results;
}

void RecurseDescendants(const Value& input, Array& results) {
  if (!input.IsArray()) results.items.push_back(input);
  if (input.IsArray()) {
    for (const Value& item : input.Arr().items) RecurseDescendants(item, results);
  } else if (input.IsObject()) {
    for (const auto& [k, v] : input.Obj().entries) RecurseDescendants(v, results);
  }
}

Value Descendants(const Value& input) {
  if (input.IsUndefined()) return Value();
  auto seq = NewSequence();
  RecurseDescendants(input, *seq);
  if (seq->items.size() == 1) return seq->items[0];
  return Value::FromArray(seq);
}

// As the reference's isNumeric: an infinite number is an error (D1001), not a number.
bool IsNumeric(const Value& v) {
  if (!v.IsNumber() || std::isnan(v.number)) return false;
  if (!std::isfinite(v.number)) ThrowValue("D1001", v);
  return true;
}

Value NumericOp(const Value& lhs, const Value& rhs, const std::string& op) {
  if (lhs.IsDefined() && !IsNumeric(lhs)) ThrowValue("T2001", lhs);
  if (rhs.IsDefined() && !IsNumeric(rhs)) ThrowValue("T2002", rhs);
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
  double a = lhs.number, b = rhs.number;
  switch (op[0]) {
    case '+':
      return Value::Number(a + b);
    case '-':
      return Value::Number(a - b);
    case '*':
      return Value::Number(a * b);
    case '/':
      return Value::Number(a / b);
    default:
      return Value::Number(std::fmod(a, b));
  }
}

Value Comparison(const Value& lhs, const Value& rhs, const std::string& op) {
  auto comparable = [](const Value& v) { return v.IsUndefined() || v.IsString() || v.IsNumber(); };
  if (!comparable(lhs) || !comparable(rhs)) {
    ThrowValue("T2010", !(lhs.IsString() || lhs.IsNumber()) ? lhs : rhs);
  }
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
  if (lhs.type != rhs.type) ThrowValue("T2009", lhs);
  int c;
  if (lhs.IsNumber()) {
    c = lhs.number < rhs.number ? -1 : (lhs.number > rhs.number ? 1 : 0);
    if (std::isnan(lhs.number) || std::isnan(rhs.number)) return Value::Bool(false);
  } else {
    c = lhs.Str().compare(rhs.Str());
  }
  if (op == "<") return Value::Bool(c < 0);
  if (op == "<=") return Value::Bool(c <= 0);
  if (op == ">") return Value::Bool(c > 0);
  return Value::Bool(c >= 0);
}

Value Includes(const Value& lhs, const Value& rhs) {
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
  // JavaScript's ===: primitives by value, arrays, objects and functions by identity.
  auto same = [&](const Value& v) {
    if (v.type != lhs.type) return false;
    return v.type >= Type::kArray ? v.heap == lhs.heap : DeepEqual(v, lhs);
  };

  if (!rhs.IsArray()) return Value::Bool(same(rhs));
  for (const Value& v : rhs.Arr().items) {
    if (same(v)) return Value::Bool(true);
  }
  return Value::Bool(false);
}

Value Range(const Value& lhs, const Value& rhs) {
  auto is_integer = [](const Value& v) { return v.IsNumber() && std::floor(v.number) == v.number; };
  if (lhs.IsDefined() && !is_integer(lhs)) ThrowValue("T2003", lhs);
  if (rhs.IsDefined() && !is_integer(rhs)) ThrowValue("T2004", rhs);
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value();
  if (lhs.number > rhs.number) return Value();
  double size = rhs.number - lhs.number + 1;
  if (size > 1e7) ThrowValue("D2014", Value::Number(size));
  auto seq = NewSequence();
  seq->items.reserve(static_cast<size_t>(size));
  for (double i = lhs.number; i <= rhs.number; ++i) seq->items.push_back(Value::Number(i));
  return Value::FromArray(seq);
}

}  // namespace

Value Flatten(const Value& v) {
  auto out = std::make_shared<Array>();
  FlattenInto(v, *out);
  return Value::FromArray(out);
}

Value Append(const Value& a, const Value& b) {
  if (a.IsUndefined()) return b;
  if (b.IsUndefined()) return a;
  auto out = std::make_shared<Array>();
  if (a.IsArray()) {
    out->items = a.Arr().items;
  } else {
    out->items.push_back(a);
  }
  if (b.IsArray()) {
    out->items.insert(out->items.end(), b.Arr().items.begin(), b.Arr().items.end());
  } else {
    out->items.push_back(b);
  }
  return Value::FromArray(out);
}

bool IsArrayOfStrings(const Value& v) {
  if (!v.IsArray()) return false;
  for (const Value& item : v.Arr().items) {
    if (!item.IsString()) return false;
  }
  return true;
}

bool IsArrayOfNumbers(const Value& v) {
  if (!v.IsArray()) return false;
  for (const Value& item : v.Arr().items) {
    if (!item.IsNumber()) return false;
  }
  return true;
}

Value Evaluator::Eval(const Node* expr, const Value& input, const EnvPtr& env) {
  DepthGuard guard(*this);
  Value result = EvalInner(expr, input, env);
  if (expr->has_predicate) {
    for (const Stage& stage : expr->predicate) result = EvalFilter(stage.expr, result, env);
  }
  if (expr->type != NodeType::kPath && expr->group) result = EvalGroup(*expr->group, result, env);
  if (result.IsArray()) {
    Array& a = result.Arr();
    if (a.sequence && !a.tuple_stream) {
      if (expr->keep_array) a.keep_singleton = true;
      if (a.items.empty()) return Value();
      if (a.items.size() == 1 && !a.keep_singleton) return Value(a.items[0]);
    }
  }
  return result;
}

Value Evaluator::EvalInner(const Node* expr, const Value& input, const EnvPtr& env) {
  switch (expr->type) {
    case NodeType::kPath:
      return EvalPath(expr, input, env);
    case NodeType::kBinary:
      return EvalBinary(expr, input, env);
    case NodeType::kUnary:
      return EvalUnary(expr, input, env);
    case NodeType::kName:
      return Lookup(input, expr->value);
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kValue:
      return expr->literal;
    case NodeType::kWildcard:
      return Wildcard(input);
    case NodeType::kDescendant:
      return Descendants(input);
    case NodeType::kParent: {
      const Value* v = env->Lookup(expr->slot->label);
      return v ? *v : Value();
    }
    case NodeType::kCondition:
      return EvalCondition(expr, input, env);
    case NodeType::kBlock:
      return EvalBlock(expr, input, env);
    case NodeType::kBind: {
      Value value = Eval(expr->rhs, input, env);
      env->Bind(expr->lhs->value, value);
      return value;
    }
    case NodeType::kRegex: {
      auto f = std::make_shared<Function>();
      f->kind = Function::Kind::kRegex;
      f->regex = expr->regex;
      return MakeFunction(f);
    }
    case NodeType::kFunction:
      return EvalFunction(expr, input, env, nullptr);
    case NodeType::kVariable: {
      if (expr->value.empty()) {
        if (input.IsArray() && input.Arr().outer_wrapper) return input.Arr().items[0];
        return input;
      }
      const Value* v = env->Lookup(expr->value);
      return v ? *v : Value();
    }
    case NodeType::kLambda: {
      auto f = std::make_shared<Function>();
      f->kind = Function::Kind::kLambda;
      f->node = expr;
      for (const Node* p : expr->arguments) f->params.push_back(p->value);
      f->input = input;
      f->env = env;
      f->thunk = expr->thunk;
      return MakeFunction(f);
    }
    case NodeType::kPartial:
      return EvalPartial(expr, input, env);
    case NodeType::kApply:
      return EvalApply(expr, input, env);
    case NodeType::kTransform: {
      auto f = std::make_shared<Function>();
      f->kind = Function::Kind::kTransform;
      f->node = expr;
      f->env = env;
      return MakeFunction(f);
    }
    case NodeType::kSort:
      return EvalSort(expr, input, env);
    default:
      return Value();
  }
}

Value Evaluator::EvalCondition(const Node* expr, const Value& input, const EnvPtr& env) {
  Value condition = Eval(expr->condition, input, env);
  if (Truthy(condition)) return Eval(expr->then, input, env);
  if (expr->otherwise) return Eval(expr->otherwise, input, env);
  return Value();
}

Value Evaluator::EvalBlock(const Node* expr, const Value& input, const EnvPtr& env) {
  auto frame = std::make_shared<Env>(env);
  Value result;
  for (const Node* item : expr->expressions) result = Eval(item, input, frame);
  return result;
}

Value Evaluator::EvalPath(const Node* expr, const Value& input, const EnvPtr& env) {
  Value sequence;
  if (input.IsArray() && expr->steps[0]->type != NodeType::kVariable) {
    sequence = input;
  } else {
    sequence = SequenceOf(input);
  }
  Value result;
  bool tuple_stream = false;
  Value tuples;
  for (size_t i = 0; i < expr->steps.size(); ++i) {
    const Node* step = expr->steps[i];
    if (step->tuple) tuple_stream = true;
    if (i == 0 && step->cons_array) {
      result = Eval(step, sequence, env);
    } else if (tuple_stream) {
      tuples = EvalTupleStep(step, sequence, tuples, env);
    } else {
      result = EvalStep(step, sequence, env, i == expr->steps.size() - 1);
    }
    if (!tuple_stream &&
        (result.IsUndefined() || (result.IsArray() && result.Arr().items.empty()))) {
      break;
    }
    if (step->focus.empty()) sequence = result;
  }
  if (tuple_stream) {
    if (expr->tuple) {
      result = tuples;
    } else {
      auto seq = NewSequence();
      if (tuples.IsArray()) {
        for (const Value& t : tuples.Arr().items) {
          const Value* at = t.Obj().Find("@");
          seq->items.push_back(at ? *at : Value());
        }
      }
      result = Value::FromArray(seq);
    }
  }
  if (expr->keep_singleton_array) {
    if (result.IsArray() && result.Arr().cons && !result.Arr().sequence) {
      result = SequenceOf(result);
    }
    if (result.IsArray()) {
      result.Arr().keep_singleton = true;
    } else if (result.IsDefined()) {
      result = SequenceOf(result);
      result.Arr().keep_singleton = true;
    }
  }
  if (expr->group) result = EvalGroup(*expr->group, tuple_stream ? tuples : result, env);
  return result;
}

Value Evaluator::EvalStep(const Node* step, const Value& input, const EnvPtr& env, bool last) {
  if (step->type == NodeType::kSort) {
    Value result = EvalSort(step, input, env);
    if (step->has_stages) result = EvalStages(step->stages, result, env);
    return result;
  }
  auto result = NewSequence();
  const auto& items = input.Arr().items;
  for (size_t i = 0; i < items.size(); ++i) {
    Value res = Eval(step, items[i], env);
    if (step->has_stages) {
      for (const Stage& stage : step->stages) res = EvalFilter(stage.expr, res, env);
    }
    if (res.IsDefined()) result->items.push_back(std::move(res));
  }
  if (last && result->items.size() == 1 && result->items[0].IsArray() &&
      !result->items[0].Arr().sequence) {
    return result->items[0];
  }
  auto flat = NewSequence();
  for (const Value& res : result->items) {
    if (!res.IsArray() || res.Arr().cons) {
      flat->items.push_back(res);
    } else {
      for (const Value& v : res.Arr().items) flat->items.push_back(v);
    }
  }
  return Value::FromArray(flat);
}

Value Evaluator::EvalStages(const std::vector<Stage>& stages, Value input, const EnvPtr& env) {
  for (const Stage& stage : stages) {
    if (stage.is_filter) {
      input = EvalFilter(stage.expr, input, env);
    } else if (input.IsArray()) {
      auto& items = input.Arr().items;
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].IsObject())
          items[i].Obj().Set(stage.var, Value::Number(static_cast<double>(i)));
      }
    }
  }
  return input;
}

EnvPtr Evaluator::FrameFromTuple(const EnvPtr& env, const Value& tuple) {
  auto frame = std::make_shared<Env>(env);
  if (tuple.IsObject()) {
    for (const auto& [k, v] : tuple.Obj().entries) frame->Bind(k, v);
  }
  return frame;
}

Value Evaluator::EvalTupleStep(const Node* step, const Value& input, Value tuples,
                               const EnvPtr& env) {
  if (step->type == NodeType::kSort) {
    Value result;
    if (tuples.IsDefined()) {
      result = EvalSort(step, tuples, env);
    } else {
      Value sorted = EvalSort(step, input, env);
      auto seq = NewSequence();
      seq->tuple_stream = true;
      if (sorted.IsArray()) {
        for (size_t i = 0; i < sorted.Arr().items.size(); ++i) {
          auto t = std::make_shared<Object>();
          t->Set("@", sorted.Arr().items[i]);
          if (!step->index.empty()) t->Set(step->index, Value::Number(static_cast<double>(i)));
          seq->items.push_back(Value::FromObject(t));
        }
      }
      result = Value::FromArray(seq);
    }
    if (step->has_stages) result = EvalStages(step->stages, result, env);
    return result;
  }
  auto result = NewSequence();
  result->tuple_stream = true;
  if (tuples.IsUndefined()) {
    auto seq = NewSequence();
    for (const Value& item : input.Arr().items) {
      auto t = std::make_shared<Object>();
      t->Set("@", item);
      seq->items.push_back(Value::FromObject(t));
    }
    tuples = Value::FromArray(seq);
  }
  for (const Value& tuple : tuples.Arr().items) {
    EnvPtr step_env = FrameFromTuple(env, tuple);
    const Value* at = tuple.Obj().Find("@");
    Value context = at ? *at : Value();
    Value res = Eval(step, context, step_env);
    if (res.IsUndefined()) continue;
    if (!res.IsArray()) res = SequenceOf(res);
    bool res_tuples = res.Arr().tuple_stream;
    const auto& items = res.Arr().items;
    for (size_t b = 0; b < items.size(); ++b) {
      auto t = std::make_shared<Object>(tuple.Obj());
      if (res_tuples) {
        for (const auto& [k, v] : items[b].Obj().entries) t->Set(k, v);
      } else {
        if (!step->focus.empty()) {
          t->Set(step->focus, items[b]);
          t->Set("@", context);
        } else {
          t->Set("@", items[b]);
        }
        if (!step->index.empty()) t->Set(step->index, Value::Number(static_cast<double>(b)));
        if (step->ancestor) t->Set(step->ancestor->label, context);
      }
      result->items.push_back(Value::FromObject(t));
    }
  }
  Value out = Value::FromArray(result);
  if (step->has_stages) out = EvalStages(step->stages, out, env);
  return out;
}

Value Evaluator::EvalFilter(const Node* predicate, const Value& in, const EnvPtr& env) {
  auto results = NewSequence();
  bool tuple = in.IsArray() && in.Arr().tuple_stream;
  if (tuple) results->tuple_stream = true;
  Value input = in.IsArray() ? in : SequenceOf(in);
  const auto& items = input.Arr().items;
  const double n = static_cast<double>(items.size());
  if (predicate->type == NodeType::kNumber) {
    double index = std::floor(predicate->literal.number);
    if (index < 0) index += n;
    if (index >= 0 && index < n) {
      const Value& item = items[static_cast<size_t>(index)];
      if (item.IsArray()) return item;
      if (item.IsDefined()) results->items.push_back(item);
    }
    return Value::FromArray(results);
  }
  for (size_t index = 0; index < items.size(); ++index) {
    const Value& item = items[index];
    if (item.IsUndefined()) continue;
    Value context = item;
    EnvPtr frame = env;
    if (tuple) {
      const Value* at = item.Obj().Find("@");
      context = at ? *at : Value();
      frame = FrameFromTuple(env, item);
    }
    Value res = Eval(predicate, context, frame);
    if (IsNumeric(res)) res = SequenceOf(res);
    if (IsArrayOfNumbers(res) && !res.Arr().items.empty()) {
      for (const Value& r : res.Arr().items) {
        double ii = std::floor(r.number);
        if (ii < 0) ii += n;
        if (ii == static_cast<double>(index)) results->items.push_back(item);
      }
    } else if (Truthy(res)) {
      results->items.push_back(item);
    }
  }
  return Value::FromArray(results);
}

Value Evaluator::EvalBinary(const Node* expr, const Value& input, const EnvPtr& env) {
  const std::string& op = expr->value;
  Value lhs = Eval(expr->lhs, input, env);
  try {
    if (op == "and" || op == "or") {
      bool l = lhs.IsDefined() && Truthy(lhs);
      if (op == "and" && !l) return Value::Bool(false);
      if (op == "or" && l) return Value::Bool(true);
      Value rhs = Eval(expr->rhs, input, env);
      return Value::Bool(rhs.IsDefined() && Truthy(rhs));
    }
    Value rhs = Eval(expr->rhs, input, env);
    switch (op[0]) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return NumericOp(lhs, rhs, op);
      case '=':
        if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
        return Value::Bool(DeepEqual(lhs, rhs));
      case '!':
        if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Bool(false);
        return Value::Bool(!DeepEqual(lhs, rhs));
      case '<':
      case '>':
        return Comparison(lhs, rhs, op);
      case '&': {
        Value l = lhs.IsUndefined() ? Value::String("") : ToStringValue(lhs);
        Value r = rhs.IsUndefined() ? Value::String("") : ToStringValue(rhs);
        return Value::String(l.Str() + r.Str());
      }
      case '.':
        return Range(lhs, rhs);
      case 'i':
        return Includes(lhs, rhs);
      default:
        return Value();
    }
  } catch (Error& e) {
    if (e.position() < 0) e.set_position(expr->position);
    if (!e.has_token()) e.set_token(op);
    throw;
  }
}

Value Evaluator::EvalUnary(const Node* expr, const Value& input, const EnvPtr& env) {
  if (expr->value == "-") {
    Value v = Eval(expr->expression, input, env);
    if (v.IsUndefined()) return v;
    if (IsNumeric(v)) return Value::Number(-v.number);
    ThrowValue("D1002", v, expr->position);
  }
  if (expr->value == "[") {
    auto result = std::make_shared<Array>();
    for (const Node* item : expr->expressions) {
      Value value = Eval(item, input, env);
      if (value.IsUndefined()) continue;
      if (item->type == NodeType::kUnary && item->value == "[") {
        result->items.push_back(value);
      } else if (value.IsArray()) {
        const auto& items = value.Arr().items;
        result->items.insert(result->items.end(), items.begin(), items.end());
      } else {
        result->items.push_back(value);
      }
    }
    result->cons = expr->cons_array;
    return Value::FromArray(result);
  }
  Group group;
  group.pairs = expr->pairs;
  group.position = expr->position;
  return EvalGroup(group, input, env);
}

Value Evaluator::EvalGroup(const Group& group, const Value& in, const EnvPtr& env) {
  bool reduce = in.IsArray() && in.Arr().tuple_stream;
  Value input = in.IsArray() ? in : SequenceOf(in);
  std::vector<const Value*> items;
  for (const Value& item : input.Arr().items) items.push_back(&item);
  Value undefined;
  if (items.empty()) items.push_back(&undefined);
  struct Entry {
    std::string key;
    Value data;
    size_t expr_index;
  };
  std::vector<Entry> groups;
  for (const Value* item : items) {
    EnvPtr frame = reduce ? FrameFromTuple(env, *item) : env;
    Value context = *item;
    if (reduce) {
      const Value* at = item->IsObject() ? item->Obj().Find("@") : nullptr;
      context = at ? *at : Value();
    }
    for (size_t p = 0; p < group.pairs.size(); ++p) {
      Value key = Eval(group.pairs[p].first, context, frame);
      if (key.IsUndefined()) continue;
      if (!key.IsString()) ThrowValue("T1003", key, group.position);
      Entry* found = nullptr;
      for (Entry& e : groups) {
        if (e.key == key.Str()) found = &e;
      }
      if (found) {
        if (found->expr_index != p) ThrowValue("D1009", key, group.position);
        found->data = Append(found->data, *item);
      } else {
        groups.push_back({key.Str(), *item, p});
      }
    }
  }
  auto result = std::make_shared<Object>();
  for (Entry& entry : groups) {
    Value context = entry.data;
    EnvPtr frame = env;
    if (reduce) {
      auto tuple = std::make_shared<Object>();
      if (entry.data.IsArray()) {
        const auto& ts = entry.data.Arr().items;
        if (!ts.empty() && ts[0].IsObject()) *tuple = ts[0].Obj();
        for (size_t i = 1; i < ts.size(); ++i) {
          if (!ts[i].IsObject()) continue;
          for (const auto& [k, v] : ts[i].Obj().entries) {
            const Value* prev = tuple->Find(k);
            tuple->Set(k, Append(prev ? *prev : Value(), v));
          }
        }
      } else if (entry.data.IsObject()) {
        *tuple = entry.data.Obj();
      }
      const Value* at = tuple->Find("@");
      context = at ? *at : Value();
      tuple->Erase("@");
      frame = FrameFromTuple(env, Value::FromObject(tuple));
    }
    Value value = Eval(group.pairs[entry.expr_index].second, context, frame);
    if (value.IsDefined()) result->entries.emplace_back(entry.key, value);
  }
  return Value::FromObject(result);
}

}  // namespace shoplake::jsonata
