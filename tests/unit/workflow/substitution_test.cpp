// SubstituteVariables: ${Variable}s replaced wherever a string holds them, nested machines
// included; each unbound one reported with its state and field, the way Validate() reports.
#include "workflow/substitution.h"

#include <gtest/gtest.h>

namespace shoplake::workflow {
namespace {

const std::map<std::string, std::string> kBindings = {{"IngestFunctionArn", "shoplake:ingest"},
                                                      {"Bucket", "shop-exports"}};

TEST(Substitution, ReplacesVariablesInEveryStringOfEveryMachine) {
  json definition = json::parse(R"({
    "Comment": "bucket ${Bucket}",
    "StartAt": "Fan",
    "States": {
      "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
        {"StartAt": "Load", "States": {"Load": {"Type": "Task", "Resource": "${IngestFunctionArn}",
                                                 "End": true}}}]},
      "Each": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Get", "States": {
        "Get": {"Type": "Task", "Resource": "${IngestFunctionArn}",
                "Parameters": {"uri": "gs://${Bucket}/orders/${Bucket}", "n": 1,
                               "list": ["${Bucket}", true]}, "End": true}}}}}})");
  std::vector<ValidationError> unbound;
  json out = SubstituteVariables(definition, kBindings, unbound);
  EXPECT_TRUE(unbound.empty());
  EXPECT_EQ(out["Comment"], "bucket shop-exports");
  EXPECT_EQ(out["States"]["Fan"]["Branches"][0]["States"]["Load"]["Resource"], "shoplake:ingest");
  const json& get = out["States"]["Each"]["ItemProcessor"]["States"]["Get"];
  EXPECT_EQ(get["Resource"], "shoplake:ingest");
  EXPECT_EQ(get["Parameters"]["uri"], "gs://shop-exports/orders/shop-exports");
  EXPECT_EQ(get["Parameters"]["n"], 1);
  EXPECT_EQ(get["Parameters"]["list"], json::parse(R"(["shop-exports", true])"));
}

TEST(Substitution, ReportsEachUnboundVariableWithItsStateAndField) {
  json definition = json::parse(R"({
    "StartAt": "Ingest",
    "States": {
      "Ingest": {"Type": "Task", "Resource": "${IngestFunctionArn}", "Next": "Fan"},
      "Fan": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Crawl", "States": {"Crawl": {"Type": "Task", "Resource": "${CrawlArn}",
          "Parameters": {"to": "${Nope} and ${Bucket}"}, "End": true}}}]}}})");
  std::vector<ValidationError> unbound;
  json out = SubstituteVariables(definition, kBindings, unbound);
  ASSERT_EQ(unbound.size(), 2u);
  EXPECT_EQ(unbound[0].ToString(),
            "state 'Fan/Branches[0]/Crawl', field 'Parameters.to': no binding for ${Nope}: bind "
            "it under workflow.bindings in shoplake.yaml (Nope: shoplake:<task>)");
  EXPECT_EQ(unbound[1].state, "Fan/Branches[0]/Crawl");
  EXPECT_EQ(unbound[1].field, "Resource");
  // Unbound variables stay as written; bound ones beside them are replaced.
  const json& crawl = out["States"]["Fan"]["Branches"][0]["States"]["Crawl"];
  EXPECT_EQ(crawl["Resource"], "${CrawlArn}");
  EXPECT_EQ(crawl["Parameters"]["to"], "${Nope} and shop-exports");
  EXPECT_EQ(out["States"]["Ingest"]["Resource"], "shoplake:ingest");
}

TEST(Substitution, LeavesTextThatIsNoVariableAlone) {
  json definition = json::parse(R"json({"StartAt": "A", "States": {"A": {"Type": "Pass",
    "Parameters": {"f.$": "States.Format('{} costs ${}', $.a)", "open": "${unclosed",
                   "spaced": "${not a name}"},
    "End": true}}})json");
  std::vector<ValidationError> unbound;
  json out = SubstituteVariables(definition, kBindings, unbound);
  // "${}" (a dollar price in a format), "${not a name}" and an unclosed "${" are plain text.
  EXPECT_TRUE(unbound.empty());
  EXPECT_EQ(out, definition);
}

}  // namespace
}  // namespace shoplake::workflow
