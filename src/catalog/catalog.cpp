#include "catalog/catalog.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/clock.h"
#include "common/error.h"
#include "common/names.h"

namespace shoplake::catalog {
namespace {

// The catalog's schema version (db::ApplySchema records it in shoplake_schema).
// 2 added catalog_views; 3 the files' checksums (catalog_snapshot_files.sha256) and
// catalog_verifications; 4 the tables' descriptions (catalog_table_versions.description;
// a column's is in its JSON).
constexpr int kCatalogSchemaVersion = 4;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS catalog_databases (
  name       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_tables (
  id         INTEGER PRIMARY KEY,
  database   TEXT NOT NULL REFERENCES catalog_databases (name),
  name       TEXT NOT NULL,
  location   TEXT NOT NULL,
  format     TEXT NOT NULL,
  owner      TEXT NOT NULL,
  version    INTEGER NOT NULL,   -- the current schema version
  created_at TEXT NOT NULL,
  UNIQUE (database, name)
);
-- One row per schema version: the columns and partition keys as JSON arrays of
-- {"name", "type", "nullable"[, "description"]}, and the table's description.
CREATE TABLE IF NOT EXISTS catalog_table_versions (
  table_id       INTEGER NOT NULL REFERENCES catalog_tables (id),
  version        INTEGER NOT NULL,
  columns        TEXT NOT NULL,
  partition_keys TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (table_id, version)
);
CREATE TABLE IF NOT EXISTS catalog_snapshots (
  id           INTEGER PRIMARY KEY,
  table_id     INTEGER NOT NULL REFERENCES catalog_tables (id),
  parent_id    INTEGER NOT NULL,
  committed_at TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  operation    TEXT NOT NULL,
  rows         INTEGER NOT NULL,
  bytes        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_snapshots_by_table ON catalog_snapshots (table_id, id);
-- How each version differs from the one before (JSON), for history.
CREATE TABLE IF NOT EXISTS catalog_version_changes (
  table_id INTEGER NOT NULL REFERENCES catalog_tables (id),
  version  INTEGER NOT NULL,
  change   TEXT NOT NULL,
  PRIMARY KEY (table_id, version)
);
CREATE TABLE IF NOT EXISTS catalog_partitions (
  table_id   INTEGER NOT NULL REFERENCES catalog_tables (id),
  spec       TEXT NOT NULL,
  location   TEXT NOT NULL,
  status     TEXT NOT NULL,
  files      INTEGER NOT NULL,
  rows       INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen  TEXT NOT NULL,
  PRIMARY KEY (table_id, spec)
);
CREATE TABLE IF NOT EXISTS catalog_column_stats (
  snapshot_id INTEGER NOT NULL REFERENCES catalog_snapshots (id),
  "column"    TEXT NOT NULL,
  min         TEXT NOT NULL,
  max         TEXT NOT NULL,
  nulls       INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, "column")
);
CREATE TABLE IF NOT EXISTS catalog_crawl_state (
  table_name  TEXT PRIMARY KEY,  -- <db>.<table>
  fingerprint TEXT NOT NULL,
  crawled_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_snapshot_files (
  snapshot_id INTEGER NOT NULL REFERENCES catalog_snapshots (id),
  key         TEXT NOT NULL,
  partition   TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  sha256      TEXT,              -- hex, of the bytes committed; NULL: not known (see verify)
  PRIMARY KEY (snapshot_id, key)
);
-- Each run of `shoplake verify`: what it checked and which files failed (JSON).
CREATE TABLE IF NOT EXISTS catalog_verifications (
  id            INTEGER PRIMARY KEY,
  started_at    TEXT NOT NULL,
  finished_at   TEXT NOT NULL,
  scope         TEXT NOT NULL,   -- <db>.<table>, or '' for every table
  files_checked INTEGER NOT NULL,
  files_failed  INTEGER NOT NULL,
  files_unknown INTEGER NOT NULL,
  failures      TEXT NOT NULL
);
-- Views as Glue keeps them: the SQL that defines each (a whole CREATE VIEW statement), in
-- the order they must be created (a view after the views it reads).
CREATE TABLE IF NOT EXISTS catalog_views (
  database   TEXT NOT NULL,
  name       TEXT NOT NULL,
  sql        TEXT NOT NULL,
  file       TEXT NOT NULL,
  position   INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (database, name)
);
)sql";

std::string ColumnsJson(const std::vector<Column>& columns) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : columns) {
    nlohmann::json column = {{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}};
    if (!c.description.empty()) column["description"] = c.description;
    out.push_back(std::move(column));
  }
  return out.dump();
}

std::vector<Column> ColumnsFrom(const std::string& text) {
  std::vector<Column> out;
  for (const auto& c : nlohmann::json::parse(text)) {
    out.push_back({c.at("name").get<std::string>(), c.at("type").get<std::string>(),
                   c.at("nullable").get<bool>(), c.value("description", "")});
  }
  return out;
}

}  // namespace

