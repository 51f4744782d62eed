// TransformRecords on a real SQLite file: bookmarks, runs and their counts per file, and the
// totals /metrics reads, which must not create the tables on a catalog no transform touched.
#include "transform/records.h"

#include <gtest/gtest.h>

#include "db/sqlite.h"
#include "support/temp_folder.h"

namespace shoplake::transform {
namespace {

FileCounts Counts(const std::string& raw_key, uint64_t written, uint64_t rejected,
                  uint64_t dropped) {
  FileCounts counts;
  counts.raw_key = raw_key;
  counts.rows_read = written + rejected + dropped;
  counts.rows_written = written;
  counts.rows_rejected = rejected;
  counts.duplicates_dropped = dropped;
  return counts;
}

TransformRunRecord RunRecord(const std::string& run_id, const std::string& dataset,
                             const std::string& status, uint64_t written, uint64_t rejected) {
  TransformRunRecord run;
  run.run_id = run_id;
  run.dataset = dataset;
  run.status = status;
  run.started_at = "2026-01-02T03:04:05Z";
  run.finished_at = "2026-01-02T03:04:07.500Z";
  run.totals = Counts("", written, rejected, 0);
  return run;
}

TEST(TransformRecordsTest, BookmarksAreKeptPerDatasetAndAFullRefreshReplacesThem) {
  testing::TempFolder folder;
  db::SqliteDatabase db((folder.path() / "catalog.db").string());
  TransformRecords records(db);
  records.Bookmark("orders", {"raw/shop/a.csv", "raw/shop/b.csv"}, "run-1", false);
  records.Bookmark("customers", {"raw/shop/c.csv"}, "run-1", false);
  EXPECT_EQ(records.Bookmarked("orders"),
            (std::set<std::string>{"raw/shop/a.csv", "raw/shop/b.csv"}));
  records.Bookmark("orders", {"raw/shop/d.csv"}, "run-2", true);
  EXPECT_EQ(records.Bookmarked("orders"), (std::set<std::string>{"raw/shop/d.csv"}));
  EXPECT_EQ(records.Bookmarked("customers"), (std::set<std::string>{"raw/shop/c.csv"}));
  EXPECT_TRUE(records.Bookmarked("products").empty());
}

TEST(TransformRecordsTest, ARunIsRecordedWithItsCountsPerFile) {
  testing::TempFolder folder;
  db::SqliteDatabase db((folder.path() / "catalog.db").string());
  TransformRecords records(db);
  records.RecordRun(RunRecord("run-1", "orders", "committed", 7, 1),
                    {Counts("raw/shop/b.csv", 2, 1, 0), Counts("raw/shop/a.csv", 5, 0, 1)});
  auto files = records.Files("run-1");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].raw_key, "raw/shop/a.csv");
  EXPECT_EQ(files[0].rows_written, 5u);
  EXPECT_EQ(files[0].duplicates_dropped, 1u);
  EXPECT_EQ(files[1].raw_key, "raw/shop/b.csv");
  EXPECT_EQ(files[1].rows_rejected, 1u);
  EXPECT_TRUE(records.Files("run-2").empty());
  EXPECT_EQ(records.RecordedRuns(), (std::set<std::string>{"run-1"}));
}

TEST(TransformRecordsTest, TotalsAreSummedByDatasetAndRunsCountedByStatus) {
  testing::TempFolder folder;
  db::SqliteDatabase db((folder.path() / "catalog.db").string());
  TransformRecords records(db);
  records.RecordRun(RunRecord("run-1", "orders", "committed", 7, 1), {});
  records.RecordRun(RunRecord("run-2", "orders", "failed", 0, 9), {});
  records.RecordRun(RunRecord("run-3", "customers", "committed", 4, 0), {});
  auto totals = TransformRecords::TotalsByDataset(db);
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[0].dataset, "customers");
  EXPECT_EQ(totals[0].rows_written, 4u);
  EXPECT_NEAR(totals[0].seconds, 2.5, 0.01);  // from the recorded start and finish
  EXPECT_EQ(totals[1].dataset, "orders");
  EXPECT_EQ(totals[1].rows_written, 7u);
  EXPECT_EQ(totals[1].rows_rejected, 10u);
  EXPECT_NEAR(totals[1].seconds, 5.0, 0.01);
  EXPECT_EQ(TransformRecords::RunsByStatus(db),
            (std::map<std::string, int64_t>{{"committed", 2}, {"failed", 1}}));
}

TEST(TransformRecordsTest, TheTotalsOfACatalogNoTransformTouchedAreEmptyAndCreateNothing) {
  testing::TempFolder folder;
  db::SqliteDatabase db((folder.path() / "catalog.db").string());
  EXPECT_TRUE(TransformRecords::TotalsByDataset(db).empty());
  EXPECT_TRUE(TransformRecords::RunsByStatus(db).empty());
  auto tables = db.Prepare("SELECT count(*) FROM sqlite_master WHERE name GLOB 'transform_*'");
  ASSERT_TRUE(tables.Step());
  EXPECT_EQ(tables.Int64(0), 0);
}

}  // namespace
}  // namespace shoplake::transform
