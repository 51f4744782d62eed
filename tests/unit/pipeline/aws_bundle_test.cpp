// The AWS bundle's pieces that the end-to-end test (tests/e2e/deploy_test.sh) sees only
// through the demo project: the definition rewritten for AWS at every depth.
#include "pipeline/aws_bundle.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace shoplake::pipeline {
namespace {

const std::map<std::string, std::string> kBindings = {
    {"IngestFunctionArn", "shoplake:ingest"},
    {"TransformFunctionArn", "shoplake:transform"},
    {"NotifyFunctionArn", "shoplake:notify"}};

TEST(AwsDefinition, RewritesTasksAtEveryDepth) {
  ordered_json definition = ordered_json::parse(R"({
    "StartAt": "Fan",
    "States": {
      "Fan": {"Type": "Parallel", "End": true, "Branches": [{
        "StartAt": "T",
        "States": {
          "T": {"Type": "Task", "Resource": "${TransformFunctionArn}", "Next": "N",
                "Retry": [{"ErrorEquals": ["Shoplake.Transient"]}]},
          "N": {"Type": "Task", "Resource": "${NotifyFunctionArn}", "End": true,
                "Parameters": {"message": {"error.$": "$.Error"}}}
        }}]}
    }})");
  ordered_json aws = AwsDefinition(definition, kBindings);
  const ordered_json& branch = aws["States"]["Fan"]["Branches"][0]["States"];
  // Lambda's own errors first, then the definition's own retrier.
  ASSERT_EQ(branch["T"]["Retry"].size(), 2u);
  EXPECT_EQ(branch["T"]["Retry"][0]["ErrorEquals"][0], "Lambda.ServiceException");
  EXPECT_EQ(branch["T"]["Retry"][1]["ErrorEquals"][0], "Shoplake.Transient");
  EXPECT_EQ(branch["N"]["Resource"], "arn:aws:states:::sns:publish");
  EXPECT_EQ(branch["N"]["Parameters"].dump(),
            R"({"TopicArn":"${FailureTopicArn}","Subject":"shoplake pipeline failure",)"
            R"("Message":{"error.$":"$.Error"}})");
  EXPECT_FALSE(branch["N"].contains("Retry"));
}

TEST(AwsDefinition, RefusesAnIngestItCannotList) {
  ordered_json definition = ordered_json::parse(R"({
    "StartAt": "Ingest",
    "States": {"Ingest": {"Type": "Task", "Resource": "${IngestFunctionArn}",
                          "Parameters": {"source": "shop"}, "End": true}}})");
  try {
    AwsDefinition(definition, kBindings);
    FAIL() << "an ingest without source.$ was rewritten";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(e.input(), "state 'Ingest'");
    EXPECT_EQ(e.hint(), "give it \"source.$\": \"$.config.source\"");
  }
}

}  // namespace
}  // namespace shoplake::pipeline
