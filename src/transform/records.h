// TransformRecords: what the transform remembers between runs, in the lake's SQLite catalog
// (_catalog/catalog.db) beside the catalog's own tables, as the ingest ledger keeps ingest's
// (ingest/ledger.h). Three tables:
//   transform_bookmarks    the raw files each dataset has taken in, and by which run: what
//                          makes a run read only what is new
//   transform_runs         one row per run that reached an outcome (committed or failed),
//                          with its totals
//   transform_file_counts  one row per raw file a run read: rows read = written + rejected
//                          + duplicates dropped
// A run that recorded no outcome was killed: the next run removes its rejects (transform.h).
// Other components read these tables through this class (e.g. the web app's /metrics), never
// by their own SQL.
//
// Thread safety: a TransformRecords works on the db::SqliteDatabase it is given, on its thread (a
// db::SqliteDatabase is used by one thread at a time: db/sqlite.h). It opens no transaction
// of its own, so that a run's records commit in the caller's transaction with its snapshot.
// Every method throws Error as db::SqliteStatement does: kConflict when the file stays busy past
// the database's wait, kIo otherwise (a read-only lake among them).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "db/sqlite.h"

namespace shoplake::transform {

//! What one raw file gave.
struct FileCounts {
  std::string raw_key;
  uint64_t rows_read = 0;  //!< records parsed (a record may span lines: a broken quote)
  uint64_t rows_written = 0;
  uint64_t rows_rejected = 0;
  uint64_t duplicates_dropped = 0;
};

//! One transform run's outcome, as transform_runs holds it.
struct TransformRunRecord {
  std::string run_id;
  std::string dataset;
  std::string status;  //!< "committed" or "failed"
  std::string started_at;
  std::string finished_at;  //!< UTC, ISO 8601
  bool full_refresh = false;
  int64_t snapshot_id = 0;  //!< the table's snapshot after the run (0: none yet)
  FileCounts totals;        //!< raw_key unused
  std::string message;      //!< why it failed; empty when committed
};

//! A dataset's transform runs summed: what /metrics reports.
struct DatasetTransformTotals {
  std::string dataset;
  uint64_t rows_written = 0;
  uint64_t rows_rejected = 0;
  double seconds = 0;  //!< from each run's start to its finish
};

class TransformRecords {
 public:
  //! Creates (or migrates) the transform's tables in `db`, the lake's catalog file, and works
  //! on it from then on; `db` must outlive this object. Throws Error as db::ApplySchema does
  //! (kConfig for a newer schema, kIo for a read-only file that lacks the tables).
  explicit TransformRecords(db::SqliteDatabase& db);

  //! The run ids that recorded an outcome, committed or failed, of every dataset.
  std::set<std::string> RecordedRuns();
  //! The raw keys `dataset` has taken in (what its next run leaves out).
  std::set<std::string> Bookmarked(const std::string& dataset);
  //! Bookmarks `raw_keys` for `dataset` as taken in by `run_id`; with `replace`, the
  //! dataset's earlier bookmarks are forgotten first (a full refresh). A key bookmarked before
  //! is bookmarked again under `run_id`. The transform calls it in the transaction that
  //! commits the snapshot holding these files, so that the two never disagree.
  void Bookmark(const std::string& dataset, const std::vector<std::string>& raw_keys,
                const std::string& run_id, bool replace);
  //! Records `run` and its counts per file. Recording a run_id again replaces its run row and
  //! the counts of the same files. A committed run is recorded in its snapshot's transaction;
  //! a failed run on its own.
  void RecordRun(const TransformRunRecord& run, const std::vector<FileCounts>& files);
  //! The counts per file `run_id` recorded, by raw key; empty for an unknown run.
  std::vector<FileCounts> Files(const std::string& run_id);

  //! Every dataset's runs summed, by dataset name; empty when `db` has no transform records
  //! yet. Reads only: it creates no table, so a reader (the web app) may call it on any
  //! catalog file.
  static std::vector<DatasetTransformTotals> TotalsByDataset(db::SqliteDatabase& db);
  //! How many runs ended with each status, by status; empty as TotalsByDataset is.
  static std::map<std::string, int64_t> RunsByStatus(db::SqliteDatabase& db);

 private:
  db::SqliteDatabase& db_;
};

}  // namespace shoplake::transform
