// The built-in functions of JSONata 2.0.6 (strings, numbers, arrays, objects, higher-order
// functions, regexes, encodings), with the reference's signatures and error codes.
#include "jsonata/functions.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "jsonata/engine.h"

namespace shoplake::jsonata {

namespace {

Value Seq() { return NewSequenceValue(); }

Value Sum(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double total = 0;
  for (const Value& v : a[0].Arr().items) total += v.number;
  return Value::Number(total);
}
Value Count(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value::Number(0);
  return Value::Number(static_cast<double>(a[0].Arr().items.size()));
}
Value MaxMin(std::vector<Value>& a, bool max) {
  if (Arg(a, 0).IsUndefined() || a[0].Arr().items.empty()) return Value();
  double r = max ? -INFINITY : INFINITY;
  for (const Value& v : a[0].Arr().items) r = max ? std::max(r, v.number) : std::min(r, v.number);
  return Value::Number(r);
}
Value Max(Evaluator&, std::vector<Value>& a, const Value&) { return MaxMin(a, true); }
Value Min(Evaluator&, std::vector<Value>& a, const Value&) { return MaxMin(a, false); }
Value Average(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined() || a[0].Arr().items.empty()) return Value();
  double total = 0;
  for (const Value& v : a[0].Arr().items) total += v.number;
  return Value::Number(total / static_cast<double>(a[0].Arr().items.size()));
}

Value StringFn(Evaluator&, std::vector<Value>& a, const Value&) {
  return ToStringValue(Arg(a, 0), Arg(a, 1).IsBool() && Arg(a, 1).boolean);
}

// JavaScript's slice on code points.
std::string Slice(const std::vector<char32_t>& cps, double start, double end) {
  double n = static_cast<double>(cps.size());
  auto norm = [&](double x) {
    if (std::isnan(x)) return 0.0;
    x = std::trunc(x);
    if (x < 0) return std::max(0.0, n + x);
    return std::min(x, n);
  };
  double s = norm(start), e = norm(end);
  if (s >= e) return "";
  return FromCodePoints(cps.data() + static_cast<size_t>(s), cps.data() + static_cast<size_t>(e));
}

Value Substring(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  auto cps = ToCodePoints(a[0].Str());
  double len = static_cast<double>(cps.size());
  double start = Arg(a, 1).number;
  if (len + start < 0) start = 0;
  if (Arg(a, 2).IsDefined()) {
    double length = a[2].number;
    if (length <= 0) return Value::String("");
    double end = start >= 0 ? start + length : len + start + length;
    return Value::String(Slice(cps, start, end));
  }
  return Value::String(Slice(cps, start, len));
}

Value SubstringBefore(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  size_t pos = a[0].Str().find(Arg(a, 1).IsString() ? a[1].Str() : "");
  if (pos == std::string::npos) return a[0];
  return Value::String(a[0].Str().substr(0, pos));
}
Value SubstringAfter(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& chars = Arg(a, 1).IsString() ? a[1].Str() : "";
  size_t pos = a[0].Str().find(chars);
  if (pos == std::string::npos) return a[0];
  return Value::String(a[0].Str().substr(pos + chars.size()));
}
Value Lowercase(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string s = a[0].Str();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return Value::String(s);
}
Value Uppercase(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string s = a[0].Str();
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return Value::String(s);
}
Value Length(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Value::Number(static_cast<double>(CodePointCount(a[0].Str())));
}
Value Trim(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string out;
  bool space = false;
  for (char c : a[0].Str()) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  if (space) out += ' ';
  if (!out.empty() && out[0] == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Value::String(out);
}
Value Pad(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string ch = Arg(a, 2).IsString() && !a[2].Str().empty() ? a[2].Str() : " ";
  double width = Arg(a, 1).number;
  const std::string& str = a[0].Str();
  double pad_length = std::fabs(width) - static_cast<double>(CodePointCount(str));
  if (pad_length <= 0) return a[0];
  if (pad_length > 1e7) ThrowValue("D2014", Value::Number(pad_length));  // as the range limit
  std::string padding;
  for (int i = 0; i < static_cast<int>(pad_length); ++i) padding += ch;
  auto cps = ToCodePoints(padding);
  padding = FromCodePoints(cps.data(), cps.data() + static_cast<size_t>(pad_length));
  return Value::String(width > 0 ? str + padding : padding + str);
}

// Byte offset to code point index.
double CharIndex(const std::string& s, size_t byte) {
  return static_cast<double>(CodePointCount(std::string_view(s).substr(0, byte)));
}

struct Match {
  size_t start, end;
  Value object;  // what a replacement function receives
};

// A matcher written in JSONata returns {match, start, end, groups, next} like a regex does.
std::vector<Match> CustomMatches(Evaluator& ev, const Value& matcher, const std::string& str,
                                 double limit) {
  std::vector<Match> out;
  std::vector<Value> args{Value::String(str)};
  Value m = ev.Apply(matcher, args, Value(), ev.root());
  while (m.IsDefined() && out.size() < limit) {
    const Value* match = m.IsObject() ? m.Obj().Find("match") : nullptr;
    const Value* start = m.IsObject() ? m.Obj().Find("start") : nullptr;
    const Value* end = m.IsObject() ? m.Obj().Find("end") : nullptr;
    const Value* next = m.IsObject() ? m.Obj().Find("next") : nullptr;
    if (!match || !start || !end || !start->IsNumber() || !end->IsNumber() || !match->IsString()) {
      Throw("T1010");
    }
    out.push_back({static_cast<size_t>(start->number), static_cast<size_t>(end->number), m});
    if (!next || !next->IsFunction()) break;
    std::vector<Value> none;
    m = ev.Apply(*next, none, Value(), ev.root());
  }
  return out;
}

// All matches of a pattern (regex function or string), at most `limit`.
std::vector<Match> FindMatches(Evaluator& ev, const Value& pattern, const std::string& str,
                               double limit) {
  std::vector<Match> out;
  const Function& fn = FunctionOf(pattern);
  if (fn.kind != Function::Kind::kRegex) return CustomMatches(ev, pattern, str, limit);
  size_t pos = 0;
  while (out.size() < limit) {
    Value m = RegexMatchObject(*fn.regex, str, pos);
    if (m.IsUndefined()) break;
    size_t start = static_cast<size_t>(m.Obj().Find("start")->number);
    size_t end = static_cast<size_t>(m.Obj().Find("end")->number);
    if (!out.empty() && start == end) Throw("D1004", -1, fn.regex->pattern);
    out.push_back({start, end, m});
    if (end >= str.size()) break;
    pos = end > start ? end : end + 1;
  }
  return out;
}

Value Contains(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[1].IsString()) return Value::Bool(a[0].Str().find(a[1].Str()) != std::string::npos);
  return Value::Bool(!FindMatches(ev, a[1], a[0].Str(), 1).empty());
}

Value Split(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const Value& limit_v = Arg(a, 2);
  if (limit_v.IsDefined() && limit_v.number < 0) ThrowArgument("D3020", limit_v, 3);
  double limit = limit_v.IsDefined() ? std::floor(limit_v.number) : INFINITY;
  auto result = std::make_shared<Array>();
  const std::string& str = a[0].Str();
  auto push = [&](std::string s) {
    if (static_cast<double>(result->items.size()) < limit)
      result->items.push_back(Value::String(std::move(s)));
  };
  if (limit > 0) {
    if (a[1].IsString()) {
      const std::string& sep = a[1].Str();
      if (sep.empty()) {
        auto cps = ToCodePoints(str);
        for (size_t i = 0; i < cps.size(); ++i) push(FromCodePoints(&cps[i], &cps[i] + 1));
      } else {
        size_t pos = 0;
        for (;;) {
          size_t found = str.find(sep, pos);
          if (found == std::string::npos) {
            push(str.substr(pos));
            break;
          }
          push(str.substr(pos, found - pos));
          pos = found + sep.size();
        }
      }
    } else {
      auto matches = FindMatches(ev, a[1], str, limit);
      size_t start = 0;
      for (const Match& m : matches) {
        push(str.substr(start, m.start - start));
        start = m.end;
      }
      push(str.substr(start));
    }
  }
  return Value::FromArray(result);
}

Value Join(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string sep = Arg(a, 1).IsString() ? a[1].Str() : "";
  std::string out;
  bool first = true;
  for (const Value& v : a[0].Arr().items) {
    if (!first) out += sep;
    first = false;
    out += v.Str();
  }
  return Value::String(out);
}

Value MatchFn(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const Value& limit_v = Arg(a, 2);
  if (limit_v.IsDefined() && limit_v.number < 0) ThrowArgument("D3040", limit_v, 3);
  double limit = limit_v.IsDefined() ? limit_v.number : INFINITY;
  Value result = Seq();
  const std::string& str = a[0].Str();
  for (const Match& m : FindMatches(ev, a[1], str, limit)) {
    auto o = std::make_shared<Object>();
    o->Set("match", *m.object.Obj().Find("match"));
    o->Set("index", Value::Number(CharIndex(str, m.start)));
    o->Set("groups", *m.object.Obj().Find("groups"));
    result.Arr().items.push_back(Value::FromObject(o));
  }
  return result;
}

std::string SubstituteDollars(const std::string& replacement, const Value& match) {
  const std::string& whole = match.Obj().Find("match")->Str();
  const auto& groups = match.Obj().Find("groups")->Arr().items;
  std::string out;
  size_t position = 0;
  size_t index = replacement.find('$', position);
  while (index != std::string::npos && position < replacement.size()) {
    out += replacement.substr(position, index - position);
    position = index + 1;
    char c = position < replacement.size() ? replacement[position] : 0;
    if (c == '$') {
      out += '$';
      ++position;
    } else if (c == '0') {
      out += whole;
      ++position;
    } else {
      size_t max_digits =
          groups.empty() ? 1 : static_cast<size_t>(std::floor(std::log10(groups.size()))) + 1;
      auto parse = [&](size_t digits) -> long {
        std::string d = replacement.substr(position, digits);
        size_t k = 0;
        while (k < d.size() && std::isdigit(static_cast<unsigned char>(d[k]))) ++k;
        if (k == 0) return -1;
        return std::stol(d.substr(0, k));
      };
      long g = parse(max_digits);
      if (max_digits > 1 && g > static_cast<long>(groups.size())) g = parse(max_digits - 1);
      if (g >= 0) {
        if (!groups.empty() && g >= 1 && static_cast<size_t>(g) <= groups.size()) {
          const Value& sub = groups[g - 1];
          if (sub.IsString()) out += sub.Str();
        }
        position += std::to_string(g).size();
      } else {
        out += '$';
      }
    }
    index = replacement.find('$', position);
  }
  if (position < replacement.size()) out += replacement.substr(position);
  return out;
}

Value Replace(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[1].IsString() && a[1].Str().empty()) ThrowArgument("D3010", a[1], 2);
  const Value& limit_v = Arg(a, 3);
  if (limit_v.IsDefined() && limit_v.number < 0) ThrowArgument("D3011", limit_v, 4);
  double limit = limit_v.IsDefined() ? limit_v.number : INFINITY;
  const std::string& str = a[0].Str();
  std::string out;
  size_t position = 0;
  if (a[1].IsString()) {
    const std::string& pat = a[1].Str();
    double count = 0;
    size_t idx = str.find(pat);
    while (idx != std::string::npos && count < limit) {
      out += str.substr(position, idx - position);
      out += a[2].Str();
      position = idx + pat.size();
      ++count;
      idx = str.find(pat, position);
    }
    return Value::String(out + str.substr(position));
  }
  for (const Match& m : FindMatches(ev, a[1], str, limit)) {
    out += str.substr(position, m.start - position);
    if (a[2].IsString()) {
      out += SubstituteDollars(a[2].Str(), m.object);
    } else {
      std::vector<Value> args{m.object};
      Value r = ev.Apply(a[2], args, Value(), ev.root());
      if (!r.IsString()) ThrowValue("D3012", r);
      out += r.Str();
    }
    position = m.end;
  }
  return Value::String(out + str.substr(position));
}

}  // namespace

