// JSONPath evaluation and every intrinsic function, against values worked out by hand from
// the ASL spec and the AWS intrinsic function documentation.
#include <gtest/gtest.h>

#include "workflow/intrinsics.h"
#include "workflow/json_path.h"
#include "workflow/states_error.h"

namespace shoplake::workflow {
namespace {

const json kInput = json::parse(R"({"a":{"b":[10,20,30],"c d":"x"},"n":3,"s":"1,2,,3"})");

std::optional<json> Find(const std::string& path, const json& root = kInput) {
  return JsonPath::Parse(path).Find(root);
}

TEST(JsonPath, ReferencePathsFindOneValueOrNothing) {
  EXPECT_EQ(*Find("$"), kInput);
  EXPECT_EQ(*Find("$.a.b[1]"), 20);
  EXPECT_EQ(*Find("$['a']['c d']"), "x");
  EXPECT_EQ(*Find("$.a.b[-1]"), 30);
  EXPECT_FALSE(Find("$.a.missing"));
  EXPECT_FALSE(Find("$.a.b[7]"));
  EXPECT_TRUE(JsonPath::Parse("$.a.b[0]").is_reference());
  EXPECT_FALSE(JsonPath::Parse("$.a.b[*]").is_reference());
  EXPECT_TRUE(JsonPath::Parse("$$.Execution.Id").is_context());
}

TEST(JsonPath, WildcardsAndSlicesYieldArrays) {
  EXPECT_EQ(*Find("$.a.b[*]"), json::parse("[10,20,30]"));
  EXPECT_EQ(*Find("$.a.b[1:]"), json::parse("[20,30]"));
  EXPECT_EQ(*Find("$.a.b[:2]"), json::parse("[10,20]"));
  EXPECT_EQ(*Find("$.a.b[::2]"), json::parse("[10,30]"));
  EXPECT_EQ(*Find("$.a.b[-2:]"), json::parse("[20,30]"));
  EXPECT_EQ(*Find("$.x[*]"), json::array());
  json items = json::parse(R"({"items":[{"id":1},{"id":2},{"other":3}]})");
  EXPECT_EQ(*Find("$.items[*].id", items), json::parse("[1,2]"));
}

TEST(JsonPath, RejectsWhatAslDoesNotHave) {
  for (const char* bad : {"a.b", "$..a", "$.a[?(@.x)]", "$.a[", "$.", "$.a[1,2]", "$.a[x]"}) {
    EXPECT_FALSE(IsValidPath(bad)) << bad;
  }
}

TEST(JsonPath, AssignCreatesObjectsAndRefusesScalars) {
  json root = json::parse(R"({"a":1})");
  EXPECT_TRUE(JsonPath::Parse("$.b.c").Assign(root, 5));
  EXPECT_EQ(root, json::parse(R"({"a":1,"b":{"c":5}})"));
  EXPECT_FALSE(JsonPath::Parse("$.a.c").Assign(root, 5));
  json scalar = "text";
  EXPECT_FALSE(JsonPath::Parse("$.x").Assign(scalar, 1));
  json whole = 1;
  EXPECT_TRUE(JsonPath::Parse("$").Assign(whole, json::parse("[1]")));
  EXPECT_EQ(whole, json::parse("[1]"));
}

json Eval(const std::string& call, const json& input = kInput) {
  IntrinsicEnvironment environment{[] { return uint64_t{42}; }};
  json context = {{"Execution", {{"Name", "run-1"}}}};
  return EvaluateIntrinsic(call, input, context, environment);
}

std::string FailureOf(const std::string& call) {
  try {
    Eval(call);
  } catch (const StatesError& e) {
    return e.error();
  }
  return "no error";
}

TEST(Intrinsics, Format) {
  EXPECT_EQ(Eval("States.Format('n={}, c={}, ctx={}', $.n, $.a['c d'], $$.Execution.Name)"),
            "n=3, c=x, ctx=run-1");
  EXPECT_EQ(Eval(R"(States.Format('literal \{\} and \'quote\' {}', true))"),
            "literal {} and 'quote' true");
  EXPECT_EQ(Eval("States.Format('{}', null)"), "null");
  EXPECT_EQ(FailureOf("States.Format('{} {}', 1)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.Format('{}', 1, 2)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.Format('{}', $.a)"), "States.IntrinsicFailure");
}

TEST(Intrinsics, JsonConversions) {
  EXPECT_EQ(Eval(R"(States.StringToJson('{"k":[1,true]}'))"), json::parse(R"({"k":[1,true]})"));
  EXPECT_EQ(Eval("States.JsonToString($.a.b)"), "[10,20,30]");
  EXPECT_EQ(FailureOf("States.StringToJson('{nope')"), "States.IntrinsicFailure");
}

TEST(Intrinsics, Arrays) {
  EXPECT_EQ(Eval("States.Array(1, 'two', $.n, States.Array())"), json::parse(R"([1,"two",3,[]])"));
  EXPECT_EQ(Eval("States.ArrayPartition(States.Array(1,2,3,4,5), 2)"),
            json::parse("[[1,2],[3,4],[5]]"));
  EXPECT_EQ(Eval("States.ArrayContains($.a.b, 20)"), true);
  EXPECT_EQ(Eval("States.ArrayContains($.a.b, 21)"), false);
  EXPECT_EQ(Eval("States.ArrayRange(1, 9, 2)"), json::parse("[1,3,5,7,9]"));
  EXPECT_EQ(Eval("States.ArrayRange(5, 1, -2)"), json::parse("[5,3,1]"));
  EXPECT_EQ(Eval("States.ArrayGetItem($.a.b, 2)"), 30);
  EXPECT_EQ(Eval("States.ArrayLength($.a.b)"), 3);
  EXPECT_EQ(Eval("States.ArrayUnique(States.Array(1,2,1,'a','a',2))"), json::parse(R"([1,2,"a"])"));
  EXPECT_EQ(FailureOf("States.ArrayPartition($.a.b, 0)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.ArrayRange(1, 2000, 1)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.ArrayRange(1, 2, 0)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.ArrayGetItem($.a.b, 3)"), "States.IntrinsicFailure");
  EXPECT_EQ(FailureOf("States.ArrayLength($.n)"), "States.IntrinsicFailure");
}

TEST(Intrinsics, EncodingAndHashes) {
  EXPECT_EQ(Eval("States.Base64Encode('Data to encode')"), "RGF0YSB0byBlbmNvZGU=");
  EXPECT_EQ(Eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), "Data to encode");
  EXPECT_EQ(FailureOf("States.Base64Decode('***')"), "States.IntrinsicFailure");
  // Published test vectors for "abc".
  EXPECT_EQ(Eval("States.Hash('abc', 'MD5')"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Eval("States.Hash('abc', 'SHA-1')"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Eval("States.Hash('abc', 'SHA-256')"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Eval("States.Hash('abc', 'SHA-384')"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baec"
            "a134c825a7");
  EXPECT_EQ(Eval("States.Hash('abc', 'SHA-512')"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c"
            "23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(FailureOf("States.Hash('abc', 'SHA-3')"), "States.IntrinsicFailure");
}

TEST(Intrinsics, MergeMathSplitUuid) {
  EXPECT_EQ(
      Eval(
          R"(States.JsonMerge(States.StringToJson('{"a":1,"b":{"x":1}}'), States.StringToJson('{"b":{"y":2}}'), false))"),
      json::parse(R"({"a":1,"b":{"y":2}})"));
  EXPECT_EQ(FailureOf("States.JsonMerge($.a, $.a, true)"), "States.IntrinsicFailure");
  EXPECT_EQ(Eval("States.MathAdd($.n, -5)"), -2);
  EXPECT_EQ(Eval("States.MathAdd(1.5, 1)"), 2.5);
  json r = Eval("States.MathRandom(10, 20)");
  EXPECT_GE(r.get<int>(), 10);
  EXPECT_LT(r.get<int>(), 20);
  EXPECT_EQ(Eval("States.MathRandom(0, 1000, 7)"), Eval("States.MathRandom(0, 1000, 7)"));
  EXPECT_EQ(Eval("States.StringSplit($.s, ',')"), json::parse(R"(["1","2","3"])"));
  EXPECT_EQ(Eval("States.StringSplit('This.is+a,test=string', '.+,=')"),
            json::parse(R"(["This","is","a","test","string"])"));
  std::string uuid = Eval("States.UUID()").get<std::string>();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_TRUE(uuid[19] == '8' || uuid[19] == '9' || uuid[19] == 'a' || uuid[19] == 'b');
}

TEST(Intrinsics, SyntaxErrors) {
  for (const char* bad : {"States.Nope()", "States.Format('x'", "States.Array(1 2)",
                          "States.Array('unterminated)", "States.Array(foo)"}) {
    EXPECT_THROW(CheckIntrinsicSyntax(bad), std::invalid_argument) << bad;
    EXPECT_EQ(FailureOf(bad), "States.IntrinsicFailure") << bad;
  }
  EXPECT_NO_THROW(CheckIntrinsicSyntax("States.Array( $.a['x,y'] , States.UUID() )"));
  EXPECT_EQ(FailureOf("States.ArrayLength($.missing)"), "States.ParameterPathFailure");
}

}  // namespace
}  // namespace shoplake::workflow
