// IngestLedger over SQLite: schema, migrations and queries.
#include "ingest/ledger.h"

#include "common/clock.h"
#include "common/error.h"

namespace shoplake::ingest {
namespace {

// The ledger's schema version (db::ApplySchema records it in shoplake_schema). 2: quarantine.
constexpr int kLedgerSchemaVersion = 2;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS ingest_ledger (
  id          INTEGER PRIMARY KEY,
  source      TEXT NOT NULL,
  object_uri  TEXT NOT NULL,
  version     TEXT NOT NULL,
  size        INTEGER NOT NULL,
  md5         TEXT NOT NULL,
  crc32c      TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  raw_key     TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  ingested_at TEXT NOT NULL,
  UNIQUE (source, object_uri, version)  -- each source's raw zone holds its own copies
);
CREATE INDEX IF NOT EXISTS ingest_ledger_by_source ON ingest_ledger (source, id);
CREATE INDEX IF NOT EXISTS ingest_ledger_by_raw_key ON ingest_ledger (raw_key);
CREATE TABLE IF NOT EXISTS ingest_runs (
  run_id            TEXT PRIMARY KEY,
  source            TEXT NOT NULL,
  source_uri        TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  finished_at       TEXT NOT NULL,
  status            TEXT NOT NULL,
  objects_new       INTEGER NOT NULL,
  objects_unchanged INTEGER NOT NULL,
  objects_failed    INTEGER NOT NULL,
  bytes             INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_quarantine (
  raw_key        TEXT PRIMARY KEY,
  reason         TEXT NOT NULL,
  quarantined_at TEXT NOT NULL
);
)sql";

constexpr const char* kColumns =
    "source, object_uri, version, size, md5, crc32c, sha256, raw_key, run_id, ingested_at";

LedgerEntry EntryFrom(const db::SqliteStatement& row) {
  LedgerEntry e;
  e.source = row.Text(0);
  e.object_uri = row.Text(1);
  e.version = row.Text(2);
  e.size = static_cast<uint64_t>(row.Int64(3));
  e.md5 = row.Text(4);
  e.crc32c = row.Text(5);
  e.sha256 = row.Text(6);
  e.raw_key = row.Text(7);
  e.run_id = row.Text(8);
  e.ingested_at = row.Text(9);
  return e;
}

}  // namespace

IngestLedger::IngestLedger(const std::string& path) : db_(path) {
  db::ApplySchema(db_, "ingest", kLedgerSchemaVersion, kSchema, "the ingest ledger");
}

std::optional<LedgerEntry> IngestLedger::Find(const std::string& source,
                                              const std::string& object_uri,
                                              const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto row = db_.Prepare(std::string("SELECT ") + kColumns +
                         " FROM ingest_ledger WHERE source = ? AND object_uri = ? AND version = ?");
  row.Bind(1, source).Bind(2, object_uri).Bind(3, version);
  if (!row.Step()) return std::nullopt;
  return EntryFrom(row);
}

std::optional<LedgerEntry> IngestLedger::Latest(const std::string& source,
                                                const std::string& object_uri) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto row = db_.Prepare(std::string("SELECT ") + kColumns +
                         " FROM ingest_ledger WHERE source = ? AND object_uri = ?"
                         " ORDER BY id DESC LIMIT 1");
  row.Bind(1, source).Bind(2, object_uri);
  if (!row.Step()) return std::nullopt;
  return EntryFrom(row);
}

bool IngestLedger::RawKeyTaken(const std::string& raw_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto row = db_.Prepare("SELECT 1 FROM ingest_ledger WHERE raw_key = ? LIMIT 1");
  row.Bind(1, raw_key);
  return row.Step();
}

