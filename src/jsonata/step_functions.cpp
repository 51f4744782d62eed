// The functions AWS Step Functions adds to JSONata: $partition, $range, $hash, $random (with
// an optional seed), $uuid and $parse, the JSONata forms of its intrinsic functions.
#include <cmath>
#include <random>

#include "common/hash.h"
#include "jsonata/functions.h"
#include "jsonata/json_bridge.h"

namespace shoplake::jsonata {
namespace {

bool IsPositiveInteger(const Value& v) {
  return v.IsNumber() && v.number >= 1 && std::floor(v.number) == v.number;
}

Value Partition(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (!IsPositiveInteger(Arg(a, 1))) ThrowArgument("T0410", Arg(a, 1), 2);
  size_t size = static_cast<size_t>(a[1].number);
  auto out = std::make_shared<Array>();
  const auto& items = a[0].Arr().items;
  for (size_t i = 0; i < items.size(); i += size) {
    auto chunk = std::make_shared<Array>();
    chunk->items.assign(items.begin() + static_cast<long>(i),
                        items.begin() + static_cast<long>(std::min(i + size, items.size())));
    out->items.push_back(Value::FromArray(chunk));
  }
  return Value::FromArray(out);
}

// Inclusive of `end` when the steps land on it, as States.ArrayRange.
Value RangeFn(Evaluator&, std::vector<Value>& a, const Value&) {
  double start = Arg(a, 0).number, end = Arg(a, 1).number;
  double step = Arg(a, 2).IsDefined() ? a[2].number : 1;
  if (step == 0 || !std::isfinite(step)) ThrowArgument("T0410", Arg(a, 2), 3);
  double count = std::floor((end - start) / step) + 1;
  if (count > 1e7) ThrowValue("D2014", Value::Number(count));
  auto out = std::make_shared<Array>();
  for (double i = 0; i < count; ++i) out->items.push_back(Value::Number(start + i * step));
  return Value::FromArray(out);
}

Value HashFn(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string algorithm = Arg(a, 1).IsString() ? a[1].Str() : "SHA-256";
  Digest::Algorithm which;
  if (algorithm == "MD5") {
    which = Digest::Algorithm::kMd5;
  } else if (algorithm == "SHA-1") {
    which = Digest::Algorithm::kSha1;
  } else if (algorithm == "SHA-256") {
    which = Digest::Algorithm::kSha256;
  } else if (algorithm == "SHA-384") {
    which = Digest::Algorithm::kSha384;
  } else if (algorithm == "SHA-512") {
    which = Digest::Algorithm::kSha512;
  } else {
    ThrowArgument("D3150", a[1], 2);
  }
  Digest digest(which);
  digest.Update(a[0].Str());
  return Value::String(HexEncode(digest.Finish()));
}

Value RandomFn(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsNumber()) {
    std::mt19937_64 seeded(static_cast<uint64_t>(static_cast<int64_t>(a[0].number)));
    return Value::Number(std::uniform_real_distribution<double>(0, 1)(seeded));
  }
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  return Value::Number(std::uniform_real_distribution<double>(0, 1)(gen));
}

Value Uuid(Evaluator&, std::vector<Value>&, const Value&) {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x4000ULL;              // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return Value::String(buf);
}

Value Parse(Evaluator&, std::vector<Value>& a, const Value&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  try {
    return FromJson(nlohmann::ordered_json::parse(a[0].Str()));
  } catch (const nlohmann::json::parse_error&) {
    ThrowArgument("D3151", a[0], 1);
  }
}

}  // namespace

std::vector<Builtin> StepFunctionsBuiltins() {
  return {
      {"partition", "<an:a>", &Partition},
      {"range", "<nnn?:a>", &RangeFn},
      {"hash", "<s-s?:s>", &HashFn},
      {"random", "<n?:n>", &RandomFn},
      {"uuid", "<:s>", &Uuid},
      {"parse", "<s-:x>", &Parse},
  };
}

}  // namespace shoplake::jsonata
