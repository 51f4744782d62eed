// YAML <-> JSON (common/yaml_json.h): read and written without changing any value's type.
#include "common/yaml_json.h"

#include <gtest/gtest.h>

namespace shoplake {
namespace {

using ordered_json = nlohmann::ordered_json;

TEST(YamlJson, QuotedScalarsStayStringsPlainOnesAreTyped) {
  ordered_json read = YamlToJson(YAML::Load(
      "a: \"1\"\nb: 1\nc: true\nd: \"true\"\ne: ~\nf: 1.5\ng: text\nh: \"2010-09-09\"\n"));
  EXPECT_EQ(read.dump(),
            R"({"a":"1","b":1,"c":true,"d":"true","e":null,"f":1.5,"g":"text","h":"2010-09-09"})");
}

TEST(YamlJson, EmitsWhatReadsBackTheSame) {
  ordered_json value = {{"Version", "2012-10-17"},
                        {"Answer", "yes"},
                        {"One", "1"},
                        {"Empty", ""},
                        {"Number", 3},
                        {"Big", 10737418240},
                        {"Flag", false},
                        {"Nothing", nullptr},
                        {"Sql", "SELECT 1\n  FROM t\n"},
                        {"Star", "*"},
                        {"Map", ordered_json::object()},
                        {"List", ordered_json::array({"a", ordered_json{{"Ref", "B"}}})}};
  std::string text = EmitYaml(value);
  EXPECT_EQ(YamlToJson(YAML::Load(text)), value) << text;
  // What a YAML 1.1 reader would misread is quoted; plain text is not.
  EXPECT_NE(text.find("Version: \"2012-10-17\""), std::string::npos) << text;
  EXPECT_NE(text.find("Answer: \"yes\""), std::string::npos) << text;
  EXPECT_NE(text.find("- Ref: B"), std::string::npos) << text;
}

}  // namespace
}  // namespace shoplake
