// SQLite RAII: result codes turned into shoplake::Error with the database's path.
#include "common/sqlite.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "common/error.h"

namespace shoplake {

// A file a CommitObserver observes: its callback, and whether CommitCoalescing defers it.
struct ObservedFile {
  explicit ObservedFile(std::function<void()> callback) : after_commit(std::move(callback)) {}

  // After a commit to the file: the call, unless a coalescing defers it.
  void Committed() {
    {
      std::lock_guard lock(mutex);
      auto now = std::chrono::steady_clock::now();
      if (coalescing > 0 && now - last_call < interval) {
        due = true;
        return;
      }
      due = false;
      last_call = now;
    }
    after_commit();
  }

  // The call a coalescing deferred, if one is due.
  void CallIfDue() {
    {
      std::lock_guard lock(mutex);
      if (!due) return;
      due = false;
      last_call = std::chrono::steady_clock::now();
    }
    after_commit();
  }

  const std::function<void()> after_commit;
  std::mutex mutex;  // the rest
  int coalescing = 0;
  std::chrono::milliseconds interval{0};
  std::chrono::steady_clock::time_point last_call;
  bool due = false;
};

namespace {

// The CommitObservers, by the normalized path of the file they observe.
std::mutex observers_mutex;
std::map<std::string, std::shared_ptr<ObservedFile>>& Observers() {
  static std::map<std::string, std::shared_ptr<ObservedFile>> observers;
  return observers;
}

std::string ObservedKey(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

// What an after-commit callback threw on this thread, for the statement that committed to
// throw in place of SQLite's generic error (the callback itself runs inside SQLite's C frames,
// which an exception must not cross).
thread_local std::optional<Error> after_commit_error;

[[noreturn]] void Fail(sqlite3* db, int rc, const std::string& what) {
  if (after_commit_error) {
    Error error = std::move(*after_commit_error);
    after_commit_error.reset();
    throw error;
  }
  std::string path = db && sqlite3_db_filename(db, "main") ? sqlite3_db_filename(db, "main") : "";
  std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Error(ErrorCode::kConflict, what + ": the database is busy: " + reason, path,
                "another shoplake process is writing; wait for it or raise the wait");
  }
  if (primary == SQLITE_CONSTRAINT) throw Error(ErrorCode::kData, what + ": " + reason, path);
  if (primary == SQLITE_FULL) {
    throw Error(ErrorCode::kIo, what + ": disk full", path, "free some disk space and run again");
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    throw Error(ErrorCode::kIo, what + ": " + reason, path,
                "the file is not a healthy SQLite database; restore it or move it aside");
  }
  throw Error(ErrorCode::kIo, what + ": " + reason, path);
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, std::chrono::milliseconds busy_wait)
    : path_(path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::kIo, "cannot open the database: " + reason, path,
                "check that the folder exists and is writable");
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_wait.count()));
  sqlite3_extended_result_codes(db_, 1);
  Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  std::lock_guard<std::mutex> lock(observers_mutex);
  if (!Observers().empty()) {
    auto found = Observers().find(ObservedKey(path));
    if (found != Observers().end()) {
      observed_ = found->second;
      sqlite3_wal_hook(db_, &SqliteDatabase::AfterCommit, this);
    }
  }
}

int SqliteDatabase::AfterCommit(void* self, sqlite3* db, const char* name, int wal_pages) {
  // The hook replaces SQLite's automatic checkpoint; do what it did (at its default size).
  if (wal_pages >= 1000) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  try {
    static_cast<SqliteDatabase*>(self)->observed_->Committed();
  } catch (const Error& e) {
    after_commit_error = e;
    return SQLITE_IOERR;
  } catch (const std::exception& e) {
    after_commit_error = Error(ErrorCode::kInternal, e.what());
    return SQLITE_IOERR;
  }
  return SQLITE_OK;
}

CommitObserver::CommitObserver(const std::string& path, std::function<void()> after_commit)
    : key_(ObservedKey(path)) {
  std::lock_guard<std::mutex> lock(observers_mutex);
  bool added =
      Observers().emplace(key_, std::make_shared<ObservedFile>(std::move(after_commit))).second;
  Check(added, "two CommitObservers on " + key_);
}

CommitObserver::~CommitObserver() {
  std::lock_guard<std::mutex> lock(observers_mutex);
  Observers().erase(key_);
}

