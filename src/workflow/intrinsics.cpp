// Intrinsic functions: a recursive-descent parser for the call syntax and one evaluator per
// function, following the AWS Step Functions documentation of each.
#include "workflow/intrinsics.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "workflow/json_path.h"
#include "workflow/states_error.h"

namespace shoplake::workflow {
namespace {

struct Call;

struct Argument {
  enum Kind { kLiteral, kPath, kCall } kind = kLiteral;
  json literal;                // kLiteral
  std::string raw;             // kLiteral strings: the text between the quotes, escapes kept
  std::string path;            // kPath
  std::shared_ptr<Call> call;  // kCall
};

struct Call {
  std::string name;
  std::vector<Argument> arguments;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Call ParseAll() {
    Call call = ParseCall();
    SkipSpaces();
    if (pos_ != text_.size()) Fail("unexpected text after the closing ')'");
    return call;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw std::invalid_argument("invalid intrinsic function '" + std::string(text_) +
                                "' at offset " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Call ParseCall() {
    SkipSpaces();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
      ++pos_;
    }
    Call call;
    call.name = std::string(text_.substr(start, pos_ - start));
    if (call.name.rfind("States.", 0) != 0) Fail("a function name starts with 'States.'");
    SkipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != '(') Fail("expected '(' after " + call.name);
    ++pos_;
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == ')') {
      ++pos_;
      return call;
    }
    for (;;) {
      call.arguments.push_back(ParseArgument());
      SkipSpaces();
      if (pos_ >= text_.size()) Fail("missing ')'");
      if (text_[pos_] == ')') {
        ++pos_;
        return call;
      }
      if (text_[pos_] != ',') Fail("expected ',' or ')'");
      ++pos_;
    }
  }

