// Function application: calls, partial application, `~>` chains, thunked tail calls,
// signature validation, order-by and the transform operator.
#include <cmath>

#include "jsonata/engine.h"

namespace shoplake::jsonata {
namespace {

char SymbolOf(const Value& v) {
  switch (v.type) {
    case Type::kFunction:
      return 'f';
    case Type::kString:
      return 's';
    case Type::kNumber:
      return 'n';
    case Type::kBoolean:
      return 'b';
    case Type::kNull:
      return 'l';
    case Type::kArray:
      return 'a';
    case Type::kObject:
      return 'o';
    default:
      return 'm';
  }
}

bool Accepts(const SignatureParam& p, char c) { return p.accepts.find(c) != std::string::npos; }

// Backtracking match of the argument symbols against the parameters, as the reference's
// regular expression does; spans[i] is how many arguments parameter i took.
bool MatchParams(const std::vector<SignatureParam>& params, const std::string& symbols, size_t pi,
                 size_t si, std::vector<int>& spans) {
  if (pi == params.size()) return si == symbols.size();
  const SignatureParam& p = params[pi];
  bool optional = p.quantifier == '?' || p.context;
  size_t max = 0;
  while (si + max < symbols.size() && Accepts(p, symbols[si + max]) &&
         (p.quantifier == '+' || max < 1)) {
    ++max;
  }
  size_t min = optional ? 0 : 1;
  for (size_t take = max + 1; take-- > min;) {
    spans[pi] = static_cast<int>(take);
    if (MatchParams(params, symbols, pi + 1, si + take, spans)) return true;
  }
  return false;
}

void ValidationError(const Signature& sig, const std::vector<Value>& args,
                     const std::string& symbols) {
  // The longest prefix of parameters that matches tells which argument is wrong.
  size_t good = 0;
  for (size_t n = 1; n <= sig.params.size(); ++n) {
    std::vector<SignatureParam> prefix(sig.params.begin(), sig.params.begin() + n);
    std::vector<int> spans(n);
    size_t best = std::string::npos;
    for (size_t len = symbols.size() + 1; len-- > 0;) {
      if (MatchParams(prefix, symbols.substr(0, len), 0, 0, spans)) {
        best = len;
        break;
      }
    }
    if (best == std::string::npos) break;
    good = best;
  }
  ThrowArgument("T0410", good < args.size() ? args[good] : Value(), good + 1);
}

}  // namespace

std::vector<Value> ValidateArguments(const Signature& sig, std::vector<Value>& args,
                                     const Value& context) {
  std::string symbols;
  for (const Value& a : args) symbols += SymbolOf(a);
  std::vector<int> spans(sig.params.size());
  if (!MatchParams(sig.params, symbols, 0, 0, spans)) ValidationError(sig, args, symbols);
  std::vector<Value> out;
  size_t arg = 0;
  for (size_t i = 0; i < sig.params.size(); ++i) {
    const SignatureParam& p = sig.params[i];
    if (spans[i] == 0) {
      if (p.context) {
        char c = SymbolOf(context);
        if (p.accepts.find(c) != std::string::npos && c != 'm') {
          out.push_back(context);
        } else if (c == 'm' && p.accepts.find('m') != std::string::npos) {
          out.push_back(context);
        } else {
          ThrowArgument("T0411", context, arg + 1);
        }
      } else {
        out.push_back(arg < args.size() ? args[arg] : Value());
        ++arg;
      }
      continue;
    }
    for (int k = 0; k < spans[i]; ++k, ++arg) {
      Value a = args[arg];
      if (p.type == 'a' && !a.IsUndefined()) {
        char single = symbols[arg];
        bool ok = true;
        if (!p.subtype.empty()) {
          if (single != 'a' && std::string(1, single) != p.subtype) {
            ok = false;
          } else if (single == 'a' && !a.Arr().items.empty()) {
            char first = SymbolOf(a.Arr().items[0]);
            if (first != p.subtype[0]) ok = false;
            for (const Value& item : a.Arr().items) {
              if (SymbolOf(item) != first) ok = false;
            }
          }
        }
        if (!ok) ThrowArgument("T0412", a, arg + 1);
        if (single != 'a') {
          auto wrapped = std::make_shared<Array>();
          wrapped->items.push_back(a);
          a = Value::FromArray(wrapped);
        }
      }
      out.push_back(std::move(a));
    }
  }
  return out;
}

Value Evaluator::Apply(const Value& proc, std::vector<Value>& args, const Value& input,
                       const EnvPtr& env) {
  Value result = ApplyInner(proc, args, input, env);
  while (result.IsFunction() && FunctionOf(result).kind == Function::Kind::kLambda &&
         FunctionOf(result).thunk) {
    Function& thunk = FunctionOf(result);
    const Node* body = thunk.node->body;
    Value next = Eval(body->procedure, thunk.input, thunk.env);
    std::vector<Value> evaluated;
    for (const Node* a : body->arguments) evaluated.push_back(Eval(a, thunk.input, thunk.env));
    Value keep = result;  // the thunk's environment must outlive the call
    result = ApplyInner(next, evaluated, input, env);
  }
  return result;
}

Value Evaluator::ApplyInner(const Value& proc, std::vector<Value>& args, const Value& input,
                            const EnvPtr& env) {
  if (!proc.IsFunction()) Throw("T1006");
  Function& fn = FunctionOf(proc);
  switch (fn.kind) {
    case Function::Kind::kLambda: {
      if (fn.node && fn.node->signature) {
        std::vector<Value> validated = ValidateArguments(*fn.node->signature, args, input);
        return ApplyProcedure(fn, validated);
      }
      return ApplyProcedure(fn, args);
    }
    case Function::Kind::kNative: {
      if (fn.builtin->parsed) {
        std::vector<Value> validated = ValidateArguments(*fn.builtin->parsed, args, input);
        return fn.builtin->fn(*this, validated, input);
      }
      return fn.builtin->fn(*this, args, input);
    }
    case Function::Kind::kPartial: {
      std::vector<Value> full;
      size_t next = 0;
      for (size_t i = 0; i < fn.bound.size(); ++i) {
        if (fn.placeholder[i]) {
          full.push_back(next < args.size() ? args[next] : Value());
          ++next;
        } else {
          full.push_back(fn.bound[i]);
        }
      }
      // A built-in still checks its signature: its code relies on the types it declares.
      if (FunctionOf(fn.target).kind == Function::Kind::kNative) {
        while (!full.empty() && full.back().IsUndefined()) full.pop_back();
      }
      return Apply(fn.target, full, input, env);
    }
    case Function::Kind::kCompose: {
      std::vector<Value> first = args;
      Value mid = Apply(fn.f, first, input, env);
      std::vector<Value> second{mid};
      return Apply(fn.g, second, input, env);
    }
    case Function::Kind::kTransform: {
      if (args.size() > 1) ThrowArgument("T0410", args[1], 2);
      Value obj = args.empty() ? input : args[0];
      if (obj.IsDefined() && !obj.IsObject() && !obj.IsArray()) ThrowArgument("T0410", obj, 1);
      return ApplyTransform(fn, obj);
    }
    case Function::Kind::kRegex: {
      if (args.empty() || !args[0].IsString()) return Value();
      return RegexMatchObject(*fn.regex, args[0].Str(), 0);
    }
  }
  return Value();
}

Value Evaluator::ApplyProcedure(const Function& fn, std::vector<Value>& args) {
  auto frame = std::make_shared<Env>(fn.env);
  for (size_t i = 0; i < fn.params.size(); ++i) {
    frame->Bind(fn.params[i], i < args.size() ? args[i] : Value());
  }
  return Eval(fn.node->body, fn.input, frame);
}

Value Evaluator::CallHof(const Value& fn, const Value& a, const Value& b, const Value& c) {
  int arity = Arity(fn);
  std::vector<Value> args{a};
  if (arity >= 2) args.push_back(b);
  if (arity >= 3) args.push_back(c);
  return Apply(fn, args, Value(), root_);
}

// The function a call names, and its name for errors; `undefined_code` (T1005 or T1007) when
// the name is a variable's without the `$`, as the reference hints.
Value Evaluator::EvalProcedure(const Node* expr, const Value& input, const EnvPtr& env,
                               const char* undefined_code, std::string& name) {
  Value proc = Eval(expr->procedure, input, env);
  const Node* procedure = expr->procedure;
  name = procedure->type == NodeType::kPath ? procedure->steps[0]->value : procedure->value;
  if (proc.IsUndefined() && procedure->type == NodeType::kPath && env->Lookup(name)) {
    Throw(undefined_code, expr->position, name);
  }
  return proc;
}

Value Evaluator::EvalFunction(const Node* expr, const Value& input, const EnvPtr& env,
                              const Value* applyto) {
  std::string name;
  Value proc = EvalProcedure(expr, input, env, "T1005", name);
  std::vector<Value> args;
  if (applyto) args.push_back(*applyto);
  for (const Node* a : expr->arguments) args.push_back(Eval(a, input, env));
  try {
    return Apply(proc, args, input, env);
  } catch (Error& e) {
    if (e.position() < 0) e.set_position(expr->position);
    if (!e.has_token()) e.set_token(name);
    throw;
  }
}

Value Evaluator::EvalPartial(const Node* expr, const Value& input, const EnvPtr& env) {
  auto f = std::make_shared<Function>();
  f->kind = Function::Kind::kPartial;
  for (const Node* a : expr->arguments) {
    bool hole = a->type == NodeType::kOperator && a->value == "?";
    f->placeholder.push_back(hole);
    f->bound.push_back(hole ? Value() : Eval(a, input, env));
  }
  std::string name;
  Value proc = EvalProcedure(expr, input, env, "T1007", name);
  if (!proc.IsFunction()) Throw("T1008", expr->position, name);
  Function& target = FunctionOf(proc);
  if (target.kind == Function::Kind::kLambda) {
    // Bind the given arguments in a new frame; the holes stay parameters.
    auto lambda = std::make_shared<Function>(target);
    lambda->env = std::make_shared<Env>(target.env);
    lambda->params.clear();
    for (size_t i = 0; i < target.params.size(); ++i) {
      if (i < f->placeholder.size() && f->placeholder[i]) {
        lambda->params.push_back(target.params[i]);
      } else {
        lambda->env->Bind(target.params[i], i < f->bound.size() ? f->bound[i] : Value());
      }
    }
    auto copy_node = lambda->node;
    lambda->node = copy_node;
    lambda->thunk = false;
    return MakeFunction(lambda);
  }
  f->target = proc;
  return MakeFunction(f);
}

Value Evaluator::EvalApply(const Node* expr, const Value& input, const EnvPtr& env) {
  Value lhs = Eval(expr->lhs, input, env);
  if (expr->rhs->type == NodeType::kFunction) return EvalFunction(expr->rhs, input, env, &lhs);
  Value func = Eval(expr->rhs, input, env);
  if (!func.IsFunction()) ThrowValue("T2006", func, expr->position);
  if (lhs.IsFunction()) {
    auto f = std::make_shared<Function>();
    f->kind = Function::Kind::kCompose;
    f->f = lhs;
    f->g = func;
    return MakeFunction(f);
  }
  std::vector<Value> args{lhs};
  return Apply(func, args, Value(), env);
}

Value Evaluator::EvalSort(const Node* expr, const Value& input, const EnvPtr& env) {
  if (!input.IsArray()) return input;
  bool tuple_sort = input.Arr().tuple_stream;
  auto keys = [&](const Value& item, const SortTerm& term) {
    if (tuple_sort) {
      const Value* at = item.Obj().Find("@");
      return Eval(term.expr, at ? *at : Value(), FrameFromTuple(env, item));
    }
    return Eval(term.expr, item, env);
  };
  // comes_after(a, b): a must be placed after b.
  auto comes_after = [&](const Value& a, const Value& b) {
    int comp = 0;
    for (size_t i = 0; i < expr->terms.size() && comp == 0; ++i) {
      const SortTerm& term = expr->terms[i];
      Value aa = keys(a, term);
      Value bb = keys(b, term);
      if (aa.IsUndefined()) {
        comp = bb.IsUndefined() ? 0 : 1;
        continue;
      }
      if (bb.IsUndefined()) {
        comp = -1;
        continue;
      }
      bool a_ok = aa.IsString() || aa.IsNumber();
      bool b_ok = bb.IsString() || bb.IsNumber();
      if (!a_ok || !b_ok) ThrowValue("T2008", !a_ok ? aa : bb, expr->position);
      if (aa.type != bb.type) ThrowValue("T2007", aa, expr->position);
      if (aa.IsNumber()) {
        comp = aa.number == bb.number ? 0 : (aa.number < bb.number ? -1 : 1);
      } else {
        int c = aa.Str().compare(bb.Str());
        comp = c == 0 ? 0 : (c < 0 ? -1 : 1);
      }
      if (term.descending) comp = -comp;
    }
    return comp == 1;
  };
  Value sorted = MergeSort(input, comes_after);
  sorted.Arr().tuple_stream = tuple_sort;
  sorted.Arr().sequence = true;
  return sorted;
}

Value Evaluator::ApplyTransform(const Function& fn, const Value& obj) {
  if (obj.IsUndefined()) return Value();
  const Node* expr = fn.node;
  Value result = DeepClone(obj);
  Value matches = Eval(expr->pattern, result, fn.env);
  if (matches.IsUndefined()) return result;
  if (!matches.IsArray()) {
    auto seq = std::make_shared<Array>();
    seq->items.push_back(matches);
    matches = Value::FromArray(seq);
  }
  for (const Value& match : matches.Arr().items) {
    Value update = Eval(expr->update, match, fn.env);
    if (update.IsDefined()) {
      if (!update.IsObject()) ThrowValue("T2011", update, expr->update->position);
      if (match.IsObject()) {
        for (const auto& [k, v] : update.Obj().entries) match.Obj().Set(k, v);
      }
    }
    if (!expr->remove) continue;
    Value deletions = Eval(expr->remove, match, fn.env);
    if (deletions.IsUndefined()) continue;
    Value list = deletions;
    if (!list.IsArray()) {
      auto seq = std::make_shared<Array>();
      seq->items.push_back(deletions);
      list = Value::FromArray(seq);
    }
    if (!IsArrayOfStrings(list)) ThrowValue("T2012", deletions, expr->remove->position);
    if (match.IsObject()) {
      for (const Value& key : list.Arr().items) match.Obj().Erase(key.Str());
    }
  }
  return result;
}

}  // namespace shoplake::jsonata
