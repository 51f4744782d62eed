// Random and truncated expressions never crash or hang the engine: every input gives a value
// or a jsonata::Error with a code (S0xxx, T0xxx, D1xxx-D3xxx, U1001), within a time limit.
// The seeds are the conformance suite's expressions when it is present, else a fixed list.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>

#include "jsonata/json_bridge.h"
#include "jsonata/jsonata.h"

namespace shoplake::jsonata {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SeedExpressions() {
  std::vector<std::string> seeds = {
      "Account.Order.Product[Price > 30].{ 'name': $.\"Product Name\", 'total': Price * Quantity }",
      "$sum(Account.Order.Product.(Price * Quantity))",
      "Account.Order^(>OrderID).Product#$i[$i < 2]@$p.{ 'i': $i, 'p': $p.SKU }",
      "($f := function($n) { $n < 2 ? $n : $f($n - 1) + $f($n - 2) }; $f(10))",
      "$map([1..5], function($v, $i) { $v * $i }) ~> $filter(λ($x){ $x > 3 })",
      "$ ~> |Account.Order.Product|{'Price': Price * 2}, ['SKU']|",
      "$replace('abc', /(b)/i, function($m) { $uppercase($m.groups[0]) })",
      "$fromMillis(1521801216617, '[FNn], [D1o] [MNn] [Y] [h]:[m01] [P]', '+0530')",
      "$formatNumber(1234.5678, '#,##0.00;(#)') & $formatInteger(42, 'w')",
      "**.Price[%.Quantity > 1]",
  };
  for (const char* rel : {"/../shared/conformance/jsonata", "/../../shared/conformance/jsonata"}) {
    fs::path groups = fs::path(SHOPLAKE_SOURCE_DIR + std::string(rel)) / "groups";
    if (!fs::exists(groups)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(groups)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      auto doc = nlohmann::ordered_json::parse(in, nullptr, false);
      if (doc.is_discarded()) continue;
      auto cases = doc.is_array() ? doc : nlohmann::ordered_json::array({doc});
      for (const auto& c : cases) {
        if (c.contains("expr") && c["expr"].is_string()) seeds.push_back(c["expr"]);
      }
    }
    break;
  }
  return seeds;
}

Value SampleInput() {
  return FromJson(nlohmann::ordered_json::parse(R"({"Account": {"Name": "Firefly", "Order": [
    {"OrderID": "o1", "Product": [{"Product Name": "Hat", "SKU": "1", "Price": 34.45, "Quantity": 2},
                                  {"Product Name": "Cloak", "SKU": "2", "Price": 107.99, "Quantity": 1}]},
    {"OrderID": "o2", "Product": [{"Product Name": "Shoe", "SKU": "3", "Price": 21.67, "Quantity": 1}]}]}})"));
}

// Evaluates one expression; returns false (with a message) when it neither gives a value nor a
// coded error, or takes longer than a pathological bound.
void Check(const std::string& expr, const Value& input, int& errors, int& values) {
  static const std::regex kCode("^[STDU][0-9]{4}$");
  Limits limits;
  limits.time_limit = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  if (std::getenv("JSONATA_FUZZ_TRACE")) std::cerr << expr << std::endl;
  try {
    Expression e(expr);
    e.Evaluate(input, {}, limits);
    ++values;
  } catch (const Error& e) {
    EXPECT_TRUE(std::regex_match(e.code(), kCode)) << expr << ": code " << e.code();
    ++errors;
  } catch (const std::exception& e) {
    ADD_FAILURE() << expr << ": not a JSONata error: " << e.what();
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5)) << expr;
}

TEST(Fuzz, TruncatedExpressionsGiveAValueOrACodedError) {
  Value input = SampleInput();
  int errors = 0, values = 0;
  for (const std::string& seed : SeedExpressions()) {
    for (size_t cut = 1; cut < seed.size(); cut += 1 + seed.size() / 6)
      Check(seed.substr(0, cut), input, errors, values);
  }
  EXPECT_GT(errors, 100);
  EXPECT_GT(values, 100);
}

TEST(Fuzz, MutatedExpressionsGiveAValueOrACodedError) {
  static const std::vector<std::string> kTokens = {"(",       ")",
                                                   "[",       "]",
                                                   "{",       "}",
                                                   ".",       ",",
                                                   ";",       ":",
                                                   "?",       "+",
                                                   "-",       "*",
                                                   "/",       "%",
                                                   "|",       "=",
                                                   "<",       ">",
                                                   "^",       "&",
                                                   "!=",      "<=",
                                                   ">=",      "~>",
                                                   ":=",      "..",
                                                   "**",      "@",
                                                   "#",       "$",
                                                   "$$",      "and",
                                                   "or",      "in",
                                                   "'x'",     "\"",
                                                   "`",       "1",
                                                   "0",       "-1",
                                                   "1e400",   "true",
                                                   "null",    "function($x){$x}",
                                                   "/a+/",    "$sum",
                                                   "$string", "%",
                                                   "$x",      "Price",
                                                   "λ"};
  // JSONATA_FUZZ_ROUNDS and JSONATA_FUZZ_SEED explore further than the fixed run.
  const char* rounds_env = std::getenv("JSONATA_FUZZ_ROUNDS");
  const char* seed_env = std::getenv("JSONATA_FUZZ_SEED");
  int rounds = rounds_env ? std::atoi(rounds_env) : 4000;
  std::mt19937 gen(seed_env ? static_cast<unsigned>(std::atoi(seed_env)) : 20241203u);
  Value input = SampleInput();
  int errors = 0, values = 0;
  auto seeds = SeedExpressions();
  for (int round = 0; round < rounds; ++round) {
    std::string expr = seeds[gen() % seeds.size()];
    int edits = 1 + static_cast<int>(gen() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t pos = expr.empty() ? 0 : gen() % (expr.size() + 1);
      switch (gen() % 3) {
        case 0:
          expr.insert(pos, kTokens[gen() % kTokens.size()]);
          break;
        case 1:
          if (pos < expr.size()) expr.erase(pos, 1 + gen() % 3);
          break;
        default:
          if (pos < expr.size()) expr[pos] = static_cast<char>(32 + gen() % 95);
          break;
      }
    }
    Check(expr, input, errors, values);
  }
  EXPECT_GT(errors, 500);
}

TEST(Fuzz, DeepNestingAndRunawayRecursionAreBounded) {
  int errors = 0, values = 0;
  Value input = SampleInput();
  Check(std::string(100000, '(') + "1" + std::string(100000, ')'), input, errors, values);
  Check(std::string(100000, '['), input, errors, values);
  std::string chain = "a";
  for (int i = 0; i < 50000; ++i) chain += ".a";
  Check(chain, input, errors, values);
  std::string sum = "1";
  for (int i = 0; i < 50000; ++i) sum += "+1";
  Check(sum, input, errors, values);
  Check("($f := function($n){ 1 + $f($n + 1) }; $f(0))", input, errors, values);
  Check("($f := function($n){ $f($n + 1) }; $f(0))", input, errors, values);
  Check("[1..1000000].($ * 2) ~> $sum()", input, errors, values);
  // std::regex recurses per character: a long text must not overflow the stack.
  Check("$length($match($pad('', 300000, 'a'), /a+/).match)", input, errors, values);
  EXPECT_GE(errors, 4);
}

}  // namespace
}  // namespace shoplake::jsonata
