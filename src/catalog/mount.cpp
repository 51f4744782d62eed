#include "catalog/mount.h"

#include "db/duckdb.h"

namespace shoplake::catalog {
namespace {
using db::QuoteIdentifier;
using db::QuoteLiteral;

// {'name': 'TYPE', ...}: the struct DuckDB's readers take for types and hive_types.
std::string TypeStruct(const std::vector<Column>& columns) {
  std::string out;
  for (const auto& c : columns) {
    out += (out.empty() ? "{" : ", ") + QuoteLiteral(c.name) + ": " + QuoteLiteral(c.type);
  }
  return out + "}";
}

}  // namespace

std::string SnapshotScanSql(lake::LocalCache& cache, const Table& table, const Snapshot& snapshot) {
  if (snapshot.files.empty()) {
    // No files: the table's columns, typed, and no rows (a reader would find no schema).
    std::string columns;
    for (const auto* list : {&table.columns, &table.partition_keys}) {
      for (const auto& c : *list) {
        columns += (columns.empty() ? "" : ", ") + std::string("NULL::") + c.type + " AS " +
                   QuoteIdentifier(c.name);
      }
    }
    return "(SELECT " + (columns.empty() ? std::string("NULL AS \"_\"") : columns) +
           " WHERE false)";
  }
  std::vector<std::string> keys;
  for (const auto& f : snapshot.files) keys.push_back(f.key);
  std::string files;
  for (const auto& path : cache.ReadablePaths(keys)) {
    files += (files.empty() ? "" : ", ") + QuoteLiteral(path);
  }
  // Partition values come from the key=value folders, typed as the catalog says; files of
  // older table versions may lack a newer column, hence union_by_name.
  std::string partitioning =
      table.partition_keys.empty()
          ? "hive_partitioning = false"
          : "hive_partitioning = true, hive_types = " + TypeStruct(table.partition_keys);
  if (table.format == "csv") {
    // Read as text and cast to the catalog's types: DuckDB's `types` option refuses a file
    // that lacks one of the named columns, which union_by_name must allow.
    std::string columns;
    for (const auto* list : {&table.columns, &table.partition_keys}) {
      for (const auto& c : *list) {
        // TRY_CAST: raw text that is not of the column's type reads as NULL, as Hive's
        // CSV SerDe reads it; the transform's rejects are where bad values are accounted for.
        columns += (columns.empty() ? "" : ", ") + std::string("TRY_CAST(") +
                   QuoteIdentifier(c.name) + " AS " + c.type + ") AS " + QuoteIdentifier(c.name);
      }
    }
    return "(SELECT " + columns + " FROM read_csv([" + files +
           "], header = true, union_by_name = true, all_varchar = true, ignore_errors = true,"
           " hive_partitioning = " +
           (table.partition_keys.empty() ? "false" : "true") + "))";
  }
  return "read_parquet([" + files + "], union_by_name = true, " + partitioning + ")";
}

}  // namespace shoplake::catalog