  Argument ParseArgument() {
    SkipSpaces();
    if (pos_ >= text_.size()) Fail("missing argument");
    Argument argument;
    char c = text_[pos_];
    if (c == '\'') {
      ++pos_;
      std::string value;
      std::string raw;
      for (;;) {
        if (pos_ >= text_.size()) Fail("unterminated string");
        char ch = text_[pos_];
        if (ch == '\\') {
          if (pos_ + 1 >= text_.size()) Fail("dangling '\\'");
          raw += ch;
          raw += text_[pos_ + 1];
          value += text_[pos_ + 1];
          pos_ += 2;
          continue;
        }
        if (ch == '\'') break;
        raw += ch;
        value += ch;
        ++pos_;
      }
      ++pos_;
      argument.literal = value;
      argument.raw = raw;
      return argument;
    }
    if (c == '$') {
      size_t start = pos_;
      int depth = 0;
      char quote = 0;
      while (pos_ < text_.size()) {
        char ch = text_[pos_];
        if (quote != 0) {
          if (ch == quote) quote = 0;
        } else if (ch == '\'' || ch == '"') {
          quote = ch;
        } else if (ch == '[') {
          ++depth;
        } else if (ch == ']') {
          --depth;
        } else if (depth == 0 &&
                   (ch == ',' || ch == ')' || std::isspace(static_cast<unsigned char>(ch)))) {
          break;
        }
        ++pos_;
      }
      argument.kind = Argument::kPath;
      argument.path = std::string(text_.substr(start, pos_ - start));
      try {
        JsonPath::Parse(argument.path);
      } catch (const std::invalid_argument& e) {
        Fail(e.what());
      }
      return argument;
    }
    if (text_.substr(pos_, 7) == "States.") {
      argument.kind = Argument::kCall;
      argument.call = std::make_shared<Call>(ParseCall());
      return argument;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ')' &&
           !std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    std::string word(text_.substr(start, pos_ - start));
    if (word == "true" || word == "false" || word == "null") {
      argument.literal = json::parse(word);
      return argument;
    }
    bool numeric = !word.empty();
    for (size_t i = 0; i < word.size(); ++i) {
      char ch = word[i];
      if (!(std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == 'e' || ch == 'E' ||
            ((ch == '-' || ch == '+') && (i == 0 || word[i - 1] == 'e' || word[i - 1] == 'E')))) {
        numeric = false;
      }
    }
    json number = numeric ? json::parse(word, nullptr, false) : json();
    if (!numeric || number.is_discarded() || !number.is_number()) {
      Fail("'" + word + "' is not a string, number, boolean, null, path or function call");
    }
    argument.literal = number;
    return argument;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

[[noreturn]] void Failure(const std::string& cause) {
  throw StatesError(states_errors::kIntrinsicFailure, cause);
}

struct Evaluator {
  const json& input;
  const json& context;
  const IntrinsicEnvironment& environment;

  json Value(const Argument& argument) const {
    switch (argument.kind) {
      case Argument::kLiteral:
        return argument.literal;
      case Argument::kCall:
        return Evaluate(*argument.call);
      case Argument::kPath: {
        JsonPath path = JsonPath::Parse(argument.path);
        auto found = path.Find(path.is_context() ? context : input);
        if (!found) {
          throw StatesError(states_errors::kParameterPathFailure,
                            "the path '" + argument.path + "' matched nothing in the input");
        }
        return *found;
      }
    }
    return nullptr;
  }

  json Evaluate(const Call& call) const {
    using Function = json (Evaluator::*)(const Call&, const std::vector<json>&) const;
    static const std::map<std::string, Function> kFunctions = {
        {"States.Format", &Evaluator::Format},
        {"States.StringToJson", &Evaluator::StringToJson},
        {"States.JsonToString", &Evaluator::JsonToString},
        {"States.Array", &Evaluator::Array},
        {"States.ArrayPartition", &Evaluator::ArrayPartition},
        {"States.ArrayContains", &Evaluator::ArrayContains},
        {"States.ArrayRange", &Evaluator::ArrayRange},
        {"States.ArrayGetItem", &Evaluator::ArrayGetItem},
        {"States.ArrayLength", &Evaluator::ArrayLength},
        {"States.ArrayUnique", &Evaluator::ArrayUnique},
        {"States.Base64Encode", &Evaluator::Base64Encode},
        {"States.Base64Decode", &Evaluator::Base64Decode},
        {"States.Hash", &Evaluator::Hash},
        {"States.JsonMerge", &Evaluator::JsonMerge},
        {"States.MathRandom", &Evaluator::MathRandom},
        {"States.MathAdd", &Evaluator::MathAdd},
        {"States.StringSplit", &Evaluator::StringSplit},
        {"States.UUID", &Evaluator::Uuid},
    };
    auto it = kFunctions.find(call.name);
    if (it == kFunctions.end()) Failure("unknown intrinsic function " + call.name);
    std::vector<json> values;
    values.reserve(call.arguments.size());
    for (const auto& argument : call.arguments) values.push_back(Value(argument));
    return (this->*(it->second))(call, values);
  }

  static void Count(const Call& call, const std::vector<json>& values, size_t min, size_t max) {
    if (values.size() < min || values.size() > max) {
      std::string expected =
          min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
      Failure(call.name + " takes " + expected + " argument(s), got " +
              std::to_string(values.size()));
    }
  }
  static const json& ArrayArg(const Call& call, const std::vector<json>& values, size_t i) {
    if (!values[i].is_array())
      Failure(call.name + ": argument " + std::to_string(i + 1) + " must be an array, got " +
              values[i].dump());
    return values[i];
  }
  static const std::string& StringArg(const Call& call, const std::vector<json>& values, size_t i) {
    if (!values[i].is_string())
      Failure(call.name + ": argument " + std::to_string(i + 1) + " must be a string, got " +
              values[i].dump());
    return values[i].get_ref<const std::string&>();
  }
  static long long IntegerArg(const Call& call, const std::vector<json>& values, size_t i) {
    const json& v = values[i];
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::floor(d) == d && std::abs(d) < 9e15) return static_cast<long long>(d);
    }
    Failure(call.name + ": argument " + std::to_string(i + 1) + " must be an integer, got " +
            v.dump());
  }

  json Format(const Call& call, const std::vector<json>& values) const {
    if (values.empty()) Failure("States.Format takes a template and its values");
    StringArg(call, values, 0);
    // A literal template keeps its escapes: "\{" is a literal brace, "{}" a placeholder.
    const Argument& first = call.arguments[0];
    std::string tmpl = first.kind == Argument::kLiteral ? first.raw : values[0].get<std::string>();
    bool escapes = first.kind == Argument::kLiteral;
    std::string out;
    size_t next = 1;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      char c = tmpl[i];
      if (escapes && c == '\\' && i + 1 < tmpl.size()) {
        out += tmpl[++i];
      } else if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        if (next >= values.size()) Failure("States.Format: more placeholders than values");
        const json& v = values[next++];
        if (v.is_string()) {
          out += v.get<std::string>();
        } else if (v.is_object() || v.is_array()) {
          Failure("States.Format: value " + std::to_string(next - 1) +
                  " is not a string, number, boolean or null");
        } else {
          out += v.dump();
        }
        ++i;
      } else {
        out += c;
      }
    }
    if (next != values.size()) Failure("States.Format: more values than placeholders");
    return out;
  }

