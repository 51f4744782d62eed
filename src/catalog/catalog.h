// Catalog: the lake's tables and their history, in SQLite (_catalog/catalog.db, beside the
// ingest ledger), with the ideas of the Glue Data Catalog and of table formats such as
// Iceberg: databases; tables with their columns and partition keys; table versions (each
// schema change a new version); snapshots, each the complete list of files a table
// consists of after one commit. A table's content is its current snapshot's files, never
// whatever happens to lie in its folder: a commit is one SQLite transaction, so readers
// see the old snapshot or the new one, nothing in between.
//
// Thread safety: one Catalog per thread; several processes may share the file (SQLite WAL:
// readers never wait for a writer; writers take turns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/sqlite.h"

namespace shoplake::catalog {

struct Column {
  std::string name;
  std::string type;  //!< DuckDB type name: BIGINT, DECIMAL(12,2), TIMESTAMP, ...
  bool nullable = true;
  std::string description = {};  //!< what the column means, from the mapping; may be empty
  bool operator==(const Column&) const = default;
};

struct Table {
  int64_t id = 0;
  std::string database;
  std::string name;
  std::string location;  //!< the lake key prefix of its files: processed/<db>/<table>/
  std::string format = "parquet";
  std::string owner;                   //!< the stage that writes it: transform, crawler
  std::vector<Column> columns;         //!< data columns, in order
  std::vector<Column> partition_keys;  //!< Hive partition columns, outermost first
  int version = 0;                     //!< schema version: 1, 2, ...
  std::string description;             //!< what the table holds, from the mapping; may be empty
};

struct SnapshotFile {
  std::string key;        //!< lake key of the Parquet file
  std::string partition;  //!< "year=2026/month=3"; empty for unpartitioned tables
  uint64_t rows = 0;
  uint64_t bytes = 0;
  //! Hex SHA-256 of the file's bytes when it was committed (what `shoplake verify` checks);
  //! empty when unknown: committed before shoplake recorded checksums, until verify --record.
  //! (Initialized, so that {key, partition, rows, bytes} lists stay valid.)
  std::string sha256 = {};
};

//! One run of `shoplake verify`, as the catalog keeps it: when, over what, and what it found.
struct Verification {
  int64_t id = 0;
  std::string started_at;
  std::string finished_at;
  std::string scope;  //!< "<db>.<table>", or empty for every table
  uint64_t files_checked = 0;
  uint64_t files_failed = 0;   //!< differ from their checksum, or missing
  uint64_t files_unknown = 0;  //!< no checksum recorded (and not recorded by this run)
  std::string failures;        //!< JSON array of {"table", "key", "problem"}
};

//! One Hive partition of a table: its key=value path, where its files are, and whether it
//! still exists (a crawl marks vanished folders deleted rather than forgetting them).
struct Partition {
  std::string spec;      //!< "year=2026/month=3"; values in key order
  std::string location;  //!< lake key prefix of its files
  std::string status;    //!< active or deleted
  uint64_t files = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::string first_seen;
  std::string last_seen;
};

//! A table version as history shows it: its columns, and how it differs from the previous.
struct TableVersion {
  int version = 0;
  std::string created_at;
  std::vector<Column> columns;
  std::vector<Column> partition_keys;
  std::string change;  //!< JSON {"added":[...],"widened":[...],"removed":[...],"retyped":[...]}; ""
                       //!< for the first
};

//! Min and max of one column over a snapshot's files (from the Parquet statistics).
struct ColumnStats {
  std::string column;
  std::string min;
  std::string max;
  uint64_t nulls = 0;
};

struct Snapshot {
  int64_t id = 0;
  int64_t table_id = 0;
  int64_t parent_id = 0;  //!< the snapshot it replaced; 0 for the first
  std::string committed_at;
  std::string run_id;
  std::string operation;  //!< append, overwrite (full refresh), merge
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::vector<SnapshotFile> files;
};

//! A view as the catalog keeps it: the statement that defines it, from its file.
struct View {
  std::string database;
  std::string name;
  std::string sql;   //!< CREATE OR REPLACE VIEW <database>.<name> AS ...
  std::string file;  //!< where it was read from, relative to the project
  int version = 0;   //!< 1, 2, ...: bumped when the SQL changes
  std::string updated_at;
};

//! What ReplaceViews did to one view: created, updated, unchanged or dropped.
struct ViewChange {
  std::string view;  //!< "<database>.<name>"
  std::string change;
  int version = 0;
};

//! A point in a table's history: the latest snapshot with an id up to `snapshot_id`, or
//! committed at or before `time` (ISO 8601, UTC unless it says otherwise). Neither set:
//! the current snapshot.
struct AsOf {
  int64_t snapshot_id = 0;
  std::string time;
};

class Catalog {
 public:
  //! Opens (creating or migrating) the catalog in `path`. Throws Error(kIo) naming it.
  explicit Catalog(const std::string& path);

