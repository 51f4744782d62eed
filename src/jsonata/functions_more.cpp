// Built-in functions, continued: numbers, arrays, objects, higher-order functions, URL and
// base64 encodings, and the registry that binds them all with their signatures.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "common/error.h"
#include "common/hash.h"
#include "jsonata/engine.h"
#include "jsonata/functions.h"

namespace shoplake::jsonata {
namespace {

bool MatchesNumber(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t d = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == d) return false;
  if (i < s.size() && s[i] == '.') {
    size_t f = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == f) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t e = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == e) return false;
  }
  return i == s.size();
}

Value NumberFn(Evaluator&, std::vector<Value>& a, const Value&) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  if (v.IsNumber()) return v;
  if (v.IsBool()) return Value::Number(v.boolean ? 1 : 0);
  if (v.IsString()) {
    const std::string& s = v.Str();
    if (MatchesNumber(s)) {
      double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d)) return Value::Number(d);
    }
    if (s.size() > 2 && s[0] == '0') {
      int base = (s[1] == 'x' || s[1] == 'X')   ? 16
                 : (s[1] == 'o' || s[1] == 'O') ? 8
                 : (s[1] == 'b' || s[1] == 'B') ? 2
                                                : 0;
      if (base) {
        std::string digits = s.substr(2);
        const char* ok = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "01";
        if (digits.find_first_not_of(ok) == std::string::npos) {
          return Value::Number(static_cast<double>(std::stoull(digits, nullptr, base)));
        }
      }
    }
  }
  ThrowArgument("D3030", v, 1);
}

Value Floor(Evaluator&, std::vector<Value>& a, const Value&) {
  return Arg(a, 0).IsUndefined() ? Value() : Value::Number(std::floor(a[0].number));
}
Value Ceil(Evaluator&, std::vector<Value>& a, const Value&) {
  return Arg(a, 0).IsUndefined() ? Value() : Value::Number(std::ceil(a[0].number));
}
Value Abs(Evaluator&, std::vector<Value>& a, const Value&) {
  return Arg(a, 0).IsUndefined() ? Value() : Value::Number(std::fabs(a[0].number));
}
Value Sqrt(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].number < 0) ThrowArgument("D3060", a[0], 1);
  return Value::Number(std::sqrt(a[0].number));
}
Value Power(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double r = std::pow(a[0].number, Arg(a, 1).number);
  if (!std::isfinite(r)) ThrowArgument("D3061", a[0], 1);
  return Value::Number(r);
}

// Scales by 10^shift through the decimal text, as the reference does with 'e' notation.
double ShiftDecimal(double v, int shift) {
  std::string s = NumberToString(v);
  size_t e = s.find('e');
  int exp = shift;
  if (e != std::string::npos) {
    exp += std::stoi(s.substr(e + 1));
    s = s.substr(0, e);
  }
  return std::strtod((s + "e" + std::to_string(exp)).c_str(), nullptr);
}

}  // namespace

Value RoundNumber(double arg, int precision) {
  if (precision) arg = ShiftDecimal(arg, precision);
  double result = std::floor(arg + 0.5);
  double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision) result = ShiftDecimal(result, -precision);
  if (result == 0) result = 0;
  return Value::Number(result);
}