  json StringToJson(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    json parsed = json::parse(StringArg(call, values, 0), nullptr, false);
    if (parsed.is_discarded()) Failure("States.StringToJson: argument is not valid JSON");
    return parsed;
  }
  json JsonToString(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    return values[0].dump();
  }
  json Array(const Call&, const std::vector<json>& values) const {
    json out = json::array();
    for (const auto& v : values) out.push_back(v);
    return out;
  }
  json ArrayPartition(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    const json& array = ArrayArg(call, values, 0);
    long long size = IntegerArg(call, values, 1);
    if (size <= 0) Failure("States.ArrayPartition: the chunk size must be positive");
    json out = json::array();
    for (size_t i = 0; i < array.size(); i += static_cast<size_t>(size)) {
      json chunk = json::array();
      for (size_t j = i; j < std::min(array.size(), i + static_cast<size_t>(size)); ++j) {
        chunk.push_back(array[j]);
      }
      out.push_back(std::move(chunk));
    }
    return out;
  }
  json ArrayContains(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    const json& array = ArrayArg(call, values, 0);
    return std::find(array.begin(), array.end(), values[1]) != array.end();
  }
  json ArrayRange(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 3, 3);
    long long start = IntegerArg(call, values, 0);
    long long end = IntegerArg(call, values, 1);
    long long step = IntegerArg(call, values, 2);
    if (step == 0) Failure("States.ArrayRange: the step must not be 0");
    json out = json::array();
    for (long long v = start; step > 0 ? v <= end : v >= end; v += step) {
      if (out.size() >= 1000) Failure("States.ArrayRange: more than 1000 items");
      out.push_back(v);
    }
    return out;
  }
  json ArrayGetItem(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    const json& array = ArrayArg(call, values, 0);
    long long index = IntegerArg(call, values, 1);
    if (index < 0 || index >= static_cast<long long>(array.size())) {
      Failure("States.ArrayGetItem: index " + std::to_string(index) + " is out of range");
    }
    return array[static_cast<size_t>(index)];
  }
  json ArrayLength(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    return ArrayArg(call, values, 0).size();
  }
  json ArrayUnique(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    json out = json::array();
    for (const auto& v : ArrayArg(call, values, 0)) {
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
  }
  json Base64Encode(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    const std::string& text = StringArg(call, values, 0);
    if (text.size() > 10000) Failure("States.Base64Encode: input longer than 10000 characters");
    return shoplake::Base64Encode(text);
  }
  json Base64Decode(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 1, 1);
    const std::string& text = StringArg(call, values, 0);
    if (text.size() > 10000) Failure("States.Base64Decode: input longer than 10000 characters");
    try {
      return shoplake::Base64Decode(text);
    } catch (const Error&) {
      Failure("States.Base64Decode: argument is not valid base64");
    }
  }
  json Hash(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    const std::string& data = StringArg(call, values, 0);
    const std::string& algorithm = StringArg(call, values, 1);
    static const std::map<std::string, const char*> kAlgorithms = {{"MD5", "MD5"},
                                                                   {"SHA-1", "SHA1"},
                                                                   {"SHA-256", "SHA256"},
                                                                   {"SHA-384", "SHA384"},
                                                                   {"SHA-512", "SHA512"}};
    auto it = kAlgorithms.find(algorithm);
    if (it == kAlgorithms.end()) {
      Failure("States.Hash: unknown algorithm '" + algorithm +
              "' (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)");
    }
    const EVP_MD* md = EVP_get_digestbyname(it->second);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (md == nullptr || EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1) {
      Failure("States.Hash: OpenSSL cannot compute " + algorithm);
    }
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
  }
  json JsonMerge(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 3, 3);
    if (!values[0].is_object() || !values[1].is_object()) {
      Failure("States.JsonMerge: the first two arguments must be objects");
    }
    if (!values[2].is_boolean()) Failure("States.JsonMerge: the third argument must be false");
    if (values[2].get<bool>()) Failure("States.JsonMerge: deep merge (true) is not supported");
    json out = values[0];
    for (auto it = values[1].begin(); it != values[1].end(); ++it) out[it.key()] = it.value();
    return out;
  }
  json MathRandom(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 3);
    long long start = IntegerArg(call, values, 0);
    long long end = IntegerArg(call, values, 1);
    if (end <= start) Failure("States.MathRandom: the end must be greater than the start");
    uint64_t bits = 0;
    if (values.size() == 3) {
      std::mt19937_64 seeded(static_cast<uint64_t>(IntegerArg(call, values, 2)));
      bits = seeded();
    } else {
      bits = environment.random();
    }
    return start + static_cast<long long>(bits % static_cast<uint64_t>(end - start));
  }
  json MathAdd(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    if (!values[0].is_number() || !values[1].is_number()) {
      Failure("States.MathAdd: both arguments must be numbers");
    }
    if (values[0].is_number_integer() && values[1].is_number_integer()) {
      return values[0].get<long long>() + values[1].get<long long>();
    }
    return values[0].get<double>() + values[1].get<double>();
  }
  json StringSplit(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 2, 2);
    const std::string& text = StringArg(call, values, 0);
    const std::string& delimiters = StringArg(call, values, 1);
    json out = json::array();
    std::string piece;
    for (char c : text) {
      if (delimiters.find(c) != std::string::npos) {
        if (!piece.empty()) out.push_back(piece);
        piece.clear();
      } else {
        piece += c;
      }
    }
    if (!piece.empty()) out.push_back(piece);
    return out;
  }
  json Uuid(const Call& call, const std::vector<json>& values) const {
    Count(call, values, 0, 0);
    uint64_t hi = environment.random();
    uint64_t lo = environment.random();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
    std::string bytes;
    for (int i = 7; i >= 0; --i) bytes += static_cast<char>((hi >> (8 * i)) & 0xFF);
    for (int i = 7; i >= 0; --i) bytes += static_cast<char>((lo >> (8 * i)) & 0xFF);
    std::string hex = HexEncode(bytes);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
  }
};

