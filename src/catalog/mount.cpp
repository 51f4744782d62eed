// SnapshotScanSql: a snapshot's files as a DuckDB table expression; a raw (CSV) table's files
// read as text, each file that is not UTF-8 through a copy whose undecodable bytes are escaped.
#include "catalog/mount.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "db/duckdb.h"
#include "lake/local_store.h"

namespace shoplake::catalog {
namespace {
namespace fs = std::filesystem;
using db::QuoteIdentifier;
using db::QuoteLiteral;

bool FileIsUtf8(const fs::path& path) {
  bool utf8 = true;
  ReadLinePieces(path, [&](std::string_view piece) { return utf8 = IsUtf8(piece); });
  return utf8;
}

// Writes `from` to `to` with its undecodable bytes escaped: through a staging file, renamed
// into place once whole, so a reader (another process mounting the table) never sees half.
void WriteDecodableCopy(const lake::LocalCache& cache, const fs::path& from, const fs::path& to) {
  CreateFolders(cache.staging_folder());
  CreateFolders(to.parent_path());
  fs::path staged = cache.staging_folder() / lake::StagingName();
  try {
    UniqueFd file(::open(staged.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file.valid()) throw SystemError("cannot create", staged, errno);
    ReadLinePieces(from, [&](std::string_view piece) {
      WriteAllTo(file.get(), EscapeUndecodable(piece), staged);
      return true;
    });
    if (::rename(staged.c_str(), to.c_str()) != 0) throw SystemError("cannot publish", to, errno);
  } catch (...) {
    ::unlink(staged.c_str());
    throw;
  }
}

// The file DuckDB reads for the raw file `key` at `path`: `path` itself when its bytes are
// UTF-8 (DuckDB's CSV reader takes nothing else: with ignore_errors it drops the record, without
// it the query fails), else a copy in RawTextFolder whose undecodable bytes read \xNN. The
// copy's name carries the file's size and modification time, so a file changed under the same
// key gets a new copy rather than a stale one.
std::string DecodablePath(const lake::LocalCache& cache, const std::string& key,
                          const std::string& path) {
  if (FileIsUtf8(path)) return path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw SystemError("cannot read", path, errno);
  fs::path name = fs::path(key).filename();
  fs::path copy = RawTextFolder(cache) / fs::path(key).parent_path() /
                  fmt::format("{}-{}-{}", st.st_size, lake::ModifiedUnixMs(st), name.string());
  std::error_code ec;
  if (!fs::exists(copy, ec)) {
    spdlog::debug("{}: not UTF-8: reading a copy with its undecodable bytes escaped", key);
    WriteDecodableCopy(cache, path, copy);
  }
  return copy.string();
}

// {'name': 'TYPE', ...}: the struct DuckDB's readers take for types and hive_types.
std::string TypeStruct(const std::vector<Column>& columns) {
  std::string out;
  for (const auto& c : columns) {
    out += (out.empty() ? "{" : ", ") + QuoteLiteral(c.name) + ": " + QuoteLiteral(c.type);
  }
  return out + "}";
}

}  // namespace

std::filesystem::path RawTextFolder(const lake::LocalCache& cache) {
  return cache.folder() / "text";
}

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
  std::vector<std::string> paths = cache.ReadablePaths(keys);
  std::string files;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string path = table.format == "csv" ? DecodablePath(cache, keys[i], paths[i]) : paths[i];
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
    // Every record a row, whatever the query reads: no ignore_errors (it skips a record only
    // when a column the query reads fails, so counts changed with the columns named);
    // null_padding gives a short record NULLs, strict_mode = false takes an unclosed quote to
    // the next quote (a record over several lines, as the transform counts it) and a long
    // record's first columns. DuckDB reads null_padding with quoted newlines in one thread
    // only (parallel = false; it refuses the file otherwise). A record DuckDB still cannot
    // read fails the query, naming it.
    return "(SELECT " + columns + " FROM read_csv([" + files +
           "], header = true, union_by_name = true, all_varchar = true, null_padding = true,"
           " parallel = false, strict_mode = false, hive_partitioning = " +
           (table.partition_keys.empty() ? "false" : "true") + "))";
  }
  return "read_parquet([" + files + "], union_by_name = true, " + partitioning + ")";
}

}  // namespace shoplake::catalog