std::vector<Builtin> StringBuiltins() {
  return {
      {"sum", "<a<n>:n>", &Sum},
      {"count", "<a:n>", &Count},
      {"max", "<a<n>:n>", &Max},
      {"min", "<a<n>:n>", &Min},
      {"average", "<a<n>:n>", &Average},
      {"string", "<x-b?:s>", &StringFn},
      {"substring", "<s-nn?:s>", &Substring},
      {"substringBefore", "<s-s:s>", &SubstringBefore},
      {"substringAfter", "<s-s:s>", &SubstringAfter},
      {"lowercase", "<s-:s>", &Lowercase},
      {"uppercase", "<s-:s>", &Uppercase},
      {"length", "<s-:n>", &Length},
      {"trim", "<s-:s>", &Trim},
      {"pad", "<s-ns?:s>", &Pad},
      {"match", "<s-f<s:o>n?:a<o>>", &MatchFn},
      {"contains", "<s-(sf):b>", &Contains},
      {"replace", "<s-(sf)(sf)n?:s>", &Replace},
      {"split", "<s-(sf)n?:a<s>>", &Split},
      {"join", "<a<s>s?:s>", &Join},
  };
}

bool Truthy(const Value& v) {
  switch (v.type) {
    case Type::kUndefined:
    case Type::kNull:
      return false;
    case Type::kBoolean:
      return v.boolean;
    case Type::kNumber:
      return v.number != 0 && !std::isnan(v.number);
    case Type::kString:
      return !v.Str().empty();
    case Type::kObject:
      return !v.Obj().entries.empty();
    case Type::kFunction:
      return false;
    case Type::kArray: {
      const auto& items = v.Arr().items;
      if (items.size() == 1) return Truthy(items[0]);
      for (const Value& item : items) {
        if (Truthy(item)) return true;
      }
      return false;
    }
  }
  return false;
}