const std::vector<std::string>& FunctionNames() {
  static const std::vector<std::string> kNames = {
      "States.Format",         "States.StringToJson",  "States.JsonToString", "States.Array",
      "States.ArrayPartition", "States.ArrayContains", "States.ArrayRange",   "States.ArrayGetItem",
      "States.ArrayLength",    "States.ArrayUnique",   "States.Base64Encode", "States.Base64Decode",
      "States.Hash",           "States.JsonMerge",     "States.MathRandom",   "States.MathAdd",
      "States.StringSplit",    "States.UUID"};
  return kNames;
}

void CheckNames(const Call& call) {
  const auto& names = FunctionNames();
  if (std::find(names.begin(), names.end(), call.name) == names.end()) {
    throw std::invalid_argument("unknown intrinsic function " + call.name);
  }
  for (const auto& argument : call.arguments) {
    if (argument.kind == Argument::kCall) CheckNames(*argument.call);
  }
}

}  // namespace

bool IsIntrinsicCall(std::string_view text) { return text.rfind("States.", 0) == 0; }

void CheckIntrinsicSyntax(std::string_view text) { CheckNames(Parser(text).ParseAll()); }

json EvaluateIntrinsic(std::string_view text, const json& input, const json& context,
                       const IntrinsicEnvironment& environment) {
  Call call;
  try {
    call = Parser(text).ParseAll();
  } catch (const std::invalid_argument& e) {
    Failure(e.what());
  }
  Evaluator evaluator{input, context, environment};
  return evaluator.Evaluate(call);
}

}  // namespace shoplake::workflow