namespace {

Value Round(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return RoundNumber(a[0].number, Arg(a, 1).IsDefined() ? static_cast<int>(a[1].number) : 0);
}

Value BooleanFn(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Value::Bool(Truthy(a[0]));
}
Value Not(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Value::Bool(!Truthy(a[0]));
}
Value Exists(Evaluator&, std::vector<Value>& a, const Value&) {
  return Value::Bool(Arg(a, 0).IsDefined());
}

void CollectKeys(const Value& v, std::vector<std::string>& keys) {
  if (v.IsArray()) {
    for (const Value& item : v.Arr().items) CollectKeys(item, keys);
  } else if (v.IsObject()) {
    for (const auto& [k, x] : v.Obj().entries) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
}
Value Keys(Evaluator&, std::vector<Value>& a, const Value&) {
  std::vector<std::string> keys;
  CollectKeys(Arg(a, 0), keys);
  Value out = NewSequenceValue();
  for (auto& k : keys) out.Arr().items.push_back(Value::String(k));
  return out;
}

Value LookupValue(const Value& input, const std::string& key) {
  if (input.IsArray()) {
    Value out = NewSequenceValue();
    for (const Value& item : input.Arr().items) {
      Value r = LookupValue(item, key);
      if (r.IsArray()) {
        for (const Value& x : r.Arr().items) out.Arr().items.push_back(x);
      } else if (r.IsDefined()) {
        out.Arr().items.push_back(r);
      }
    }
    return out;
  }
  if (input.IsObject()) {
    const Value* v = input.Obj().Find(key);
    if (v) return *v;
  }
  return Value();
}
Value LookupFn(Evaluator&, std::vector<Value>& a, const Value&) {
  return LookupValue(Arg(a, 0), Arg(a, 1).Str());
}
Value AppendFn(Evaluator&, std::vector<Value>& a, const Value&) {
  return Append(Arg(a, 0), Arg(a, 1));
}

Value Spread(const Value& v) {
  if (v.IsArray()) {
    Value result = NewSequenceValue();
    for (const Value& item : v.Arr().items) result = Append(result, Spread(item));
    return result;
  }
  if (v.IsObject()) {
    Value result = NewSequenceValue();
    for (const auto& [k, x] : v.Obj().entries) {
      auto o = std::make_shared<Object>();
      o->entries.emplace_back(k, x);
      result.Arr().items.push_back(Value::FromObject(o));
    }
    return result;
  }
  return v;
}
Value SpreadFn(Evaluator&, std::vector<Value>& a, const Value&) { return Spread(Arg(a, 0)); }

Value Merge(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  auto o = std::make_shared<Object>();
  for (const Value& item : a[0].Arr().items) {
    for (const auto& [k, v] : item.Obj().entries) o->Set(k, v);
  }
  return Value::FromObject(o);
}

Value Reverse(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].Arr().items.size() <= 1) return a[0];
  auto out = std::make_shared<Array>();
  out->items.assign(a[0].Arr().items.rbegin(), a[0].Arr().items.rend());
  return Value::FromArray(out);
}

Value Each(Evaluator& ev, std::vector<Value>& a, const Value&) {
  Value result = NewSequenceValue();
  if (!Arg(a, 0).IsObject()) return result;
  for (const auto& [k, v] : a[0].Obj().entries) {
    Value r = ev.CallHof(a[1], v, Value::String(k), a[0]);
    if (r.IsDefined()) result.Arr().items.push_back(r);
  }
  return result;
}

Value ErrorFn(Evaluator&, std::vector<Value>& a, const Value&) {
  throw Error("D3137", Arg(a, 0).IsString() ? a[0].Str() : "$error() function evaluated");
}
Value Assert(Evaluator&, std::vector<Value>& a, const Value&) {
  if (!Arg(a, 0).boolean) {
    throw Error("D3141", Arg(a, 1).IsString() ? a[1].Str() : "$assert() statement failed");
  }
  return Value();
}

Value TypeFn(Evaluator&, std::vector<Value>& a, const Value&) {
  static const char* kNames[] = {"undefined", "null",  "boolean", "number",
                                 "string",    "array", "object",  "function"};
  if (Arg(a, 0).IsUndefined()) return Value();
  return Value::String(kNames[static_cast<int>(a[0].type)]);
}

Value Sort(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].Arr().items.size() <= 1) return a[0];
  if (Arg(a, 1).IsUndefined()) {
    if (!IsArrayOfNumbers(a[0]) && !IsArrayOfStrings(a[0])) ThrowArgument("D3070", a[0], 1);
    return MergeSort(a[0], [](const Value& x, const Value& y) {
      return x.IsNumber() ? x.number > y.number : x.Str() > y.Str();
    });
  }
  Value fn = a[1];
  return MergeSort(a[0], [&](const Value& x, const Value& y) {
    std::vector<Value> args{x, y};
    return Truthy(ev.Apply(fn, args, Value(), ev.root()));
  });
}

Value Shuffle(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  auto out = std::make_shared<Array>(a[0].Arr());
  std::shuffle(out->items.begin(), out->items.end(), gen);
  return Value::FromArray(out);
}

Value Distinct(Evaluator&, std::vector<Value>& a, const Value&) {
  const Value& arr = Arg(a, 0);
  if (arr.IsUndefined()) return Value();
  if (!arr.IsArray() || arr.Arr().items.size() <= 1) return arr;
  Value out = NewSequenceValue();
  auto& items = out.Arr().items;
  for (const Value& v : arr.Arr().items) {
    bool seen = false;
    for (const Value& x : items) {
      if (DeepEqual(x, v)) {
        seen = true;
        break;
      }
    }
    if (!seen) items.push_back(v);
  }
  return out;
}

Value Zip(Evaluator&, std::vector<Value>& a, const Value&) {
  auto out = std::make_shared<Array>();
  size_t length = a.empty() ? 0 : SIZE_MAX;
  for (const Value& v : a) length = std::min(length, v.IsArray() ? v.Arr().items.size() : 0);
  for (size_t i = 0; i < length; ++i) {
    auto tuple = std::make_shared<Array>();
    for (const Value& v : a) tuple->items.push_back(v.Arr().items[i]);
    out->items.push_back(Value::FromArray(tuple));
  }
  return Value::FromArray(out);
}

