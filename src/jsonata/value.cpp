// Values, errors and the JavaScript-compatible printing of numbers and JSON.
#include "jsonata/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "jsonata/json_bridge.h"

namespace shoplake::jsonata {

Value Value::String(std::string s) {
  Value v;
  v.type = Type::kString;
  v.heap = std::make_shared<StringBox>(std::move(s));
  return v;
}
Value Value::FromArray(std::shared_ptr<Array> a) {
  Value v;
  v.type = Type::kArray;
  v.heap = std::move(a);
  return v;
}
Value Value::FromObject(std::shared_ptr<Object> o) {
  Value v;
  v.type = Type::kObject;
  v.heap = std::move(o);
  return v;
}
const std::string& EmptyString() {
  static const std::string empty;
  return empty;
}
Array& EmptyArray() {
  static thread_local Array empty;
  empty.items.clear();
  return empty;
}
Object& EmptyObject() {
  static thread_local Object empty;
  empty.entries.clear();
  return empty;
}

const Value* Object::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}
Value* Object::FindMutable(std::string_view key) {
  for (auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}
void Object::Set(const std::string& key, Value value) {
  if (Value* found = FindMutable(key)) {
    *found = std::move(value);
  } else {
    entries.emplace_back(key, std::move(value));
  }
}
void Object::Erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first == key) {
      entries.erase(it);
      return;
    }
  }
}

std::shared_ptr<Array> NewSequence() {
  auto a = std::make_shared<Array>();
  a->sequence = true;
  return a;
}
Value NewSequenceValue() { return Value::FromArray(NewSequence()); }
Value NewArrayValue() { return Value::FromArray(std::make_shared<Array>()); }
Value NewObjectValue() { return Value::FromObject(std::make_shared<Object>()); }

Error::Error(std::string code, std::string value, int position, std::string token)
    : code_(std::move(code)), value_(std::move(value)), position_(position) {
  if (!token.empty()) set_token(std::move(token));
}

std::string Error::message() const { return RenderMessage(code_, token_, value_, index_); }

const char* Error::what() const noexcept {
  if (rendered_.empty()) rendered_ = code_ + ": " + message();
  return rendered_.c_str();
}

void Throw(const char* code, int position, const std::string& token) {
  throw Error(code, {}, position, token);
}

void ThrowArgument(const char* code, const Value& value, size_t index) {
  Error e(code, value.IsUndefined() ? "undefined" : Stringify(value, false, false));
  e.set_index(static_cast<int>(index));
  throw e;
}

void ThrowValue(const char* code, const Value& value, int position) {
  std::string shown = value.IsUndefined() ? "undefined" : Stringify(value, false, false);
  throw Error(code, shown, position);
}

std::string NumberToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci: [-]D[.DDD]e[+-]XX
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t epos = sci.find('e');
  std::string digits = sci.substr(0, epos);
  int exponent = std::stoi(sci.substr(epos + 1));
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(-n, '0') + digits;
  } else {
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += "e";
    out += (n - 1 >= 0) ? "+" : "-";
    out += std::to_string(std::abs(n - 1));
  }
  return negative ? "-" + out : out;
}