void IngestLedger::Record(const LedgerEntry& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto insert = db_.Prepare(std::string("INSERT INTO ingest_ledger (") + kColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.Bind(1, e.source)
      .Bind(2, e.object_uri)
      .Bind(3, e.version)
      .Bind(4, static_cast<int64_t>(e.size))
      .Bind(5, e.md5)
      .Bind(6, e.crc32c)
      .Bind(7, e.sha256)
      .Bind(8, e.raw_key)
      .Bind(9, e.run_id)
      .Bind(10, e.ingested_at);
  insert.Run();
}

std::vector<LedgerEntry> IngestLedger::Entries(const std::optional<std::string>& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto rows = db_.Prepare(std::string("SELECT ") + kColumns + " FROM ingest_ledger" +
                          (source ? " WHERE source = ?" : "") + " ORDER BY id");
  if (source) rows.Bind(1, *source);
  std::vector<LedgerEntry> entries;
  while (rows.Step()) entries.push_back(EntryFrom(rows));
  return entries;
}

void IngestLedger::Quarantine(const std::string& raw_key, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto known = db_.Prepare("SELECT 1 FROM ingest_ledger WHERE raw_key = ? LIMIT 1");
  known.Bind(1, raw_key);
  if (!known.Step()) {
    throw Error(ErrorCode::kNotFound, "no ingested object has this raw key", raw_key,
                "'shoplake ledger' lists the raw keys (raw/<source>/ingest_date=.../<name>)");
  }
  db_.Prepare("INSERT OR REPLACE INTO ingest_quarantine VALUES (?, ?, ?)")
      .Bind(1, raw_key)
      .Bind(2, reason)
      .Bind(3, UtcNowIso())
      .Run();
}

bool IngestLedger::Release(const std::string& raw_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto quarantined = db_.Prepare("SELECT 1 FROM ingest_quarantine WHERE raw_key = ?");
  quarantined.Bind(1, raw_key);
  if (!quarantined.Step()) return false;
  db_.Prepare("DELETE FROM ingest_quarantine WHERE raw_key = ?").Bind(1, raw_key).Run();
  return true;
}

std::vector<QuarantinedFile> IngestLedger::Quarantined() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto rows = db_.Prepare(
      "SELECT raw_key, reason, quarantined_at FROM ingest_quarantine ORDER BY quarantined_at, "
      "raw_key");
  std::vector<QuarantinedFile> files;
  while (rows.Step()) files.push_back({rows.Text(0), rows.Text(1), rows.Text(2)});
  return files;
}

void IngestLedger::RecordRun(const IngestRunRecord& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto insert =
      db_.Prepare("INSERT OR REPLACE INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.Bind(1, r.run_id)
      .Bind(2, r.source)
      .Bind(3, r.source_uri)
      .Bind(4, r.started_at)
      .Bind(5, r.finished_at)
      .Bind(6, r.status)
      .Bind(7, int64_t{r.objects_new})
      .Bind(8, int64_t{r.objects_unchanged})
      .Bind(9, int64_t{r.objects_failed})
      .Bind(10, static_cast<int64_t>(r.bytes));
  insert.Run();
}

std::vector<IngestRunRecord> IngestLedger::Runs() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto rows = db_.Prepare("SELECT * FROM ingest_runs ORDER BY started_at, run_id");
  std::vector<IngestRunRecord> runs;
  while (rows.Step()) {
    IngestRunRecord r;
    r.run_id = rows.Text(0);
    r.source = rows.Text(1);
    r.source_uri = rows.Text(2);
    r.started_at = rows.Text(3);
    r.finished_at = rows.Text(4);
    r.status = rows.Text(5);
    r.objects_new = static_cast<int>(rows.Int64(6));
    r.objects_unchanged = static_cast<int>(rows.Int64(7));
    r.objects_failed = static_cast<int>(rows.Int64(8));
    r.bytes = static_cast<uint64_t>(rows.Int64(9));
    runs.push_back(r);
  }
  return runs;
}

IngestTotals SumIngests(db::SqliteDatabase& db) {
  IngestTotals totals;
  totals.bytes = db::NumbersByKey<double>(db, "ingest_ledger",
                                          "SELECT source, sum(size) FROM ingest_ledger GROUP BY 1");
  totals.objects = db::NumbersByKey<double>(
      db, "ingest_ledger", "SELECT source, count(*) FROM ingest_ledger GROUP BY 1");
  totals.seconds = db::NumbersByKey<double>(
      db, "ingest_runs",
      "SELECT source, sum((julianday(finished_at) - julianday(started_at)) * 86400)"
      " FROM ingest_runs GROUP BY 1");
  return totals;
}

}  // namespace shoplake::ingest
