// The values a JSONata expression works on: JSON plus undefined and functions, with the
// array flags the reference implementation attaches (sequence, keepSingleton, cons,
// tupleStream, outerWrapper). Arrays and objects are shared and mutable, as in JavaScript:
// the evaluator relies on that (transform updates the matched objects in place).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoplake::jsonata {

enum class Type : uint8_t {
  kUndefined,
  kNull,
  kBoolean,
  kNumber,
  kString,
  kArray,
  kObject,
  kFunction
};

struct Heap {
  virtual ~Heap() = default;
};

struct Array;
struct Object;
struct Function;

//! One value. Strings, arrays, objects and functions live on the heap, shared.
struct Value {
  Type type = Type::kUndefined;
  bool boolean = false;
  double number = 0;
  std::shared_ptr<Heap> heap;

  Value() = default;
  static Value Null() {
    Value v;
    v.type = Type::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.type = Type::kBoolean;
    v.boolean = b;
    return v;
  }
  static Value Number(double d) {
    Value v;
    v.type = Type::kNumber;
    v.number = d;
    return v;
  }
  static Value String(std::string s);
  static Value FromArray(std::shared_ptr<Array> a);
  static Value FromObject(std::shared_ptr<Object> o);

  bool IsUndefined() const { return type == Type::kUndefined; }
  bool IsDefined() const { return type != Type::kUndefined; }
  bool IsNull() const { return type == Type::kNull; }
  bool IsBool() const { return type == Type::kBoolean; }
  bool IsNumber() const { return type == Type::kNumber; }
  bool IsString() const { return type == Type::kString; }
  bool IsArray() const { return type == Type::kArray; }
  bool IsObject() const { return type == Type::kObject; }
  bool IsFunction() const { return type == Type::kFunction; }

  const std::string& Str() const;
  Array& Arr() const;
  Object& Obj() const;
  Function& Fn() const;
};

struct StringBox : Heap {
  std::string text;
  explicit StringBox(std::string s) : text(std::move(s)) {}
};

struct Array : Heap {
  std::vector<Value> items;
  bool sequence = false;
  bool keep_singleton = false;
  bool cons = false;
  bool tuple_stream = false;
  bool outer_wrapper = false;
};

//! A JSON object with its key order preserved.
struct Object : Heap {
  std::vector<std::pair<std::string, Value>> entries;
  const Value* Find(std::string_view key) const;
  Value* FindMutable(std::string_view key);
  void Set(const std::string& key, Value value);
  void Erase(std::string_view key);
};

// A value of another type reads as an empty string, array or object: a built-in given an
// undefined optional argument must not crash (the reference would throw a TypeError).
const std::string& EmptyString();
Array& EmptyArray();
Object& EmptyObject();
inline const std::string& Value::Str() const {
  return type == Type::kString ? static_cast<StringBox*>(heap.get())->text : EmptyString();
}
inline Array& Value::Arr() const {
  return type == Type::kArray ? *static_cast<Array*>(heap.get()) : EmptyArray();
}
inline Object& Value::Obj() const {
  return type == Type::kObject ? *static_cast<Object*>(heap.get()) : EmptyObject();
}

std::shared_ptr<Array> NewSequence();
Value NewSequenceValue();
Value NewArrayValue();
Value NewObjectValue();

//! An error as the reference reports it: code (S0xxx syntax, T0xxx type, D3xxx dynamic,
//! U1001 runaway), position in the expression, the offending token (operator or function
//! name) and value. what() is "CODE: message", message() the reference's text alone.
class Error : public std::exception {
 public:
  Error(std::string code, std::string value = {}, int position = -1, std::string token = {});
  const char* what() const noexcept override;
  const std::string& code() const { return code_; }
  int position() const { return position_; }
  const std::string& token() const { return token_; }
  bool has_token() const { return has_token_; }
  std::string message() const;
  void set_position(int p) { position_ = p; }
  void set_token(std::string t) {
    token_ = std::move(t);
    has_token_ = true;
    rendered_.clear();
  }
  void set_index(int i) { index_ = i; }

 private:
  std::string code_;
  std::string value_;
  int position_;
  std::string token_;
  bool has_token_ = false;
  int index_ = 0;
  mutable std::string rendered_;
};

//! The reference's message for a code with its parts filled in (messages.cpp).
std::string RenderMessage(const std::string& code, const std::string& token,
                          const std::string& value, int index);

[[noreturn]] void Throw(const char* code, int position = -1, const std::string& token = {});
//! An error about argument `index` (1-based) of a function: T0410, D3030...
[[noreturn]] void ThrowArgument(const char* code, const Value& value, size_t index);
[[noreturn]] void ThrowValue(const char* code, const Value& value, int position = -1);

//! JavaScript's Number.prototype.toString (shortest round trip, exponent from 1e21).
std::string NumberToString(double d);
//! JSON text of a value as $string and JSON.stringify write it (numbers to 15 digits).
std::string Stringify(const Value& value, bool pretty = false, bool round15 = true);
bool DeepEqual(const Value& a, const Value& b);
//! The truthiness of $boolean (undefined stays undefined, so callers choose).
bool Truthy(const Value& v);
Value DeepClone(const Value& v);
//! Number of Unicode code points in UTF-8 text.
size_t CodePointCount(std::string_view s);
std::vector<char32_t> ToCodePoints(std::string_view s);
std::string FromCodePoints(const char32_t* begin, const char32_t* end);
void AppendUtf8(std::string& out, char32_t cp);

}  // namespace shoplake::jsonata
