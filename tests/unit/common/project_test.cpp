// The project file: a folder of invalid cases (each states where and what the error is),
// a valid file read field by field, and discovery upward from a nested folder.
#include "common/project.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "common/error.h"
#include "common/files.h"
#include "support/invalid_cases.h"
#include "support/temp_folder.h"

namespace shoplake {
namespace {
namespace fs = std::filesystem;

const fs::path kCases = fs::path(SHOPLAKE_TEST_DATA) / "project";

TEST(Project, EveryInvalidCaseNamesFileLineAndProblem) {
  int cases = ::shoplake::testing::CheckInvalidCases(
      kCases / "invalid", [](const fs::path& file) { LoadProject(file); });
  EXPECT_GE(cases, 8);
}

TEST(Project, ReadsEveryFieldOfAValidFile) {
  auto project = LoadProject(kCases / "valid" / "full.yaml");
  EXPECT_EQ(project.name, "shop");
  EXPECT_EQ(project.LakeUri(), "s3://shop-lake/prod");
  ASSERT_EQ(project.sources.size(), 1u);
  EXPECT_EQ(project.sources[0].uri, "gs://shop-exports");
  ASSERT_EQ(project.datasets.size(), 1u);
  EXPECT_EQ(project.datasets[0].pattern, "orders/*.csv");
  EXPECT_EQ(project.datasets[0].mapping, "pipeline/mappings/orders.yaml");  // default
  EXPECT_EQ(project.PathOf("views"), kCases / "valid" / "sql/views");
  EXPECT_EQ(project.PathOf("dashboard"), kCases / "valid" / "pipeline/dashboard.yaml");
  EXPECT_EQ(project.simulate.seed, 7u);
  EXPECT_EQ(project.simulate.days, 30);
  EXPECT_DOUBLE_EQ(project.simulate.dirty_rate, 0.02);
  EXPECT_EQ(project.simulate.start, "2026-01-01");  // default
  EXPECT_EQ(project.notify.url, "https://hooks.example.com/shoplake");
  EXPECT_EQ(project.notify.command, "mail -s shoplake ops@example.com");
  EXPECT_EQ(project.notify.timeout_seconds, 5);
  EXPECT_EQ(project.query.timeout_seconds, 120);
  EXPECT_THROW(project.PathOf("nope"), Error);
  // workflow.bindings: the file's entries replace or add to the defaults.
  EXPECT_EQ(project.bindings.at("IngestFunctionArn"), "shoplake:echo");
  EXPECT_EQ(project.bindings.at("BucketName"), "shop-exports");
  EXPECT_EQ(project.bindings.at("TransformFunctionArn"), "shoplake:transform");
  // duckdb: one setting, a stage's override field by field.
  EXPECT_EQ(project.duckdb.For("query").memory_limit, "2GB");
  EXPECT_EQ(project.duckdb.For("query").temp_directory, "/var/tmp/shoplake");
  EXPECT_EQ(project.duckdb.For("transform").memory_limit, "4GB");
  EXPECT_EQ(project.duckdb.For("transform").temp_directory, "/var/tmp/shoplake");
  EXPECT_EQ(project.duckdb.For("serve").memory_limit, "2GB");
  EXPECT_EQ(project.duckdb.For("serve").temp_directory, "spill");
  // Where the mapping is declared, for the error when its file is missing.
  EXPECT_EQ(project.datasets[0].declared_at, (kCases / "valid" / "full.yaml").string() + ":8:5");
}

TEST(Project, BindsThePipelinesVariablesByDefault) {
  Project project = ParseProject("name: demo\n", "/tmp/demo/shoplake.yaml");
  std::map<std::string, std::string> expected = {
      {"IngestFunctionArn", "shoplake:ingest"}, {"TransformFunctionArn", "shoplake:transform"},
      {"CrawlFunctionArn", "shoplake:crawl"},   {"ViewsFunctionArn", "shoplake:views"},
      {"ReportFunctionArn", "shoplake:report"}, {"NotifyFunctionArn", "shoplake:notify"}};
  EXPECT_EQ(project.bindings, expected);
  EXPECT_EQ(DiscoverProject("/").bindings, expected);
}

TEST(Project, LeavesTheQueryTimeLimitToEachVerbByDefault) {
  EXPECT_FALSE(ParseProject("name: demo\n", "/tmp/demo/shoplake.yaml").query.timeout_seconds);
  EXPECT_EQ(ParseProject("query: {timeout_seconds: 0}\n", "/tmp/demo/shoplake.yaml")
                .query.timeout_seconds,
            0);
}

// Each test in a folder of its own (mkdtemp): ctest runs them as parallel processes, which
// could pick the same seed-and-address name and remove each other's files.
class ProjectDiscovery : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(root_ / "a" / "b"); }
  ::shoplake::testing::TempFolder folder_{"shoplake-project"};
  fs::path root_ = folder_.path();
};

TEST_F(ProjectDiscovery, FindsTheNearestProjectFileUpward) {
  WriteFileAtomically(root_ / "shoplake.yaml", "name: outer\nlake: data/lake\n");
  auto project = DiscoverProject(root_ / "a" / "b");
  EXPECT_EQ(project.name, "outer");
  EXPECT_EQ(project.file, root_ / "shoplake.yaml");
  EXPECT_EQ(project.LakeUri(), (root_ / "data/lake").string());

  WriteFileAtomically(root_ / "a" / "shoplake.yaml", "name: inner\n");
  EXPECT_EQ(DiscoverProject(root_ / "a" / "b").name, "inner");
}

TEST_F(ProjectDiscovery, WithoutAFileTheLakeIsBesideTheCurrentFolder) {
  auto project = DiscoverProject(root_ / "a" / "b");
  EXPECT_FALSE(project.file.has_value());
  EXPECT_EQ(project.LakeUri(), (root_ / "a" / "b" / "lake").string());
}

TEST_F(ProjectDiscovery, AnEmptyFileMeansDefaults) {
  WriteFileAtomically(root_ / "shoplake.yaml", "");
  auto project = DiscoverProject(root_);
  EXPECT_EQ(project.name, "shoplake");
  EXPECT_EQ(project.LakeUri(), (root_ / "lake").string());
}

}  // namespace
}  // namespace shoplake