CommitCoalescing::CommitCoalescing(const std::string& path, std::chrono::milliseconds interval) {
  {
    std::lock_guard<std::mutex> lock(observers_mutex);
    auto found = Observers().find(ObservedKey(path));
    if (found == Observers().end()) return;
    observed_ = found->second;
  }
  std::lock_guard lock(observed_->mutex);
  if (observed_->coalescing++ == 0) {
    observed_->interval = interval;
    // The first commit waits too: a short run ends with one call, from Finish.
    observed_->last_call = std::chrono::steady_clock::now();
  }
}

CommitCoalescing::~CommitCoalescing() {
  try {
    Finish();
  } catch (const std::exception& e) {
    spdlog::warn("after the last commits: {}", e.what());
  }
}

void CommitCoalescing::Finish() {
  if (finished_ || !observed_) return;
  finished_ = true;
  {
    // Commits from now on are heard at once again.
    std::lock_guard lock(observed_->mutex);
    --observed_->coalescing;
  }
  observed_->CallIfDue();
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

void SqliteDatabase::Execute(std::string_view sql) {
  std::string text(sql);
  after_commit_error.reset();
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    sqlite3_free(message);
    Fail(db_, rc, "SQL failed");
  }
}

SqliteStatement SqliteDatabase::Prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
  if (rc != SQLITE_OK) {
    int primary = rc & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) Fail(db_, rc, "cannot prepare");
    std::string reason = sqlite3_errmsg(db_);
    sqlite3_finalize(statement);
    Check(false, "cannot prepare SQL (" + reason + "): " + std::string(sql));
  }
  return SqliteStatement(statement, db_);
}

int SqliteDatabase::user_version() {
  auto statement = Prepare("PRAGMA user_version");
  statement.Step();
  return static_cast<int>(statement.Int64(0));
}

void SqliteDatabase::set_user_version(int version) {
  Execute("PRAGMA user_version=" + std::to_string(version));
}

SqliteStatement::SqliteStatement(sqlite3_stmt* statement, sqlite3* db)
    : statement_(statement), db_(db) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : statement_(other.statement_), db_(other.db_) {
  other.statement_ = nullptr;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, double value) {
  sqlite3_bind_double(statement_, index, value);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
SqliteStatement& SqliteStatement::BindNull(int index) {
  sqlite3_bind_null(statement_, index);
  return *this;
}
SqliteStatement& SqliteStatement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

bool SqliteStatement::Step() {
  after_commit_error.reset();
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fail(db_, rc, "SQL step failed");
}

void SqliteStatement::Run() {
  Step();
  Reset();
}

void SqliteStatement::Reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool SqliteStatement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}
int64_t SqliteStatement::Int64(int column) const {
  return sqlite3_column_int64(statement_, column);
}
double SqliteStatement::Double(int column) const {
  return sqlite3_column_double(statement_, column);
}
std::string SqliteStatement::Text(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            sqlite3_column_bytes(statement_, column))
              : std::string();
}
std::optional<std::string> SqliteStatement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

SqliteTransaction::SqliteTransaction(SqliteDatabase& db) : db_(db) {
  db_.Execute("BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) {
    try {
      db_.Execute("ROLLBACK");
    } catch (...) {
      // Destructors must not throw; a failed rollback leaves SQLite to roll back on close.
    }
  }
}

void SqliteTransaction::Commit() {
  db_.Execute("COMMIT");
  done_ = true;
}

void ApplySchema(SqliteDatabase& db, std::string_view component, int version,
                 std::string_view schema, std::string_view what) {
  SqliteTransaction tx(db);
  db.Execute(
      "CREATE TABLE IF NOT EXISTS shoplake_schema (component TEXT PRIMARY KEY,"
      " version INTEGER NOT NULL)");
  db.Execute(schema);
  auto recorded = db.Prepare("SELECT version FROM shoplake_schema WHERE component = ?");
  recorded.Bind(1, component);
  bool current = false;
  if (recorded.Step()) {
    if (recorded.Int64(0) > version) {
      throw Error(ErrorCode::kConfig,
                  std::string(what) + " was written by a newer shoplake (schema " +
                      std::to_string(recorded.Int64(0)) + ")",
                  db.path(), "upgrade shoplake");
    }
    current = recorded.Int64(0) == version;
  }
  // Only a migration writes: opening a current catalog to read it leaves its bytes alone.
  if (!current) {
    db.Prepare("INSERT OR REPLACE INTO shoplake_schema VALUES (?, ?)")
        .Bind(1, component)
        .Bind(2, int64_t{version})
        .Run();
  }
  tx.Commit();
}

}  // namespace shoplake
