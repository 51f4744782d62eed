// TransformRecords over SQLite: the transform's schema and its queries.
#include "transform/records.h"

namespace shoplake::transform {
namespace {

// The schema's version, as db::ApplySchema records it in shoplake_schema.
constexpr int kRecordsSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS transform_bookmarks (
  dataset TEXT NOT NULL,
  raw_key TEXT NOT NULL,
  run_id  TEXT NOT NULL,
  PRIMARY KEY (dataset, raw_key)
);
CREATE TABLE IF NOT EXISTS transform_runs (
  run_id             TEXT PRIMARY KEY,
  dataset            TEXT NOT NULL,
  status             TEXT NOT NULL,      -- committed, failed, nothing_new
  started_at         TEXT NOT NULL,
  finished_at        TEXT NOT NULL,
  full_refresh       INTEGER NOT NULL,
  snapshot_id        INTEGER NOT NULL,
  rows_read          INTEGER NOT NULL,
  rows_written       INTEGER NOT NULL,
  rows_rejected      INTEGER NOT NULL,
  duplicates_dropped INTEGER NOT NULL,
  message            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transform_file_counts (
  run_id             TEXT NOT NULL,
  raw_key            TEXT NOT NULL,
  rows_read          INTEGER NOT NULL,
  rows_written       INTEGER NOT NULL,
  rows_rejected      INTEGER NOT NULL,
  duplicates_dropped INTEGER NOT NULL,
  PRIMARY KEY (run_id, raw_key)
);
)sql";

}  // namespace

TransformRecords::TransformRecords(db::SqliteDatabase& db) : db_(db) {
  db::ApplySchema(db_, "transform", kRecordsSchemaVersion, kSchema, "the transform's records");
}

std::set<std::string> TransformRecords::RecordedRuns() {
  std::set<std::string> runs;
  auto rows = db_.Prepare("SELECT run_id FROM transform_runs");
  while (rows.Step()) runs.insert(rows.Text(0));
  return runs;
}

std::set<std::string> TransformRecords::Bookmarked(const std::string& dataset) {
  std::set<std::string> keys;
  auto rows = db_.Prepare("SELECT raw_key FROM transform_bookmarks WHERE dataset = ?");
  rows.Bind(1, dataset);
  while (rows.Step()) keys.insert(rows.Text(0));
  return keys;
}

void TransformRecords::Bookmark(const std::string& dataset,
                                const std::vector<std::string>& raw_keys, const std::string& run_id,
                                bool replace) {
  if (replace) {
    db_.Prepare("DELETE FROM transform_bookmarks WHERE dataset = ?").Bind(1, dataset).Run();
  }
  auto bookmark = db_.Prepare("INSERT OR REPLACE INTO transform_bookmarks VALUES (?, ?, ?)");
  for (const auto& key : raw_keys) {
    bookmark.Bind(1, dataset).Bind(2, key).Bind(3, run_id);
    bookmark.Run();
  }
}

void TransformRecords::RecordRun(const TransformRunRecord& run,
                                 const std::vector<FileCounts>& files) {
  db_.Prepare("INSERT OR REPLACE INTO transform_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .Bind(1, run.run_id)
      .Bind(2, run.dataset)
      .Bind(3, run.status)
      .Bind(4, run.started_at)
      .Bind(5, run.finished_at)
      .Bind(6, int64_t{run.full_refresh})
      .Bind(7, run.snapshot_id)
      .Bind(8, static_cast<int64_t>(run.totals.rows_read))
      .Bind(9, static_cast<int64_t>(run.totals.rows_written))
      .Bind(10, static_cast<int64_t>(run.totals.rows_rejected))
      .Bind(11, static_cast<int64_t>(run.totals.duplicates_dropped))
      .Bind(12, run.message)
      .Run();
  auto insert =
      db_.Prepare("INSERT OR REPLACE INTO transform_file_counts VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& fc : files) {
    insert.Bind(1, run.run_id)
        .Bind(2, fc.raw_key)
        .Bind(3, static_cast<int64_t>(fc.rows_read))
        .Bind(4, static_cast<int64_t>(fc.rows_written))
        .Bind(5, static_cast<int64_t>(fc.rows_rejected))
        .Bind(6, static_cast<int64_t>(fc.duplicates_dropped));
    insert.Run();
  }
}

std::vector<FileCounts> TransformRecords::Files(const std::string& run_id) {
  auto rows = db_.Prepare(
      "SELECT raw_key, rows_read, rows_written, rows_rejected, duplicates_dropped"
      " FROM transform_file_counts WHERE run_id = ? ORDER BY raw_key");
  rows.Bind(1, run_id);
  std::vector<FileCounts> files;
  while (rows.Step()) {
    files.push_back({.raw_key = rows.Text(0),
                     .rows_read = static_cast<uint64_t>(rows.Int64(1)),
                     .rows_written = static_cast<uint64_t>(rows.Int64(2)),
                     .rows_rejected = static_cast<uint64_t>(rows.Int64(3)),
                     .duplicates_dropped = static_cast<uint64_t>(rows.Int64(4))});
  }
  return files;
}

std::vector<DatasetTransformTotals> TransformRecords::TotalsByDataset(db::SqliteDatabase& db) {
  std::vector<DatasetTransformTotals> totals;
  if (!db.HasTable("transform_runs")) return totals;
  auto rows = db.Prepare(
      "SELECT dataset, sum(rows_written), sum(rows_rejected),"
      " sum((julianday(finished_at) - julianday(started_at)) * 86400)"
      " FROM transform_runs GROUP BY 1 ORDER BY 1");
  while (rows.Step()) {
    totals.push_back({.dataset = rows.Text(0),
                      .rows_written = static_cast<uint64_t>(rows.Int64(1)),
                      .rows_rejected = static_cast<uint64_t>(rows.Int64(2)),
                      .seconds = rows.Double(3)});
  }
  return totals;
}

std::map<std::string, int64_t> TransformRecords::RunsByStatus(db::SqliteDatabase& db) {
  return db::NumbersByKey<int64_t>(db, "transform_runs",
                                   "SELECT status, count(*) FROM transform_runs GROUP BY 1");
}

}  // namespace shoplake::transform