Catalog::Catalog(const std::string& path) : db_(path) {
  db::ApplySchema(db_, "catalog", kCatalogSchemaVersion, kSchema, "the catalog",
                  [this](int64_t from) {
                    // A catalog of version 1 or 2 lists its files without checksums: unknown, not
                    // failed.
                    if (from < 3)
                      db_.Execute("ALTER TABLE catalog_snapshot_files ADD COLUMN sha256 TEXT");
                    // Tables registered before descriptions have none. (The schema above
                    // creates the column only with a new table, so a catalog of version 3 or
                    // older lacks it; look, as CREATE TABLE IF NOT EXISTS does.)
                    auto has = db_.Prepare(
                        "SELECT count(*) FROM pragma_table_info('catalog_table_versions')"
                        " WHERE name = 'description'");
                    if (from < 4 && has.Step() && has.Int64(0) == 0) {
                      db_.Execute(
                          "ALTER TABLE catalog_table_versions ADD COLUMN description TEXT NOT "
                          "NULL DEFAULT ''");
                    }
                  });
}

namespace {

// The current version of tables, joined with their columns; a WHERE clause may follow.
constexpr const char* kSelectTables =
    "SELECT t.id, t.database, t.name, t.location, t.format, t.owner, t.version, v.columns,"
    " v.partition_keys, v.description FROM catalog_tables t JOIN catalog_table_versions v"
    " ON v.table_id = t.id AND v.version = t.version";

Table TableFrom(const db::SqliteStatement& row) {
  Table t;
  t.id = row.Int64(0);
  t.database = row.Text(1);
  t.name = row.Text(2);
  t.location = row.Text(3);
  t.format = row.Text(4);
  t.owner = row.Text(5);
  t.version = static_cast<int>(row.Int64(6));
  t.columns = ColumnsFrom(row.Text(7));
  t.partition_keys = ColumnsFrom(row.Text(8));
  t.description = row.Text(9);
  return t;
}

constexpr const char* kSelectSnapshots =
    "SELECT id, parent_id, committed_at, run_id, operation, rows, bytes FROM catalog_snapshots"
    " WHERE table_id = ?1";

Snapshot SnapshotFrom(const db::SqliteStatement& row, int64_t table_id) {
  Snapshot s;
  s.id = row.Int64(0);
  s.table_id = table_id;
  s.parent_id = row.Int64(1);
  s.committed_at = row.Text(2);
  s.run_id = row.Text(3);
  s.operation = row.Text(4);
  s.rows = static_cast<uint64_t>(row.Int64(5));
  s.bytes = static_cast<uint64_t>(row.Int64(6));
  return s;
}

}  // namespace

std::vector<Table> Catalog::Tables() {
  std::vector<Table> out;
  auto rows = db_.Prepare(std::string(kSelectTables) + " ORDER BY t.database, t.name");
  while (rows.Step()) out.push_back(TableFrom(rows));
  return out;
}

std::optional<Table> Catalog::FindTable(const std::string& database, const std::string& name) {
  auto row = db_.Prepare(std::string(kSelectTables) + " WHERE t.database = ? AND t.name = ?");
  row.Bind(1, database).Bind(2, name);
  if (!row.Step()) return std::nullopt;
  return TableFrom(row);
}