Value Map(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = NewSequenceValue();
  const auto items = a[0].Arr().items;
  for (size_t i = 0; i < items.size(); ++i) {
    Value r = ev.CallHof(a[1], items[i], Value::Number(static_cast<double>(i)), a[0]);
    if (r.IsDefined()) result.Arr().items.push_back(r);
  }
  return result;
}

Value Filter(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = NewSequenceValue();
  const auto items = a[0].Arr().items;
  for (size_t i = 0; i < items.size(); ++i) {
    Value r = ev.CallHof(a[1], items[i], Value::Number(static_cast<double>(i)), a[0]);
    if (Truthy(r)) result.Arr().items.push_back(items[i]);
  }
  return result;
}

Value Single(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  bool found = false;
  Value result;
  const auto items = a[0].Arr().items;
  for (size_t i = 0; i < items.size(); ++i) {
    bool positive = true;
    if (Arg(a, 1).IsDefined()) {
      positive = Truthy(ev.CallHof(a[1], items[i], Value::Number(static_cast<double>(i)), a[0]));
    }
    if (!positive) continue;
    if (found) throw Error("D3138");
    result = items[i];
    found = true;
  }
  if (!found) throw Error("D3139");
  return result;
}

Value Reduce(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  int arity = Arity(a[1]);
  if (arity < 2) ThrowArgument("D3050", a[1], 1);
  const auto items = a[0].Arr().items;
  Value result;
  size_t index = 0;
  if (Arg(a, 2).IsUndefined() && !items.empty()) {
    result = items[0];
    index = 1;
  } else {
    result = Arg(a, 2);
  }
  for (; index < items.size(); ++index) {
    std::vector<Value> args{result, items[index]};
    if (arity >= 3) args.push_back(Value::Number(static_cast<double>(index)));
    if (arity >= 4) args.push_back(a[0]);
    result = ev.Apply(a[1], args, Value(), ev.root());
  }
  return result;
}

Value Sift(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  auto o = std::make_shared<Object>();
  for (const auto& [k, v] : a[0].Obj().entries) {
    if (Truthy(ev.CallHof(a[1], v, Value::String(k), a[0]))) o->entries.emplace_back(k, v);
  }
  if (o->entries.empty()) return Value();
  return Value::FromObject(o);
}

Value Clone(Evaluator&, std::vector<Value>& a, const Value&) { return DeepClone(Arg(a, 0)); }

Value Millis(Evaluator&, std::vector<Value>&, const Value&) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return Value::Number(
      static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
}

Value Base64EncodeFn(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Value::String(Base64Encode(a[0].Str()));
}

// atob accepts missing padding and surrounding whitespace.
Value Base64DecodeFn(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string text;
  for (char c : a[0].Str()) {
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  }
  while (text.size() % 4 != 0) text += '=';
  try {
    return Value::String(Base64Decode(text));
  } catch (const shoplake::Error&) {
    ThrowArgument("D3152", a[0], 1);
  }
}

Value EncodeWith(const Value& v, const char* keep) {
  if (v.IsUndefined()) return Value();
  for (char32_t cp : ToCodePoints(v.Str())) {
    if (cp >= 0xD800 && cp < 0xE000) ThrowArgument("D3140", v, 1);
  }
  std::string out;
  for (unsigned char c : v.Str()) {
    if (std::isalnum(c) || (c < 0x80 && std::strchr(keep, c))) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return Value::String(out);
}
Value EncodeUrlComponent(Evaluator&, std::vector<Value>& a, const Value&) {
  return EncodeWith(Arg(a, 0), "-_.!~*'()");
}
Value EncodeUrl(Evaluator&, std::vector<Value>& a, const Value&) {
  return EncodeWith(Arg(a, 0), "-_.!~*'();/?:@&=+$,#");
}
Value DecodeWith(const Value& v, const char* reserved) {
  if (v.IsUndefined()) return Value();
  const std::string& s = v.Str();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      ThrowArgument("D3140", v, 1);
    }
    char c = static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    if (static_cast<unsigned char>(c) < 0x80 && std::strchr(reserved, c) && c != 0) {
      out += s.substr(i, 3);
    } else {
      out += c;
    }
    i += 2;
  }
  // Malformed UTF-8 is a malformed URI.
  for (size_t i = 0; i < out.size();) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > out.size()) ThrowArgument("D3140", v, 1);
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(out[i + k]) & 0xC0) != 0x80) ThrowArgument("D3140", v, 1);
    }
    i += len;
  }
  return Value::String(out);
}
Value DecodeUrlComponent(Evaluator&, std::vector<Value>& a, const Value&) {
  return DecodeWith(Arg(a, 0), "");
}
Value DecodeUrl(Evaluator&, std::vector<Value>& a, const Value&) {
  return DecodeWith(Arg(a, 0), ";/?:@&=+$,#");
}