namespace {

void QuoteJson(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

double Round15(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.14e", d);
  return std::strtod(buf, nullptr);
}

void Indent(std::string& out, bool pretty, int depth) {
  if (!pretty) return;
  out += '\n';
  out.append(static_cast<size_t>(depth) * 2, ' ');
}

void StringifyInto(std::string& out, const Value& v, bool pretty, bool round15, int depth) {
  switch (v.type) {
    case Type::kUndefined:
    case Type::kNull:
      out += "null";
      return;
    case Type::kBoolean:
      out += v.boolean ? "true" : "false";
      return;
    case Type::kNumber:
      if (!std::isfinite(v.number)) {
        if (round15) throw Error("D1001", NumberToString(v.number));
        out += "null";
      } else {
        out += NumberToString(round15 ? Round15(v.number) : v.number);
      }
      return;
    case Type::kString:
      QuoteJson(out, v.Str());
      return;
    case Type::kFunction:
      out += "\"\"";
      return;
    case Type::kArray: {
      const auto& items = v.Arr().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        Indent(out, pretty, depth + 1);
        if (items[i].IsUndefined()) {
          out += "null";
        } else {
          StringifyInto(out, items[i], pretty, round15, depth + 1);
        }
      }
      Indent(out, pretty, depth);
      out += ']';
      return;
    }
    case Type::kObject: {
      bool first = true;
      out += '{';
      for (const auto& [k, item] : v.Obj().entries) {
        if (item.IsUndefined()) continue;
        if (!first) out += ',';
        first = false;
        Indent(out, pretty, depth + 1);
        QuoteJson(out, k);
        out += pretty ? ": " : ":";
        StringifyInto(out, item, pretty, round15, depth + 1);
      }
      if (!first) Indent(out, pretty, depth);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string Stringify(const Value& value, bool pretty, bool round15) {
  std::string out;
  StringifyInto(out, value, pretty, round15, 0);
  return out;
}

bool DeepEqual(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::kUndefined:
    case Type::kNull:
      return true;
    case Type::kBoolean:
      return a.boolean == b.boolean;
    case Type::kNumber:
      return a.number == b.number;
    case Type::kString:
      return a.Str() == b.Str();
    case Type::kFunction:
      return a.heap == b.heap;
    case Type::kArray: {
      const auto& x = a.Arr().items;
      const auto& y = b.Arr().items;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!DeepEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case Type::kObject: {
      const auto& x = a.Obj().entries;
      const auto& y = b.Obj();
      if (x.size() != y.entries.size()) return false;
      for (const auto& [k, v] : x) {
        const Value* other = y.Find(k);
        if (!other || !DeepEqual(v, *other)) return false;
      }
      return true;
    }
  }
  return false;
}

Value DeepClone(const Value& v) {
  if (v.IsArray()) {
    auto a = std::make_shared<Array>();
    const Array& src = v.Arr();
    a->sequence = src.sequence;
    a->keep_singleton = src.keep_singleton;
    a->cons = src.cons;
    a->items.reserve(src.items.size());
    for (const auto& item : src.items) a->items.push_back(DeepClone(item));
    return Value::FromArray(a);
  }
  if (v.IsObject()) {
    auto o = std::make_shared<Object>();
    o->entries.reserve(v.Obj().entries.size());
    for (const auto& [k, item] : v.Obj().entries) o->entries.emplace_back(k, DeepClone(item));
    return Value::FromObject(o);
  }
  return v;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::vector<char32_t> ToCodePoints(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    int len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (int j = 1; j < len && i + j < s.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string FromCodePoints(const char32_t* begin, const char32_t* end) {
  std::string out;
  for (const char32_t* p = begin; p < end; ++p) AppendUtf8(out, *p);
  return out;
}

Value FromJson(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::Null();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::Bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
    case nlohmann::ordered_json::value_t::number_float:
      return Value::Number(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value::String(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      auto a = std::make_shared<Array>();
      a->items.reserve(json.size());
      for (const auto& item : json) a->items.push_back(FromJson(item));
      return Value::FromArray(a);
    }
    case nlohmann::ordered_json::value_t::object: {
      auto o = std::make_shared<Object>();
      o->entries.reserve(json.size());
      for (const auto& [k, item] : json.items()) o->entries.emplace_back(k, FromJson(item));
      return Value::FromObject(o);
    }
    default:
      return Value();
  }
}

nlohmann::ordered_json ToJson(const Value& value) {
  switch (value.type) {
    case Type::kUndefined:
      return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
    case Type::kNull:
      return nullptr;
    case Type::kBoolean:
      return value.boolean;
    case Type::kNumber: {
      double d = value.number;
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
    case Type::kString:
      return value.Str();
    case Type::kFunction:
      return "";
    case Type::kArray: {
      auto out = nlohmann::ordered_json::array();
      for (const auto& item : value.Arr().items) {
        out.push_back(item.IsUndefined() ? nlohmann::ordered_json(nullptr) : ToJson(item));
      }
      return out;
    }
    case Type::kObject: {
      auto out = nlohmann::ordered_json::object();
      for (const auto& [k, item] : value.Obj().entries) {
        if (item.IsDefined()) out[k] = ToJson(item);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace shoplake::jsonata