std::optional<Snapshot> Catalog::SnapshotAsOf(int64_t table_id, const AsOf& as_of) {
  std::string sql = kSelectSnapshots;
  if (as_of.snapshot_id > 0) sql += " AND id <= ?2";
  if (!as_of.time.empty()) {
    auto valid = db_.Prepare("SELECT julianday(?) IS NOT NULL");
    valid.Bind(1, as_of.time);
    if (!valid.Step() || valid.Int64(0) == 0) {
      throw Error(ErrorCode::kUsage, "not a time: '" + as_of.time + "'", "--as-of",
                  "give a snapshot id or a time such as 2026-11-27T05:04:12Z");
    }
    // julianday: committed_at is ISO 8601 with milliseconds and Z; the time may be any
    // form SQLite reads ("2026-11-27", "2026-11-27 05:04", "...+01:00").
    sql += " AND julianday(committed_at) <= julianday(?3)";
  }
  auto row = db_.Prepare(sql + " ORDER BY id DESC LIMIT 1");
  row.Bind(1, table_id);
  if (as_of.snapshot_id > 0) row.Bind(2, as_of.snapshot_id);
  if (!as_of.time.empty()) row.Bind(3, as_of.time);
  if (!row.Step()) return std::nullopt;
  Snapshot s = SnapshotFrom(row, table_id);
  auto files = db_.Prepare(
      "SELECT key, partition, rows, bytes, coalesce(sha256, '') FROM catalog_snapshot_files"
      " WHERE snapshot_id = ? ORDER BY key");
  files.Bind(1, s.id);
  while (files.Step()) {
    s.files.push_back({files.Text(0), files.Text(1), static_cast<uint64_t>(files.Int64(2)),
                       static_cast<uint64_t>(files.Int64(3)), files.Text(4)});
  }
  return s;
}

Table Catalog::RegisterTable(const Table& table, const std::string& change) {
  std::string now = UtcNowIso();
  db_.Prepare("INSERT OR IGNORE INTO catalog_databases VALUES (?, ?)")
      .Bind(1, table.database)
      .Bind(2, now)
      .Run();
  auto existing = FindTable(table.database, table.name);
  if (existing && existing->columns == table.columns &&
      existing->partition_keys == table.partition_keys &&
      existing->description == table.description) {
    return *existing;
  }
  Table stored = table;
  if (!existing) {
    db_.Prepare(
           "INSERT INTO catalog_tables (database, name, location, format, owner, version,"
           " created_at) VALUES (?, ?, ?, ?, ?, 1, ?)")
        .Bind(1, table.database)
        .Bind(2, table.name)
        .Bind(3, table.location)
        .Bind(4, table.format)
        .Bind(5, table.owner)
        .Bind(6, now)
        .Run();
    stored.id = db_.last_insert_rowid();
    stored.version = 1;
  } else {
    stored.id = existing->id;
    stored.version = existing->version + 1;
    db_.Prepare("UPDATE catalog_tables SET version = ?, location = ? WHERE id = ?")
        .Bind(1, int64_t{stored.version})
        .Bind(2, table.location)
        .Bind(3, stored.id)
        .Run();
  }
  db_.Prepare(
         "INSERT INTO catalog_table_versions (table_id, version, columns, partition_keys,"
         " created_at, description) VALUES (?, ?, ?, ?, ?, ?)")
      .Bind(1, stored.id)
      .Bind(2, int64_t{stored.version})
      .Bind(3, ColumnsJson(table.columns))
      .Bind(4, ColumnsJson(table.partition_keys))
      .Bind(5, now)
      .Bind(6, table.description)
      .Run();
  if (!change.empty()) {
    db_.Prepare("INSERT OR REPLACE INTO catalog_version_changes VALUES (?, ?, ?)")
        .Bind(1, stored.id)
        .Bind(2, int64_t{stored.version})
        .Bind(3, change)
        .Run();
  }
  return stored;
}

