#include "catalog/catalog.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"

namespace shoplake::catalog {
namespace {

// The catalog's schema version (ApplySchema records it in shoplake_schema).
constexpr int kCatalogSchemaVersion = 1;

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
-- {"name", "type", "nullable"}.
CREATE TABLE IF NOT EXISTS catalog_table_versions (
  table_id       INTEGER NOT NULL REFERENCES catalog_tables (id),
  version        INTEGER NOT NULL,
  columns        TEXT NOT NULL,
  partition_keys TEXT NOT NULL,
  created_at     TEXT NOT NULL,
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
CREATE TABLE IF NOT EXISTS catalog_snapshot_files (
  snapshot_id INTEGER NOT NULL REFERENCES catalog_snapshots (id),
  key         TEXT NOT NULL,
  partition   TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, key)
);
)sql";

std::string ColumnsJson(const std::vector<Column>& columns) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : columns) {
    out.push_back({{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}});
  }
  return out.dump();
}

std::vector<Column> ColumnsFrom(const std::string& text) {
  std::vector<Column> out;
  for (const auto& c : nlohmann::json::parse(text)) {
    out.push_back({c.at("name").get<std::string>(), c.at("type").get<std::string>(),
                   c.at("nullable").get<bool>()});
  }
  return out;
}

}  // namespace

Catalog::Catalog(const std::string& path) : db_(path) {
  ApplySchema(db_, "catalog", kCatalogSchemaVersion, kSchema, "the catalog");
}

std::vector<Table> Catalog::Tables() {
  std::vector<Table> out;
  auto rows = db_.Prepare(
      "SELECT t.id, t.database, t.name, t.location, t.format, t.owner, t.version, v.columns,"
      " v.partition_keys FROM catalog_tables t JOIN catalog_table_versions v"
      " ON v.table_id = t.id AND v.version = t.version ORDER BY t.database, t.name");
  while (rows.Step()) {
    Table t;
    t.id = rows.Int64(0);
    t.database = rows.Text(1);
    t.name = rows.Text(2);
    t.location = rows.Text(3);
    t.format = rows.Text(4);
    t.owner = rows.Text(5);
    t.version = static_cast<int>(rows.Int64(6));
    t.columns = ColumnsFrom(rows.Text(7));
    t.partition_keys = ColumnsFrom(rows.Text(8));
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<Table> Catalog::FindTable(const std::string& database, const std::string& name) {
  for (auto& t : Tables()) {
    if (t.database == database && t.name == name) return t;
  }
  return std::nullopt;
}

std::optional<Snapshot> Catalog::CurrentSnapshot(int64_t table_id) {
  auto row = db_.Prepare(
      "SELECT id, parent_id, committed_at, run_id, operation, rows, bytes FROM catalog_snapshots"
      " WHERE table_id = ? ORDER BY id DESC LIMIT 1");
  row.Bind(1, table_id);
  if (!row.Step()) return std::nullopt;
  Snapshot s;
  s.id = row.Int64(0);
  s.table_id = table_id;
  s.parent_id = row.Int64(1);
  s.committed_at = row.Text(2);
  s.run_id = row.Text(3);
  s.operation = row.Text(4);
  s.rows = static_cast<uint64_t>(row.Int64(5));
  s.bytes = static_cast<uint64_t>(row.Int64(6));
  auto files = db_.Prepare(
      "SELECT key, partition, rows, bytes FROM catalog_snapshot_files WHERE snapshot_id = ?"
      " ORDER BY key");
  files.Bind(1, s.id);
  while (files.Step()) {
    s.files.push_back({files.Text(0), files.Text(1), static_cast<uint64_t>(files.Int64(2)),
                       static_cast<uint64_t>(files.Int64(3))});
  }
  return s;
}

Table Catalog::RegisterTable(const Table& table) {
  std::string now = UtcNowIso();
  db_.Prepare("INSERT OR IGNORE INTO catalog_databases VALUES (?, ?)")
      .Bind(1, table.database)
      .Bind(2, now)
      .Run();
  auto existing = FindTable(table.database, table.name);
  if (existing && existing->columns == table.columns &&
      existing->partition_keys == table.partition_keys) {
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
  db_.Prepare("INSERT INTO catalog_table_versions VALUES (?, ?, ?, ?, ?)")
      .Bind(1, stored.id)
      .Bind(2, int64_t{stored.version})
      .Bind(3, ColumnsJson(table.columns))
      .Bind(4, ColumnsJson(table.partition_keys))
      .Bind(5, now)
      .Run();
  return stored;
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
  auto insert = db_.Prepare("INSERT INTO catalog_snapshot_files VALUES (?, ?, ?, ?, ?)");
  for (const auto& f : files) {
    insert.Bind(1, id)
        .Bind(2, f.key)
        .Bind(3, f.partition)
        .Bind(4, static_cast<int64_t>(f.rows))
        .Bind(5, static_cast<int64_t>(f.bytes));
    insert.Run();
  }
  return id;
}

}  // namespace shoplake::catalog
