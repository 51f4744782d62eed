// RAII over SQLite: the catalog, the ingest ledger and the workflow history all live in
// one SQLite file in the lake (_catalog/catalog.db). WAL mode lets readers go on while a
// writer commits; a busy wait makes writers take turns (a long wait logs who holds the lock).
//
// Thread safety: a SqliteDatabase is used by one thread at a time (open one per thread).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace shoplake::db {

class SqliteStatement;
struct ObservedFile;

//! An open SQLite database file.
class SqliteDatabase {
 public:
  //! Opens (creating when missing) `path` in WAL mode with foreign keys on, waiting up to
  //! `busy_wait` for another writer. When the file or its folder cannot be written (a lake on a
  //! read-only mount), opens it read-only instead (read_only()): reads work, a write throws
  //! Error(kIo) saying the lake is read-only. On failure throws Error(kIo) naming the path.
  explicit SqliteDatabase(const std::string& path,
                          std::chrono::milliseconds busy_wait = std::chrono::seconds(30));
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  //! Runs one or more statements without results. Throws Error (see Prepare).
  void Execute(std::string_view sql);
  //! Compiles one statement. A malformed statement throws Error(kInternal): our SQL is
  //! fixed text, so it is a bug; a busy database throws Error(kConflict).
  SqliteStatement Prepare(std::string_view sql);

  //! True when the database has a table `name`: a component's tables exist once it has
  //! run, and a reader that must write nothing asks before reading them.
  bool HasTable(std::string_view name);

  //! The schema version kept in PRAGMA user_version.
  int user_version();
  void set_user_version(int version);

  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  const std::string& path() const { return path_; }
  //! True when the file could only be opened read-only (see the constructor).
  bool read_only() const { return read_only_; }
  sqlite3* handle() { return db_; }

 private:
  static int AfterCommit(void* self, sqlite3* db, const char* name, int wal_pages);
  //! SQLite's busy handler: waits up to busy_wait_, logging once (after a second) which
  //! process holds the lock.
  static int WaitWhileBusy(void* self, int attempt);

  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
  std::chrono::milliseconds busy_wait_;
  std::chrono::steady_clock::time_point busy_since_;  // of the current wait
  bool busy_noted_ = false;
  //! The CommitObserver's registration for this file, when there was one at open.
  std::shared_ptr<ObservedFile> observed_;
};

//! While a CommitObserver lives, every SqliteDatabase this process opens on `path` from then
//! on calls `after_commit` after each of its commits that wrote to the file: explicit
//! transactions and single statements alike, on the committing thread, once the commit is
//! complete and its write lock released (SQLite's WAL hook). When `after_commit` throws an
//! Error, the statement that committed throws it: the commit stays made in the local file,
//! but its caller learns that what should follow it failed.
//!
//! lake::CatalogFile uses it to upload a remote lake's catalog after each commit, so that no
//! stage has to remember to. Connections opened before the observer are not observed.
class CommitObserver {
 public:
  CommitObserver(const std::string& path, std::function<void()> after_commit);
  ~CommitObserver();
  CommitObserver(const CommitObserver&) = delete;
  CommitObserver& operator=(const CommitObserver&) = delete;

 private:
  std::string key_;
};

//! Until a CommitCoalescing is finished, the CommitObserver of `path` (when there is one) is
//! called at most once per `interval`: a commit sooner after the last call only marks a call
//! as due. Finish() ends that and makes the due call, throwing what it throws; the destructor
//! finishes when Finish was not called, logging what fails. Only for work whose last commits a
//! crash may leave unobserved and the next run redo (ingest: an object whose record the lake's
//! catalog missed is copied again): what follows a commit can no longer count on its having been
//! observed.
class CommitCoalescing {
 public:
  CommitCoalescing(const std::string& path, std::chrono::milliseconds interval);
  ~CommitCoalescing();
  CommitCoalescing(const CommitCoalescing&) = delete;
  CommitCoalescing& operator=(const CommitCoalescing&) = delete;

  void Finish();

 private:
  std::shared_ptr<ObservedFile> observed_;  // null: nothing observes the path
  bool finished_ = false;
};

//! A compiled statement: bind by 1-based index, Step through rows, read columns.
class SqliteStatement {
 public:
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, std::string_view value);
  SqliteStatement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& Bind(int index, const char* value) {
    return Bind(index, std::string_view(value));
  }
  SqliteStatement& BindNull(int index);
  SqliteStatement& Bind(int index, const std::optional<std::string>& value);

  //! Advances to the next row: true when there is one, false when done.
  //! On failure throws Error(kConflict) when the database is busy past the timeout,
  //! Error(kData) for a constraint violation, Error(kIo) otherwise.
  bool Step();
  //! Steps once, expecting no rows (INSERT/UPDATE/DELETE).
  void Run();
  //! Clears bindings' results so the statement can run again.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(sqlite3_stmt* statement, sqlite3* db);
  sqlite3_stmt* statement_ = nullptr;
  sqlite3* db_ = nullptr;
};

//! BEGIN IMMEDIATE on construction (taking the write lock up front, so two writers
//! queue instead of deadlocking), ROLLBACK on destruction unless Commit() was called.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDatabase& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void Commit();

 private:
  SqliteDatabase& db_;
  bool done_ = false;
};

//! Creates a component's tables (`schema`: idempotent SQL, CREATE ... IF NOT EXISTS) and
//! records its schema version in shoplake_schema. Each component of the catalog file (ingest,
//! catalog, transform, workflow) keeps its own version, so they migrate independently. When
//! the recorded version is `version` already (most opens), only reads: no write lock is taken,
//! so readers never wait behind a writer and a read-only file opens. Otherwise, in one
//! transaction: runs `schema`, then `migrate(recorded)` when an older version was recorded (for
//! what CREATE ... IF NOT EXISTS cannot do, such as adding a column), and records `version`.
//! Throws Error(kConfig) naming the file when a newer shoplake wrote a higher version,
//! Error(kIo) when the schema must change and the file is read-only; `what` names the
//! component for people ("the ingest ledger").
void ApplySchema(SqliteDatabase& db, std::string_view component, int version,
                 std::string_view schema, std::string_view what,
                 const std::function<void(int64_t recorded)>& migrate = {});

//! The rows of `sql`, a query of two columns (a text key, then a number), as a map from key to
//! number: an owner's totals by source, dataset or status for /metrics. Empty when the database
//! has no table `table` yet (its owner never ran), so a reader creates nothing by asking.
//! Number is int64_t (counts) or double (sums, seconds). Throws as Prepare and Step do.
template <typename Number>
std::map<std::string, Number> NumbersByKey(SqliteDatabase& db, std::string_view table,
                                           std::string_view sql) {
  static_assert(std::is_same_v<Number, int64_t> || std::is_same_v<Number, double>);
  std::map<std::string, Number> numbers;
  if (!db.HasTable(table)) return numbers;
  auto rows = db.Prepare(sql);
  while (rows.Step()) {
    if constexpr (std::is_same_v<Number, double>) {
      numbers[rows.Text(0)] = rows.Double(1);
    } else {
      numbers[rows.Text(0)] = rows.Int64(1);
    }
  }
  return numbers;
}

}  // namespace shoplake::db