std::vector<TableVersion> Catalog::Versions(int64_t table_id) {
  std::vector<TableVersion> out;
  auto rows = db_.Prepare(
      "SELECT v.version, v.created_at, v.columns, v.partition_keys, coalesce(c.change, '')"
      " FROM catalog_table_versions v LEFT JOIN catalog_version_changes c"
      " ON c.table_id = v.table_id AND c.version = v.version WHERE v.table_id = ? ORDER BY "
      "v.version");
  rows.Bind(1, table_id);
  while (rows.Step()) {
    out.push_back({static_cast<int>(rows.Int64(0)), rows.Text(1), ColumnsFrom(rows.Text(2)),
                   ColumnsFrom(rows.Text(3)), rows.Text(4)});
  }
  return out;
}

std::vector<Snapshot> Catalog::Snapshots(int64_t table_id) {
  std::vector<Snapshot> out;
  auto rows = db_.Prepare(std::string(kSelectSnapshots) + " ORDER BY id");
  rows.Bind(1, table_id);
  while (rows.Step()) out.push_back(SnapshotFrom(rows, table_id));
  return out;
}

std::vector<Partition> Catalog::Partitions(int64_t table_id) {
  std::vector<Partition> out;
  auto rows = db_.Prepare(
      "SELECT spec, location, status, files, rows, bytes, first_seen, last_seen FROM "
      "catalog_partitions"
      " WHERE table_id = ? ORDER BY spec");
  rows.Bind(1, table_id);
  while (rows.Step()) {
    out.push_back({rows.Text(0), rows.Text(1), rows.Text(2), static_cast<uint64_t>(rows.Int64(3)),
                   static_cast<uint64_t>(rows.Int64(4)), static_cast<uint64_t>(rows.Int64(5)),
                   rows.Text(6), rows.Text(7)});
  }
  return out;
}

std::pair<int, int> Catalog::SyncPartitions(int64_t table_id, const std::vector<Partition>& present,
                                            bool mark_deleted) {
  std::string now = UtcNowIso();
  std::map<std::string, Partition> known;
  for (auto& p : Partitions(table_id)) known[p.spec] = p;
  int added = 0, deleted = 0;
  auto upsert = db_.Prepare(
      "INSERT INTO catalog_partitions VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?)"
      " ON CONFLICT (table_id, spec) DO UPDATE SET location = excluded.location, status = 'active',"
      " files = excluded.files, rows = excluded.rows, bytes = excluded.bytes, last_seen = "
      "excluded.last_seen");
  std::set<std::string> seen;
  for (const auto& p : present) {
    seen.insert(p.spec);
    auto it = known.find(p.spec);
    if (it == known.end() || it->second.status != "active") ++added;
    upsert.Bind(1, table_id)
        .Bind(2, p.spec)
        .Bind(3, p.location)
        .Bind(4, static_cast<int64_t>(p.files))
        .Bind(5, static_cast<int64_t>(p.rows))
        .Bind(6, static_cast<int64_t>(p.bytes))
        .Bind(7, now)
        .Bind(8, now);
    upsert.Run();
  }
  if (mark_deleted) {
    auto mark = db_.Prepare(
        "UPDATE catalog_partitions SET status = 'deleted', last_seen = ? WHERE table_id = ? AND "
        "spec = ?");
    for (const auto& [spec, p] : known) {
      if (seen.count(spec) || p.status == "deleted") continue;
      mark.Bind(1, now).Bind(2, table_id).Bind(3, spec);
      mark.Run();
      ++deleted;
    }
  }
  return {added, deleted};
}

std::vector<ColumnStats> Catalog::Stats(int64_t snapshot_id) {
  std::vector<ColumnStats> out;
  auto rows = db_.Prepare(
      "SELECT \"column\", min, max, nulls FROM catalog_column_stats WHERE snapshot_id = ? ORDER BY "
      "rowid");
  rows.Bind(1, snapshot_id);
  while (rows.Step()) {
    out.push_back({rows.Text(0), rows.Text(1), rows.Text(2), static_cast<uint64_t>(rows.Int64(3))});
  }
  return out;
}

