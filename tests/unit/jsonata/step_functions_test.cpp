// The functions Step Functions adds to JSONata: $hash checked against Python's hashlib,
// $partition and $range against States.ArrayPartition/ArrayRange's documented results,
// $random with a seed repeatable, $uuid a version 4 UUID, $parse a JSON document.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>

#include "common/subprocess.h"
#include "jsonata/jsonata.h"

namespace shoplake::jsonata {
namespace {

std::string Eval(const std::string& expr, const std::string& input_json = "null") {
  Value input = input_json == "null" ? Value() : Expression(input_json).Evaluate(Value());
  return Stringify(Expression(expr).Evaluate(input), false, false);
}

TEST(StepFunctions, HashMatchesPythonHashlib) {
  const std::string text = "shoplake \u00e9t\u00e9 \xF0\x9F\x9B\x92 orders";
  for (const char* algorithm : {"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}) {
    std::string python_name = algorithm;
    python_name.erase(std::remove(python_name.begin(), python_name.end(), '-'), python_name.end());
    for (char& c : python_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CommandOutcome py = RunShellCommand(
        "python3 -c 'import hashlib,sys; print(hashlib.new(sys.argv[1], "
        "sys.stdin.buffer.read()).hexdigest(), end=\"\")' " +
            python_name,
        text, std::chrono::seconds(30));
    ASSERT_EQ(py.exit_code, 0) << py.output;
    Value got = Expression(std::string("$hash($t, '") + algorithm + "')")
                    .Evaluate(Value(), {{"t", Value::String(text)}});
    EXPECT_EQ(got.Str(), py.output) << algorithm;
  }
}

TEST(StepFunctions, HashRejectsAnUnknownAlgorithm) {
  try {
    Eval("$hash('a', 'SHA-3')");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "D3150");
    EXPECT_NE(e.message().find("SHA-3"), std::string::npos);
  }
}

TEST(StepFunctions, PartitionAndRange) {
  EXPECT_EQ(Eval("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)"), "[[1,2,3],[4,5,6],[7,8,9]]");
  EXPECT_EQ(Eval("$partition([1, 2, 3, 4, 5], 2)"), "[[1,2],[3,4],[5]]");
  EXPECT_EQ(Eval("$range(0, 10, 2)"), "[0,2,4,6,8,10]");
  EXPECT_EQ(Eval("$range(1, 9, 2)"), "[1,3,5,7,9]");
  EXPECT_EQ(Eval("$range(5, 1, -2)"), "[5,3,1]");
  EXPECT_THROW(Eval("$partition([1], 0)"), Error);
  EXPECT_THROW(Eval("$range(1, 5, 0)"), Error);
}

TEST(StepFunctions, RandomWithASeedRepeats) {
  std::string a = Eval("$random(42)");
  EXPECT_EQ(a, Eval("$random(42)"));
  EXPECT_NE(a, Eval("$random(43)"));
  double unseeded = Expression("$random()").Evaluate(Value()).number;
  EXPECT_GE(unseeded, 0);
  EXPECT_LT(unseeded, 1);
}

TEST(StepFunctions, UuidIsVersion4AndUnique) {
  static const std::regex kV4(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = Expression("$uuid()").Evaluate(Value()).Str();
    EXPECT_TRUE(std::regex_match(id, kV4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(StepFunctions, ParseReadsJsonText) {
  EXPECT_EQ(Eval("$parse('{\"a\": [1, 2.5, \"x\"], \"b\": null}').a[1]"), "2.5");
  EXPECT_EQ(Eval("$parse('[3, 1, 2]') ^ ($)"), "[1,2,3]");
  try {
    Eval("$parse('{oops')");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "D3151");
  }
}

}  // namespace
}  // namespace shoplake::jsonata
