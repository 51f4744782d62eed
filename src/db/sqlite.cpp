// SQLite RAII: result codes turned into shoplake::Error with the database's path.
#include "db/sqlite.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/uri.h"

namespace shoplake::db {

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

// Who holds the write lock of the WAL database `path`, for people: "pid 4242 (shoplake run)".
// SQLite takes that lock as an fcntl lock on byte 120 of the -shm file (WALINDEX_LOCK_OFFSET +
// WAL_WRITE_LOCK); /proc/locks lists it with its holder's pid. (F_GETLK would tell as well,
// but closing the descriptor it needs would drop this process's own SQLite locks on the file.)
std::string WriteLockHolder(const std::string& path) {
  struct stat shm {};
  if (path.empty() || ::stat((path + "-shm").c_str(), &shm) != 0) return "another process";
  std::string file = fmt::format("{:02x}:{:02x}:{}", major(shm.st_dev), minor(shm.st_dev),
                                 static_cast<uint64_t>(shm.st_ino));
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    // "3: POSIX  ADVISORY  WRITE 4242 fd:01:1234 120 120" (a waiter's line has "->" after "3:")
    std::istringstream fields(line);
    std::string number, kind, mode, type, pid, id, start, end;
    fields >> number >> kind >> mode >> type >> pid >> id >> start >> end;
    if (kind != "POSIX" || type != "WRITE" || id != file) continue;
    bool covers =
        std::atoll(start.c_str()) <= 120 && (end == "EOF" || std::atoll(end.c_str()) >= 120);
    if (!covers) continue;
    if (std::atoll(pid.c_str()) == ::getpid()) return "another connection of this process";
    std::string command;
    std::ifstream cmdline("/proc/" + pid + "/cmdline");
    std::getline(cmdline, command, '\0');
    for (std::string arg; std::getline(cmdline, arg, '\0');) command += " " + arg;
    return "process " + pid + (command.empty() ? "" : " (" + command + ")");
  }
  return "another process";
}

// As sqlite3_busy_timeout waits: short sleeps first, then up to 100 ms at a time.
void SleepBeforeRetry(int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + attempt * 2, 100)));
}

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
    // Not SQLite's "database is locked": who holds it, and what to do.
    throw Error(ErrorCode::kConflict,
                what + ": the database is busy: " + WriteLockHolder(path) +
                    " kept it locked longer than this command waits",
                path, "wait for that command to finish, then run this one again");
  }
  if (primary == SQLITE_CONSTRAINT) throw Error(ErrorCode::kData, what + ": " + reason, path);
  if (primary == SQLITE_READONLY) {
    throw Error(ErrorCode::kIo, what + ": the file cannot be written (" + reason + ")", path,
                "this command writes to the lake, which is read-only here: run it where the "
                "lake can be written (commands that only read, such as query and catalog ls, "
                "work as they are)");
  }
  if (primary == SQLITE_FULL) {
    throw Error(ErrorCode::kIo, what + ": disk full", path, "free some disk space and run again");
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    throw Error(ErrorCode::kIo, what + ": " + reason, path,
                "the file is not a healthy SQLite database; restore it or move it aside");
  }
  throw Error(ErrorCode::kIo, what + ": " + reason, path);
}

// PRAGMA journal_mode=WAL, tried again while another connection creates the file.
void EnterWalMode(sqlite3* db, std::chrono::milliseconds busy_wait) {
  // Making a new file a WAL database upgrades this connection's read lock to a write lock, which
  // SQLite does not wait for (two connections upgrading would deadlock): when another process
  // creates the same file at that moment (two commands on a new lake), it says "database is
  // locked" at once. Try again, within the same wait as any other turn.
  auto deadline = std::chrono::steady_clock::now() + busy_wait;
  for (int attempt = 0;; ++attempt) {
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xFF) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
      Fail(db, rc, "cannot make the database a WAL database");
    }
    SleepBeforeRetry(attempt);
  }
}

// True when `path` exists but this process may not write it or its folder (a read-only mount,
// an immutable file; root included, as access() reports those to root too).
bool CannotWrite(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return false;
  std::string folder = std::filesystem::path(path).parent_path().string();
  return ::access(path.c_str(), W_OK) != 0 ||
         ::access(folder.empty() ? "." : folder.c_str(), W_OK) != 0;
}

// How SQLite should open `path`: in place for reading and writing (created when missing), or,
// when the file or its folder cannot be written, read-only (mode=ro). A WAL database opened so
// needs its -shm file, which a folder nobody may write (a read-only mount: EROFS; an immutable
// folder: EPERM, to root too) cannot hold; there nobody can change the file either, so without
// a -wal file (every commit checkpointed, as the last connection leaves it) it opens as
// immutable: no locks, no -shm. Only there: a folder only this user may not write (EACCES) may
// be written by another.
struct OpenMode {
  std::string name;
  int flags = 0;
  bool read_only = false;
};