Value ToStringValue(const Value& v, bool pretty) {
  if (v.IsUndefined()) return Value();
  if (v.IsString()) return v;
  if (v.IsFunction()) return Value::String("");
  if (v.IsNumber() && !std::isfinite(v.number)) ThrowValue("D3001", v);
  Value target = v;
  if (v.IsArray() && v.Arr().outer_wrapper && !v.Arr().items.empty()) target = v.Arr().items[0];
  return Value::String(Stringify(target, pretty, true));
}

namespace {

struct StackTask {
  const std::function<void()>* work;
  std::exception_ptr error;
};

void* RunStackTask(void* arg) {
  auto* task = static_cast<StackTask*>(arg);
  try {
    (*task->work)();
  } catch (...) {
    task->error = std::current_exception();
  }
  return nullptr;
}

// Runs `work` on a thread whose stack has `bytes` (reserved, touched only as used).
void RunWithStack(size_t bytes, const std::function<void()>& work) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  StackTask task{&work, nullptr};
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, &RunStackTask, &task);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    work();  // no thread to be had: match here, as for a short text
    return;
  }
  pthread_join(thread, nullptr);
  if (task.error) std::rethrow_exception(task.error);
}

}  // namespace

Value RegexMatchObject(const Regex& re, const std::string& text, size_t start) {
  if (start > text.size()) return Value();
  std::smatch m;
  auto flags = std::regex_constants::match_default;
  if (start > 0) flags |= std::regex_constants::match_prev_avail;
  bool found = false;
  auto search = [&] {
    found = std::regex_search(text.begin() + static_cast<long>(start), text.end(), m, re.compiled,
                              flags);
  };
  // std::regex recurses once per character matched: a long text gets a stack to match.
  constexpr size_t kShortText = 4096;
  if (text.size() - start <= kShortText) {
    search();
  } else {
    RunWithStack(std::min<size_t>(size_t{1} << 31,
                                  std::max<size_t>(size_t{64} << 20, (text.size() - start) * 1024)),
                 search);
  }
  if (!found) return Value();
  auto o = std::make_shared<Object>();
  size_t s = start + static_cast<size_t>(m.position(0));
  o->Set("match", Value::String(m.str(0)));
  o->Set("start", Value::Number(static_cast<double>(s)));
  o->Set("end", Value::Number(static_cast<double>(s + m.length(0))));
  o->Set("index", Value::Number(CharIndex(text, s)));
  auto groups = std::make_shared<Array>();
  for (size_t i = 1; i < m.size(); ++i) {
    groups->items.push_back(m[i].matched ? Value::String(m.str(i)) : Value());
  }
  o->Set("groups", Value::FromArray(groups));
  return Value::FromObject(o);
}

Value MergeSort(const Value& array, const std::function<bool(const Value&, const Value&)>& swap) {
  std::vector<Value> items = array.Arr().items;
  std::vector<Value> buffer(items.size());
  // Bottom-up merge: on ties the left element stays first (the reference's order).
  for (size_t width = 1; width < items.size(); width *= 2) {
    for (size_t lo = 0; lo < items.size(); lo += 2 * width) {
      size_t mid = std::min(lo + width, items.size());
      size_t hi = std::min(lo + 2 * width, items.size());
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (swap(items[i], items[j])) {
          buffer[k++] = items[j++];
        } else {
          buffer[k++] = items[i++];
        }
      }
      while (i < mid) buffer[k++] = items[i++];
      while (j < hi) buffer[k++] = items[j++];
    }
    items.swap(buffer);
  }
  auto out = std::make_shared<Array>();
  out->items = std::move(items);
  return Value::FromArray(out);
}

}  // namespace shoplake::jsonata
