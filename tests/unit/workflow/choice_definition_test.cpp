// Choice rules (every operator family) and definition validation messages.
#include <gtest/gtest.h>

#include "workflow/choice.h"
#include "workflow/definition.h"
#include "workflow/states_error.h"

namespace shoplake::workflow {
namespace {

const json kInput = json::parse(R"({"s":"banana","n":5,"f":2.5,"b":true,"z":null,
  "t":"2024-03-01T10:00:00Z","t2":"2024-03-01T11:00:00+01:00","other":"cherry","star":"a*b"})");

bool Rule(const std::string& text) {
  return EvaluateChoiceRule(json::parse(text), kInput, json::object());
}

TEST(Choice, StringComparisons) {
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringEquals":"banana"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringLessThan":"cherry"})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.s","StringGreaterThan":"cherry"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringLessThanEquals":"banana"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringGreaterThanEquals":"apple"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringLessThanPath":"$.other"})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.n","StringEquals":"5"})"));  // a number is no string
}

TEST(Choice, StringMatchesWithEscapes) {
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringMatches":"b*n*a"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","StringMatches":"*"})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.s","StringMatches":"b*x"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.star","StringMatches":"a\\*b"})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.s","StringMatches":"ban\\*"})"));
}

TEST(Choice, NumericBooleanAndTimestamps) {
  EXPECT_TRUE(Rule(R"({"Variable":"$.n","NumericEquals":5})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.n","NumericEquals":5.0})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.f","NumericLessThan":3})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.n","NumericGreaterThanPath":"$.f"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.n","NumericLessThanEquals":5})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.n","NumericGreaterThanEquals":6})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.b","BooleanEquals":true})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.n","BooleanEquals":true})"));
  // 11:00+01:00 is 10:00Z: the same instant.
  EXPECT_TRUE(Rule(R"({"Variable":"$.t","TimestampEqualsPath":"$.t2"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.t","TimestampLessThan":"2024-03-01T10:00:00.001Z"})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.s","TimestampLessThan":"2024-03-01T10:00:00Z"})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.t","TimestampGreaterThanEquals":"2024-03-01T10:00:00Z"})"));
}

TEST(Choice, TypeTestsAndCombinators) {
  EXPECT_TRUE(Rule(R"({"Variable":"$.z","IsNull":true})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.missing","IsPresent":false})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.n","IsNumeric":true})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.s","IsString":true})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.b","IsBoolean":true})"));
  EXPECT_TRUE(Rule(R"({"Variable":"$.t","IsTimestamp":true})"));
  EXPECT_FALSE(Rule(R"({"Variable":"$.s","IsTimestamp":true})"));
  EXPECT_TRUE(Rule(R"({"And":[{"Variable":"$.n","NumericGreaterThan":1},
                              {"Not":{"Variable":"$.s","StringEquals":"x"}}]})"));
  EXPECT_TRUE(Rule(R"({"Or":[{"Variable":"$.n","NumericGreaterThan":10},
                             {"Variable":"$.b","BooleanEquals":true}]})"));
}

TEST(Choice, MissingVariableIsARuntimeError) {
  try {
    Rule(R"({"Variable":"$.missing","StringEquals":"x"})");
    FAIL() << "no error";
  } catch (const StatesError& e) {
    EXPECT_EQ(e.error(), "States.Runtime");
  }
}

std::vector<std::string> Problems(const std::string& definition) {
  std::vector<std::string> out;
  for (const auto& error : Validate(json::parse(definition))) out.push_back(error.ToString());
  return out;
}

bool Has(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(Validate, AcceptsAValidMachine) {
  EXPECT_TRUE(Problems(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"C"}],"Default":"C"},
    "C":{"Type":"Succeed"}}})")
                  .empty());
}

TEST(Validate, NamesStateAndFieldOfEachProblem) {
  auto p = Problems(R"({"States":{"A":{"Type":"Pass","Next":"Nowhere"},
    "B":{"Type":"Task","End":true,"Result":1},
    "C":{"Type":"Wait","Seconds":1,"Timestamp":"2024-01-01T00:00:00Z","End":true},
    "D":{"Type":"Fail","End":true}}})");
  EXPECT_TRUE(Has(p, "field 'StartAt': required")) << ::testing::PrintToString(p);
  EXPECT_TRUE(Has(p, "state 'A', field 'Next': names no state in this machine: 'Nowhere'"));
  EXPECT_TRUE(Has(p, "state 'B', field 'Resource': required"));
  EXPECT_TRUE(Has(p, "state 'B', field 'Result': not allowed in a Task state"));
  EXPECT_TRUE(Has(p, "state 'C', field 'Seconds': a Wait state needs exactly one"));
  EXPECT_TRUE(Has(p, "state 'D', field 'End': not allowed in a Fail state"));
}