OpenMode OpenModeFor(const std::string& path) {
  namespace fs = std::filesystem;
  if (!CannotWrite(path)) {
    return {path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, false};
  }
  fs::path absolute = fs::absolute(path).lexically_normal();
  bool nobody_writes =
      ::access(absolute.parent_path().c_str(), W_OK) != 0 && (errno == EROFS || errno == EPERM);
  std::error_code ec;
  bool immutable = nobody_writes && !fs::exists(absolute.string() + "-wal", ec);
  return {"file:" + PercentEncode(absolute.string()) + (immutable ? "?immutable=1" : "?mode=ro"),
          SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, true};
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, std::chrono::milliseconds busy_wait)
    : path_(path) {
  OpenMode mode = OpenModeFor(path);
  read_only_ = mode.read_only;
  int rc = sqlite3_open_v2(mode.name.c_str(), &db_, mode.flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string reason = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::kIo, "cannot open the database: " + reason, path,
                "check that the folder exists and is writable");
  }
  if (read_only_) spdlog::debug("{} cannot be written: opened it read-only", path);
  busy_wait_ = busy_wait;
  sqlite3_busy_handler(db_, &SqliteDatabase::WaitWhileBusy, this);
  sqlite3_extended_result_codes(db_, 1);
  if (!read_only_) EnterWalMode(db_, busy_wait_);
  Execute(read_only_ ? "PRAGMA foreign_keys=ON;"
                     : "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  std::lock_guard<std::mutex> lock(observers_mutex);
  if (!Observers().empty()) {
    auto found = Observers().find(ObservedKey(path));
    if (found != Observers().end()) {
      observed_ = found->second;
      sqlite3_wal_hook(db_, &SqliteDatabase::AfterCommit, this);
    }
  }
}

int SqliteDatabase::WaitWhileBusy(void* self, int attempt) {
  auto* db = static_cast<SqliteDatabase*>(self);
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) {
    db->busy_since_ = now;
    db->busy_noted_ = false;
  }
  auto waited = now - db->busy_since_;
  if (waited >= db->busy_wait_) return 0;  // SQLite returns SQLITE_BUSY: Fail names the holder
  if (!db->busy_noted_ && waited >= std::chrono::seconds(1)) {
    // Taking turns is normal; a long turn deserves a line saying whose it is.
    db->busy_noted_ = true;
    spdlog::info("waiting for {}: {} is writing it", db->path_, WriteLockHolder(db->path_));
  }
  SleepBeforeRetry(attempt);
  return 1;
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

bool SqliteDatabase::HasTable(std::string_view name) {
  auto table = Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  table.Bind(1, name);
  return table.Step();
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

namespace {

// The version of `component` that shoplake_schema records, or nullopt when none is (a new
// file, or a component never opened in it). A plain read: no lock, no wait.
std::optional<int64_t> RecordedVersion(SqliteDatabase& db, std::string_view component) {
  if (!db.HasTable("shoplake_schema")) return std::nullopt;
  auto recorded = db.Prepare("SELECT version FROM shoplake_schema WHERE component = ?");
  recorded.Bind(1, component);
  if (!recorded.Step()) return std::nullopt;
  return recorded.Int64(0);
}

void CheckNotNewer(SqliteDatabase& db, std::optional<int64_t> recorded, int version,
                   std::string_view what) {
  if (recorded && *recorded > version) {
    throw Error(ErrorCode::kConfig,
                std::string(what) + " was written by a newer shoplake (schema " +
                    std::to_string(*recorded) + ")",
                db.path(), "upgrade shoplake");
  }
}

}  // namespace

void ApplySchema(SqliteDatabase& db, std::string_view component, int version,
                 std::string_view schema, std::string_view what,
                 const std::function<void(int64_t)>& migrate) {
  // Most opens find the schema current: they only read, so a reader never takes the write
  // lock (nor waits behind a writer that holds it), and a read-only file opens as well.
  std::optional<int64_t> recorded = RecordedVersion(db, component);
  CheckNotNewer(db, recorded, version, what);
  if (recorded == version) return;
  if (db.read_only()) {
    throw Error(ErrorCode::kIo,
                std::string(what) + " needs " +
                    (recorded ? "bringing up to date (schema " + std::to_string(*recorded) +
                                    " of " + std::to_string(version) + ")"
                              : "creating") +
                    ", and the file cannot be written",
                db.path(),
                "run a shoplake command that writes (such as crawl) once where the "
                "lake can be written");
  }
  SqliteTransaction tx(db);
  // Another process may have done it meanwhile: look again under the lock.
  recorded = RecordedVersion(db, component);
  CheckNotNewer(db, recorded, version, what);
  if (recorded == version) return;
  db.Execute(
      "CREATE TABLE IF NOT EXISTS shoplake_schema (component TEXT PRIMARY KEY,"
      " version INTEGER NOT NULL)");
  db.Execute(schema);
  if (recorded && migrate) migrate(*recorded);
  db.Prepare("INSERT OR REPLACE INTO shoplake_schema VALUES (?, ?)")
      .Bind(1, component)
      .Bind(2, int64_t{version})
      .Run();
  tx.Commit();
}

}  // namespace shoplake::db