void Catalog::RecordStats(int64_t snapshot_id, const std::vector<ColumnStats>& stats) {
  auto insert = db_.Prepare("INSERT OR REPLACE INTO catalog_column_stats VALUES (?, ?, ?, ?, ?)");
  for (const auto& s : stats) {
    insert.Bind(1, snapshot_id)
        .Bind(2, s.column)
        .Bind(3, s.min)
        .Bind(4, s.max)
        .Bind(5, static_cast<int64_t>(s.nulls));
    insert.Run();
  }
}

std::optional<std::string> Catalog::CrawlFingerprint(const std::string& table) {
  auto row = db_.Prepare("SELECT fingerprint FROM catalog_crawl_state WHERE table_name = ?");
  row.Bind(1, table);
  if (!row.Step()) return std::nullopt;
  return row.Text(0);
}

void Catalog::SetCrawlFingerprint(const std::string& table, const std::string& fingerprint) {
  db_.Prepare("INSERT OR REPLACE INTO catalog_crawl_state VALUES (?, ?, ?)")
      .Bind(1, table)
      .Bind(2, fingerprint)
      .Bind(3, UtcNowIso())
      .Run();
}

int64_t Catalog::CommitSnapshot(int64_t table_id, const std::string& run_id,
                                const std::string& operation,
                                const std::vector<SnapshotFile>& files) {
  auto parent = CurrentSnapshot(table_id);
  uint64_t rows = 0, bytes = 0;
  for (const auto& f : files) {
    rows += f.rows;
    bytes += f.bytes;
  }
  db_.Prepare(
         "INSERT INTO catalog_snapshots (table_id, parent_id, committed_at, run_id, operation,"
         " rows, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .Bind(1, table_id)
      .Bind(2, parent ? parent->id : int64_t{0})
      .Bind(3, UtcNowIso())
      .Bind(4, run_id)
      .Bind(5, operation)
      .Bind(6, static_cast<int64_t>(rows))
      .Bind(7, static_cast<int64_t>(bytes))
      .Run();
  int64_t id = db_.last_insert_rowid();
  auto insert = db_.Prepare(
      "INSERT INTO catalog_snapshot_files (snapshot_id, key, partition, rows, bytes, sha256)"
      " VALUES (?, ?, ?, ?, ?, nullif(?, ''))");
  for (const auto& f : files) {
    insert.Bind(1, id)
        .Bind(2, f.key)
        .Bind(3, f.partition)
        .Bind(4, static_cast<int64_t>(f.rows))
        .Bind(5, static_cast<int64_t>(f.bytes))
        .Bind(6, f.sha256);
    insert.Run();
  }
  return id;
}

void Catalog::RecordChecksum(int64_t snapshot_id, const std::string& key,
                             const std::string& sha256) {
  db_.Prepare(
         "UPDATE catalog_snapshot_files SET sha256 = ? WHERE snapshot_id = ? AND key = ?"
         " AND sha256 IS NULL")
      .Bind(1, sha256)
      .Bind(2, snapshot_id)
      .Bind(3, key)
      .Run();
}

int64_t Catalog::RecordVerification(const Verification& v) {
  db_.Prepare(
         "INSERT INTO catalog_verifications (started_at, finished_at, scope, files_checked,"
         " files_failed, files_unknown, failures) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .Bind(1, v.started_at)
      .Bind(2, v.finished_at)
      .Bind(3, v.scope)
      .Bind(4, static_cast<int64_t>(v.files_checked))
      .Bind(5, static_cast<int64_t>(v.files_failed))
      .Bind(6, static_cast<int64_t>(v.files_unknown))
      .Bind(7, v.failures)
      .Run();
  return db_.last_insert_rowid();
}

std::optional<Verification> Catalog::LastVerification() {
  auto row = db_.Prepare(
      "SELECT id, started_at, finished_at, scope, files_checked, files_failed, files_unknown,"
      " failures FROM catalog_verifications ORDER BY id DESC LIMIT 1");
  if (!row.Step()) return std::nullopt;
  return Verification{row.Int64(0),
                      row.Text(1),
                      row.Text(2),
                      row.Text(3),
                      static_cast<uint64_t>(row.Int64(4)),
                      static_cast<uint64_t>(row.Int64(5)),
                      static_cast<uint64_t>(row.Int64(6)),
                      row.Text(7)};
}

std::vector<View> Catalog::Views() {
  std::vector<View> out;
  auto rows = db_.Prepare(
      "SELECT database, name, sql, file, version, updated_at FROM catalog_views ORDER BY "
      "position");
  while (rows.Step()) {
    out.push_back({rows.Text(0), rows.Text(1), rows.Text(2), rows.Text(3),
                   static_cast<int>(rows.Int64(4)), rows.Text(5)});
  }
  return out;
}

Catalog::Counts Catalog::Count() {
  auto rows = db_.Prepare(
      "SELECT (SELECT count(*) FROM catalog_tables), (SELECT count(*) FROM catalog_snapshots), "
      "(SELECT count(*) FROM catalog_views)");
  rows.Step();
  return {rows.Int64(0), rows.Int64(1), rows.Int64(2)};
}

std::vector<ViewChange> Catalog::ReplaceViews(const std::vector<View>& views) {
  std::map<std::string, View> before;
  for (auto& v : Views()) before.emplace(v.database + "." + v.name, v);
  std::string now = UtcNowIso();
  std::vector<ViewChange> changes;
  db::SqliteTransaction tx(db_);
  db_.Execute("DELETE FROM catalog_views");
  auto insert = db_.Prepare("INSERT INTO catalog_views VALUES (?, ?, ?, ?, ?, ?, ?)");
  int64_t position = 0;
  for (const auto& v : views) {
    std::string full = v.database + "." + v.name;
    auto old = before.find(full);
    int version = 1;
    std::string updated_at = now;
    std::string change = "created";
    if (old != before.end()) {
      bool same = old->second.sql == v.sql;
      version = old->second.version + (same ? 0 : 1);
      updated_at = same ? old->second.updated_at : now;
      change = same ? "unchanged" : "updated";
      before.erase(old);
    }
    insert.Reset();
    insert.Bind(1, v.database)
        .Bind(2, v.name)
        .Bind(3, v.sql)
        .Bind(4, v.file)
        .Bind(5, position++)
        .Bind(6, int64_t{version})
        .Bind(7, updated_at)
        .Run();
    changes.push_back({full, change, version});
  }
  for (const auto& [full, v] : before) changes.push_back({full, "dropped", v.version});
  tx.Commit();
  return changes;
}

Table ResolveTable(Catalog& catalog, const std::string& name, const std::string& where) {
  auto full_name = [](const Table& t) { return t.database + "." + t.name; };
  auto tables = catalog.Tables();
  std::vector<const Table*> matches;
  for (const auto& t : tables) {
    if (full_name(t) == name || (name.find('.') == std::string::npos && t.name == name)) {
      matches.push_back(&t);
    }
  }
  if (matches.size() == 1) return *matches.front();
  std::vector<std::string> full_names;
  for (const auto& t : tables) full_names.push_back(full_name(t));
  std::string all;
  for (const auto& n : full_names) all += (all.empty() ? "" : ", ") + n;
  if (matches.size() > 1) {
    std::string which;
    for (const auto* t : matches) which += (which.empty() ? "" : ", ") + full_name(*t);
    throw Error(ErrorCode::kUsage, "table name '" + name + "' is ambiguous", where,
                "name it with its database: " + which);
  }
  // Suggest over both spellings, so "order_line" finds "order_lines".
  std::vector<std::string> candidates = full_names;
  if (name.find('.') == std::string::npos) {
    for (const auto& t : tables) candidates.push_back(t.name);
  }
  throw Error(ErrorCode::kUsage,
              "no table '" + name + "' in the catalog" + DidYouMean(name, candidates), where,
              tables.empty() ? "the catalog is empty: run shoplake transform or shoplake crawl"
                             : "tables: " + all);
}

}  // namespace shoplake::catalog