TEST(Validate, TransitionsAndReachability) {
  auto p = Problems(R"({"StartAt":"A","States":{"A":{"Type":"Pass"},
    "B":{"Type":"Pass","End":true,"Next":"A"},"C":{"Type":"Choice","Choices":[
      {"Variable":"$.x","StringEquals":"y"}], "Default":"Ghost","Next":"A"}}})");
  EXPECT_TRUE(Has(p, "state 'A', field 'Next': required (or \"End\": true)"));
  EXPECT_TRUE(Has(p, "state 'B', field 'Next': a state has either Next or End"));
  EXPECT_TRUE(Has(p, "state 'B': unreachable"));
  EXPECT_TRUE(Has(p, "state 'C', field 'Choices[0].Next': a top-level Choice rule needs a Next"));
  EXPECT_TRUE(Has(p, "state 'C', field 'Default': names no state"));
  EXPECT_TRUE(Has(p, "state 'C', field 'Next': not allowed in a Choice state"));
}

TEST(Validate, PathsTemplatesRetryAndCatch) {
  auto p = Problems(R"J({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r",
    "InputPath":"a.b","ResultPath":"$.a[*]","Parameters":{"x.$":"States.Nope(1)","y.$":"bad"},
    "Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"],"BackoffRate":0.5,
              "JitterStrategy":"SOME"}],
    "Catch":[{"ErrorEquals":[],"Next":"Gone"}],"End":true}}})J");
  EXPECT_TRUE(Has(p, "state 'T', field 'InputPath': invalid path 'a.b'"));
  EXPECT_TRUE(Has(p, "state 'T', field 'ResultPath': must be a reference path"));
  EXPECT_TRUE(Has(p, "field 'Parameters.x.$': unknown intrinsic function States.Nope"));
  EXPECT_TRUE(Has(p, "field 'Parameters.y.$': invalid path 'bad'"));
  EXPECT_TRUE(Has(p, "field 'Retry[0].ErrorEquals': States.ALL must be in the last"));
  EXPECT_TRUE(Has(p, "field 'Retry[1].BackoffRate': must be a number >= 1.0"));
  EXPECT_TRUE(Has(p, "field 'Retry[1].JitterStrategy': must be FULL or NONE"));
  EXPECT_TRUE(Has(p, "field 'Catch[0].ErrorEquals': must be a non-empty array"));
  EXPECT_TRUE(Has(p, "field 'Catch[0].Next': names no state"));
}

TEST(Validate, RetryAndCatchAreArraysOfObjectsOfKnownFieldsEachWithErrorEquals) {
  auto p = Problems(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"r","Retry":{},"Catch":[1],"Next":"U"},
    "U":{"Type":"Task","Resource":"r","Retry":[{"Tries":2}],"Catch":[{"Next":"V","Why":1}],
         "Next":"V"},
    "V":{"Type":"Task","Resource":"r","Retry":[1],"Catch":{},"End":true}}})");
  EXPECT_TRUE(Has(p, "state 'T', field 'Retry': must be an array of retriers"))
      << ::testing::PrintToString(p);
  EXPECT_TRUE(Has(p, "state 'T', field 'Catch[0]': a catcher must be an object"));
  EXPECT_TRUE(Has(p, "state 'U', field 'Retry[0].Tries': unknown retrier field"));
  EXPECT_TRUE(Has(p, "state 'U', field 'Retry[0].ErrorEquals': required"));
  EXPECT_TRUE(Has(p, "state 'U', field 'Catch[0].Why': unknown catcher field"));
  EXPECT_TRUE(Has(p, "state 'U', field 'Catch[0].ErrorEquals': required"));
  EXPECT_TRUE(Has(p, "state 'V', field 'Retry[0]': a retrier must be an object"));
  EXPECT_TRUE(Has(p, "state 'V', field 'Catch': must be an array of catchers"));
}

TEST(Validate, NestedMachinesAreCheckedWithTheirOwnScope) {
  auto p = Problems(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"M","Branches":[
      {"StartAt":"X","States":{"X":{"Type":"Pass","Next":"M"}}}]},
    "M":{"Type":"Map","End":true,"Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
         "ItemProcessor":{"StartAt":"J","States":{"J":{"Type":"Bogus"}}}}}})");
  // X may not jump out of its branch to M.
  EXPECT_TRUE(Has(p, "state 'P/Branches[0]/X', field 'Next': names no state in this machine: 'M'"))
      << ::testing::PrintToString(p);
  EXPECT_TRUE(Has(p, "state 'M', field 'ItemProcessor': ItemProcessor and Iterator are exclusive"));
  EXPECT_TRUE(Has(p, "state 'M/ItemProcessor/J', field 'Type': unknown state type 'Bogus'"));
}

}  // namespace
}  // namespace shoplake::workflow
