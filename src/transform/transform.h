// Transform: a dataset's raw CSV files into its typed, partitioned Parquet table, as the
// Glue ETL job does, with every refused row accounted for.
//
// One run: take the raw files the dataset's bookmark has not seen (all with full_refresh),
// parse them with DuckDB's CSV reader in parallel (explicit dialect and types; records that
// do not parse or cast captured in its rejects tables) and check every rule in the same
// pass (transform/parse.h), drop duplicates on the primary key (the latest ingested file wins),
// write zstd Parquet for the partitions the new rows touch, and commit in one catalog
// transaction: the table's new snapshot, the bookmark, and the counts per file (rows read =
// written + rejected + duplicates dropped). Refused rows go to rejects/<table>/run_id=<id>/
// with file, line, column, rule, value and the raw line.
//
// A run that refuses more than max_reject_rate of the rows it reads fails and commits
// nothing. A file whose records the reader does not all account for (as rows or rejects)
// fails the run, naming the file. An empty export (a header alone, or no byte at all) is a
// quiet day: zero rows, bookmarked, and a snapshot like any run's. A raw file quarantined in
// the ingest ledger is skipped, and the result says so. A crash at any point leaves the
// table at its last snapshot; the next run removes what the crashed one left (its work
// folder, unlisted files, and the rejects of runs that recorded no outcome) and does the
// work again. What a run records (bookmarks, outcome, counts per file) is kept by
// TransformRecords (transform/records.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/error.h"
#include "common/project.h"
#include "lake/store.h"
#include "transform/mapping.h"
#include "transform/records.h"

namespace shoplake::transform {

struct TransformOptions {
  bool full_refresh = false;      //!< rebuild the table from every raw file
  bool dry_run = false;           //!< plan only: files and SQL, nothing written
  double max_reject_rate = 0.05;  //!< fail when rejected / read exceeds it
  int threads = 0;                //!< DuckDB threads; 0: one per core
  std::string run_id;             //!< empty: a new one
  //! read_csv's buffer_size in bytes; 0: DuckDB's default. Smaller buffers cut a file into
  //! more pieces parsed side by side (tests use them to check lines across the pieces).
  int64_t csv_buffer_size = 0;
};

//! One refused row (or record), as written to rejects/.
struct Reject {
  std::string raw_key;
  uint64_t line = 0;      //!< 1-based physical line where the record starts
  uint64_t end_line = 0;  //!< where it ends (> line when a broken quote ran on)
  std::string column;     //!< empty for whole-record errors
  std::string rule;       //!< not_null, type, precision, scale, min, max, accepted_values,
                          //!< regex, max_length, references, or the CSV error: column_count,
                          //!< quote, encoding, ...
  std::string message;
  std::string value;     //!< the raw value of the column
  std::string raw_line;  //!< the record's raw text
};

struct TransformResult {
  std::string run_id;
  std::string dataset;
  std::string table;  //!< "<database>.<table>"
  std::vector<FileCounts> files;
  FileCounts totals;  //!< raw_key empty
  std::vector<Reject> rejects;
  //! Per column with `round: true`: how many of the values written were rounded to its scale.
  std::map<std::string, uint64_t> rounded;
  //! Every refused row's line was confirmed by reading it back from its file (false: the
  //! lines may be off; the run says so in a warning).
  bool lines_confirmed = true;
  bool committed = false;         //!< a new snapshot was committed
  int64_t snapshot_id = 0;        //!< the table's current snapshot after the run
  uint64_t table_rows = 0;        //!< rows in the table after the run
  std::string rejects_prefix;     //!< where the rejects went, when there were any
  std::vector<std::string> plan;  //!< dry run: the files and the SQL, in order
  //! Raw files the run would have read but skipped: quarantined in the ingest ledger
  //! (`shoplake ledger quarantine KEY`).
  std::vector<std::string> quarantined;
  //! What the run noted for the person to look at: columns new in later files left unread
  //! (on_new_columns: ignore), each named once.
  std::vector<std::string> notes;
  double seconds = 0;
};

//! What Run throws when more than max_reject_rate of the rows read are refused (nothing is
//! published): an Error(kData) that callers can tell from the other data errors, since
//! only raising the rate or fixing the source helps (the pipeline names it
//! Shoplake.TooManyRejects).
class TooManyRejects : public Error {
 public:
  using Error::Error;
};

//! The catalog table `mapping` produces, as the transform registers it (id and version
//! unset): processed/<database>/<table>/, its data columns (a column that is itself a
//! partition key lives in the folder names, not the files) and its partition keys (a
//! year/month/day part is an INTEGER, a value keeps its column's type). The AWS bundle
//! declares the same table in Glue (pipeline/aws_bundle.h).
catalog::Table MappedTable(const Mapping& mapping);

class Transformer {
 public:
  //! `catalog` is the lake's. DuckDB reads and writes local files: for a remote lake the run
  //! works on copies in the cache and uploads what it writes (lake/local_cache.h).
  Transformer(lake::Store& lake, catalog::Catalog& catalog);

  //! Runs the transform of `dataset` (from the project) with `mapping`. Throws Error:
  //! TooManyRejects (kData) when the reject rate is exceeded, kData when a header does not
  //! match the mapping (naming the file), kUsage when a referenced table does not exist yet.
  TransformResult Run(const DatasetSpec& dataset, const Mapping& mapping,
                      const TransformOptions& options);

 private:
  lake::Store& lake_;
  catalog::Catalog& catalog_;
  TransformRecords records_;  //!< in the catalog's file
};

}  // namespace shoplake::transform
