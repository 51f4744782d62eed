// The pipeline's task handlers as the interpreter sees them: each stage's Error becomes the
// error name Retry and Catch match, and a malformed task input is Shoplake.Config before
// any stage runs. (The stages themselves, end to end: tests/e2e/pipeline_test.sh.)
#include "pipeline/tasks.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/temp_folder.h"
#include "transform/transform.h"

namespace shoplake::pipeline {
namespace {

using workflow::json;

TEST(PipelineErrorName, NamesEachKindOfStageError) {
  auto name = [](ErrorCode code) { return std::string(ErrorName(Error(code, "x"))); };
  EXPECT_EQ(name(ErrorCode::kNetwork), "Shoplake.Transient");
  EXPECT_EQ(name(ErrorCode::kIo), "Shoplake.Transient");
  EXPECT_EQ(name(ErrorCode::kConflict), "Shoplake.Transient");
  EXPECT_EQ(name(ErrorCode::kUsage), "Shoplake.Config");
  EXPECT_EQ(name(ErrorCode::kConfig), "Shoplake.Config");
  EXPECT_EQ(name(ErrorCode::kData), "Shoplake.Data");
  EXPECT_EQ(name(ErrorCode::kNotFound), "Shoplake.Config");
  EXPECT_EQ(name(ErrorCode::kInternal), "Shoplake.Internal");
}

class PipelineTasks : public ::testing::Test {
 protected:
  void SetUp() override {
    project_.root = folder_.path();
    project_.file = folder_.path() / "shoplake.yaml";
    project_.datasets.push_back({"orders", "shop", "orders/*.csv", ""});
    project_.paths = {{"mappings", "pipeline/mappings"}, {"views", "pipeline/views"}};
    lake_ = lake::OpenStore((folder_.path() / "lake").string());
    std::filesystem::create_directories(folder_.path() / "lake/_catalog");
    RegisterPipelineTasks(
        registry_, Workspace{project_, *lake_, (folder_.path() / "lake/_catalog/db").string()});
  }

  // The task's failure as {error, cause}; fails the test when it succeeds.
  std::pair<std::string, std::string> Failure(const std::string& resource, const json& input) {
    const workflow::TaskHandler* handler = registry_.Find(resource);
    EXPECT_NE(handler, nullptr) << resource;
    workflow::TaskContext context;
    try {
      (*handler)(input, context);
    } catch (const workflow::TaskError& e) {
      return {e.error(), e.cause()};
    }
    ADD_FAILURE() << resource << " succeeded on " << input.dump();
    return {};
  }

  testing::TempFolder folder_{"shoplake-pipeline-tasks"};
  Project project_;
  std::unique_ptr<lake::Store> lake_;
  workflow::TaskRegistry registry_;
};

TEST_F(PipelineTasks, RegistersEveryStage) {
  for (const char* resource : {"shoplake:ingest", "shoplake:transform", "shoplake:crawl",
                               "shoplake:views", "shoplake:report"}) {
    EXPECT_NE(registry_.Find(resource), nullptr) << resource;
  }
}

TEST_F(PipelineTasks, RefusesMalformedInputAsConfig) {
  EXPECT_EQ(Failure("shoplake:ingest", json::object()),
            std::make_pair(std::string("Shoplake.Config"),
                           std::string("the task's input needs \"source\", e.g. \"shop\"")));
  EXPECT_EQ(Failure("shoplake:ingest", {{"source", "shop"}, {"maxAttempts", "3"}}).second,
            "the task's input.maxAttempts must be a whole number, got \"3\"");
  EXPECT_EQ(Failure("shoplake:transform", {{"dataset", "orders"}, {"maxRejectRate", 2}}).first,
            "Shoplake.Config");
  EXPECT_EQ(Failure("shoplake:crawl", {{"paths", "processed/"}}).second,
            "the task's input.paths must be an array of lake paths");
}

TEST_F(PipelineTasks, NamesTheStagesErrors) {
  // A dataset the project lacks is the project's mistake, said with the nearest name.
  auto [error, cause] = Failure("shoplake:transform", {{"dataset", "ordrs"}});
  EXPECT_EQ(error, "Shoplake.Config");
  EXPECT_NE(cause.find("no dataset 'ordrs' in the project, did you mean 'orders'?"),
            std::string::npos)
      << cause;
  // A missing mapping file, and a views folder that is not there, too.
  EXPECT_EQ(Failure("shoplake:transform", {{"dataset", "orders"}}).first, "Shoplake.Config");
  EXPECT_EQ(Failure("shoplake:views", json::object()).first, "Shoplake.Config");
}

// A Distributed Map child's batch: "objects" copies only the URIs named, and one the
// source does not list fails the task before anything is copied.
TEST_F(PipelineTasks, IngestsOnlyTheObjectsNamed) {
  const auto exports = folder_.path() / "exports";
  std::filesystem::create_directories(exports / "orders");
  for (const char* name : {"orders/a.csv", "orders/b.csv", "orders/c.csv"}) {
    WriteFileAtomically(exports / name, "order_id\n1\n");
  }
  const std::string a = "file://" + (exports / "orders/a.csv").string();
  const std::string c = "file://" + (exports / "orders/c.csv").string();
  workflow::TaskContext context;
  json input = {{"source", exports.string()},
                {"sourceName", "shop"},
                {"objects", {a, c, "file://" + exports.string() + "/orders/"}}};
  json out = (*registry_.Find("shoplake:ingest"))(input, context);
  EXPECT_EQ(out["new"], 2) << out;
  auto raw = lake_->List("raw/shop/");
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_TRUE(raw[0].key.ends_with("/orders/a.csv")) << raw[0].key;
  EXPECT_TRUE(raw[1].key.ends_with("/orders/c.csv")) << raw[1].key;

  input["objects"] = {"file://" + (exports / "orders/z.csv").string()};
  auto [error, cause] = Failure("shoplake:ingest", input);
  EXPECT_EQ(error, "Shoplake.Config");
  EXPECT_NE(cause.find("orders/z.csv: the source does not list this object"), std::string::npos)
      << cause;
  EXPECT_EQ(Failure("shoplake:ingest", {{"source", "shop"}, {"objects", "a.csv"}}).second,
            "the task's input.objects must be an array of object URIs");
}

// Issue 15 item 14: a timed-out ingest went on copying after its execution had failed. The
// handler passes its task's cancellation to the ingest, which copies nothing once it is raised.
TEST_F(PipelineTasks, ACancelledIngestTaskCopiesNothing) {
  const auto exports = folder_.path() / "exports";
  std::filesystem::create_directories(exports / "orders");
  WriteFileAtomically(exports / "orders/a.csv", "order_id\n1\n");
  workflow::TaskContext context;
  auto cancellation = std::make_shared<workflow::Cancellation>();
  cancellation->Cancel();
  context.cancellation = cancellation;
  json input = {{"source", exports.string()}, {"sourceName", "shop"}};
  try {
    (*registry_.Find("shoplake:ingest"))(input, context);
    ADD_FAILURE() << "a cancelled ingest succeeded";
  } catch (const workflow::TaskError& e) {
    EXPECT_EQ(e.error(), "Shoplake.Transient");
    EXPECT_NE(e.cause().find("1 of 1 objects failed"), std::string::npos) << e.cause();
  }
  EXPECT_TRUE(lake_->List("raw/").empty());
}

}  // namespace
}  // namespace shoplake::pipeline