  //! The SQLite file, for stages that commit their own records in the same transaction.
  db::SqliteDatabase& db() { return db_; }

  std::optional<Table> FindTable(const std::string& database, const std::string& name);
  std::vector<Table> Tables();
  //! The table's current snapshot (files included), or nullopt before the first commit.
  std::optional<Snapshot> CurrentSnapshot(int64_t table_id) { return SnapshotAsOf(table_id, {}); }
  //! The table's snapshot as of `as_of` (files included), or nullopt when the table had no
  //! commit then. Throws Error(kUsage) for a time SQLite cannot read.
  std::optional<Snapshot> SnapshotAsOf(int64_t table_id, const AsOf& as_of);

  //! Creates the database and table when missing, or records a new table version when
  //! the columns or partition keys differ from the current ones (with `change`, the diff as
  //! JSON, when given). Returns the table as stored (with its id and version). Call inside
  //! a transaction.
  Table RegisterTable(const Table& table, const std::string& change = "");

  //! Every schema version of a table, oldest first.
  std::vector<TableVersion> Versions(int64_t table_id);
  //! Every snapshot of a table (files not filled in), oldest first.
  std::vector<Snapshot> Snapshots(int64_t table_id);

  //! The table's partitions, by spec.
  std::vector<Partition> Partitions(int64_t table_id);
  //! Records the partitions present now (inserting new ones, refreshing counts) and marks
  //! those no longer present deleted when `mark_deleted`. Returns (added, deleted).
  std::pair<int, int> SyncPartitions(int64_t table_id, const std::vector<Partition>& present,
                                     bool mark_deleted);

  //! Column statistics of a snapshot.
  std::vector<ColumnStats> Stats(int64_t snapshot_id);
  void RecordStats(int64_t snapshot_id, const std::vector<ColumnStats>& stats);

  //! What the crawler saw of a table's files last time (a fingerprint of their keys, sizes
  //! and times), so a re-crawl can skip what did not change. `table` is "<db>.<table>".
  std::optional<std::string> CrawlFingerprint(const std::string& table);
  void SetCrawlFingerprint(const std::string& table, const std::string& fingerprint);

  //! Records a new current snapshot of `table_id` listing exactly `files`. Call inside the
  //! transaction that commits the stage's other records. Returns the snapshot id.
  int64_t CommitSnapshot(int64_t table_id, const std::string& run_id, const std::string& operation,
                         const std::vector<SnapshotFile>& files);

  //! Records `sha256` as the checksum of `key` in snapshot `snapshot_id` where none was known
  //! (a file committed before shoplake recorded checksums); a known one is never replaced.
  void RecordChecksum(int64_t snapshot_id, const std::string& key, const std::string& sha256);

  //! Records a run of `shoplake verify`; returns its id.
  int64_t RecordVerification(const Verification& verification);
  //! The latest verification, or nullopt before the first.
  std::optional<Verification> LastVerification();

  //! Every view, in the order they must be created.
  std::vector<View> Views();
  //! How many tables, snapshots (over all tables) and views the catalog holds: /metrics.
  struct Counts {
    int64_t tables = 0, snapshots = 0, views = 0;
  };
  Counts Count();
  //! Makes `views` (in creation order) the catalog's views, in one transaction: new ones
  //! created, changed ones given a new version, missing ones dropped. Returns what changed,
  //! in `views` order, then the dropped.
  std::vector<ViewChange> ReplaceViews(const std::vector<View>& views);

 private:
  db::SqliteDatabase db_;
};

//! The table `name` names, as the user wrote it: "db.table", or a table name only one database
//! has. Throws Error(kUsage) naming `where` (the catalog file) with a suggestion and the known
//! tables when none or several match.
Table ResolveTable(Catalog& catalog, const std::string& name, const std::string& where);

}  // namespace shoplake::catalog