Value FormatBase(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double value = std::floor(a[0].number + 0.5);
  int radix = Arg(a, 1).IsDefined() ? static_cast<int>(a[1].number) : 10;
  if (radix < 2 || radix > 36) ThrowArgument("D3100", Arg(a, 1), 2);
  bool negative = value < 0;
  unsigned long long n = static_cast<unsigned long long>(std::fabs(value));
  std::string out;
  do {
    int d = static_cast<int>(n % static_cast<unsigned>(radix));
    out += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    n /= static_cast<unsigned>(radix);
  } while (n);
  if (negative) out += '-';
  std::reverse(out.begin(), out.end());
  return Value::String(out);
}

std::vector<Builtin>& Registry() {
  static std::vector<Builtin> builtins = {
      {"formatNumber", "<n-so?:s>", &FormatNumber},
      {"formatBase", "<n-n?:s>", &FormatBase},
      {"formatInteger", "<n-s:s>", &FormatInteger},
      {"parseInteger", "<s-s:n>", &ParseInteger},
      {"number", "<(nsb)-:n>", &NumberFn},
      {"floor", "<n-:n>", &Floor},
      {"ceil", "<n-:n>", &Ceil},
      {"round", "<n-n?:n>", &Round},
      {"abs", "<n-:n>", &Abs},
      {"sqrt", "<n-:n>", &Sqrt},
      {"power", "<n-n:n>", &Power},
      {"boolean", "<x-:b>", &BooleanFn},
      {"not", "<x-:b>", &Not},
      {"map", "<af>", &Map},
      {"zip", "<a+>", &Zip},
      {"filter", "<af>", &Filter},
      {"single", "<af?>", &Single},
      {"reduce", "<afj?:j>", &Reduce},
      {"sift", "<o-f?:o>", &Sift},
      {"keys", "<x-:a<s>>", &Keys},
      {"lookup", "<x-s:x>", &LookupFn},
      {"append", "<xx:a>", &AppendFn},
      {"exists", "<x:b>", &Exists},
      {"spread", "<x-:a<o>>", &SpreadFn},
      {"merge", "<a<o>:o>", &Merge},
      {"reverse", "<a:a>", &Reverse},
      {"each", "<o-f:a>", &Each},
      {"error", "<s?:x>", &ErrorFn},
      {"assert", "<bs?:x>", &Assert},
      {"type", "<x:s>", &TypeFn},
      {"sort", "<af?:a>", &Sort},
      {"shuffle", "<a:a>", &Shuffle},
      {"distinct", "<x:x>", &Distinct},
      {"base64encode", "<s-:s>", &Base64EncodeFn},
      {"base64decode", "<s-:s>", &Base64DecodeFn},
      {"encodeUrlComponent", "<s-:s>", &EncodeUrlComponent},
      {"encodeUrl", "<s-:s>", &EncodeUrl},
      {"decodeUrlComponent", "<s-:s>", &DecodeUrlComponent},
      {"decodeUrl", "<s-:s>", &DecodeUrl},
      {"eval", "<sx?:x>", &EvalFn},
      {"toMillis", "<s-s?:n>", &ToMillis},
      {"fromMillis", "<n-s?s?:s>", &FromMillis},
      {"clone", "<(oa)-:o>", &Clone},
      {"now", "<s?s?:s>", &Now},
      {"millis", "<:n>", &Millis},
  };
  static bool parsed = [] {
    auto strings = StringBuiltins();
    builtins.insert(builtins.begin(), strings.begin(), strings.end());
    auto aws = StepFunctionsBuiltins();
    builtins.insert(builtins.end(), aws.begin(), aws.end());
    for (Builtin& b : builtins) {
      b.parsed = ParseSignature(b.signature, 0);
      b.arity = static_cast<int>(b.parsed->params.size());
      // $string's second parameter has a default in the reference, so its arity is 1.
      if (std::string_view(b.name) == "string") b.arity = 1;
    }
    return true;
  }();
  (void)parsed;
  return builtins;
}

}  // namespace

const Builtin* FindBuiltin(std::string_view name) {
  for (const Builtin& b : Registry()) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

void BindBuiltins(Env& env) {
  for (const Builtin& b : Registry()) {
    auto f = std::make_shared<Function>();
    f->kind = Function::Kind::kNative;
    f->builtin = &b;
    env.Bind(b.name, MakeFunction(f));
  }
}

}  // namespace shoplake::jsonata
