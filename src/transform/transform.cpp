// The transform (transform.h): Transformer::Run at the end reads as its steps, each a function
// above it: the sweep of a crashed run's leftovers, input selection, headers, references, the
// parse (parse.h), the row plan, counts and rejects, the Parquet write and the commit.
#include "transform/transform.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "catalog/columns.h"
#include "common/clock.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "db/duckdb.h"
#include "ingest/ledger.h"
#include "lake/local_cache.h"
#include "transform/encoding.h"
#include "transform/parse.h"
#include "transform/raw_lines.h"
#include "transform/records.h"
#include "transform/rules.h"

namespace shoplake::transform {
namespace {

namespace fs = std::filesystem;
using db::QuoteIdentifier;
using db::QuoteLiteral;

// The object name of a raw key: what follows raw/<source>/ingest_date=YYYY-MM-DD/.
std::string ObjectName(const std::string& raw_key) {
  size_t at = raw_key.find("/ingest_date=");
  if (at == std::string::npos) return raw_key;
  size_t slash = raw_key.find('/', at + 1);
  return slash == std::string::npos ? raw_key : raw_key.substr(slash + 1);
}

bool MatchesPattern(const std::string& pattern, const std::string& name) {
  if (pattern.empty()) return true;
  // Versioned copies ("orders/2026-01-02~1795....csv") match their object's pattern.
  return fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

// A partition on a column's own value under the column's name (snapshot_date=2026-01-01):
// the column itself is the key, kept in the folder names rather than in the files, as Hive
// tables do.
bool IsColumnPartition(const PartitionSpec& p) {
  return p.part == PartitionSpec::Part::kValue && p.name == p.from;
}

// True when column `c` is itself a partition key: its values live in the folder names, not
// in the files.
bool IsPartitionKey(const Mapping& mapping, const ColumnSpec& c) {
  return std::any_of(
      mapping.partition_by.begin(), mapping.partition_by.end(),
      [&](const PartitionSpec& p) { return IsColumnPartition(p) && p.from == c.name; });
}

std::string PartitionExpr(const PartitionSpec& p) {
  std::string from = QuoteIdentifier(p.from);
  switch (p.part) {
    case PartitionSpec::Part::kYear:
      return "year(" + from + ")";
    case PartitionSpec::Part::kMonth:
      return "month(" + from + ")";
    case PartitionSpec::Part::kDay:
      return "day(" + from + ")";
    case PartitionSpec::Part::kValue:
      break;
  }
  return from;
}

// "year=2026/month=3", as DuckDB names the folders it writes.
std::string PartitionPathExpr(const Mapping& mapping) {
  if (mapping.partition_by.empty()) return "''";
  std::vector<std::string> parts;
  for (const auto& p : mapping.partition_by) {
    parts.push_back(QuoteLiteral(p.name + "=") + " || CAST(" + QuoteIdentifier(p.name) +
                    " AS VARCHAR)");
  }
  return Join(parts, " || '/' || ");
}

// The type of a partition key: what year(), month() and day() give, or the column's own.
std::string PartitionType(const Mapping& mapping, const PartitionSpec& p) {
  if (p.part != PartitionSpec::Part::kValue) return "BIGINT";
  const ColumnSpec* from = mapping.Column(p.from);
  return from ? SqlType(*from) : "VARCHAR";
}

// Partitions up to this many are written one at a time (see the write step).
constexpr size_t kPartitionsWrittenOneAtATime = 8;

// A partition value that goes into a folder name as it is, as DuckDB's PARTITION_BY would
// write it (no character it escapes).
bool IsPlainFolderValue(const std::string& value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
}

// Removes the folder `path` (once set) and everything in it when it goes out of scope, however
// the scope ends.
struct RemovedOnExit {
  fs::path path;
  ~RemovedOnExit() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The first line of a raw file (its header) as UTF-8 text, line break included, read through
// the store: a file in another encoding is decoded (transform/encoding.h) from its first MB.
std::string FirstLine(lake::Store& lake, const std::string& key, const std::string& encoding) {
  constexpr size_t kLongestHeader = 1 << 20;
  auto reader = lake.Open(key, 0, kLongestHeader);
  std::string head(kLongestHeader, '\0');
  size_t n = 0, got;
  while (n < head.size() && (got = reader->Read(head.data() + n, head.size() - n)) > 0) n += got;
  head.resize(n);
  if (!IsUtf8Encoding(encoding)) head = DecodeText(head, encoding);
  size_t at = head.find('\n');
  return at == std::string::npos ? head : head.substr(0, at + 1);
}

// The names in the header of raw file `key` as DuckDB's reader decodes them with the mapping's
// dialect (a BOM dropped; another encoding than UTF-8 decoded): its first line alone is copied
// to `scratch` for the reader to sniff, so that a bad record further down (or a huge one)
// cannot get in the way. nullopt for an empty file, which has no header: a quiet day.
std::optional<std::vector<std::string>> HeaderNames(db::Connection& conn, lake::Store& lake,
                                                    const std::string& key, const CsvDialect& csv,
                                                    const fs::path& scratch) {
  std::string head;
  try {
    head = FirstLine(lake, key, csv.encoding);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(ErrorCode::kNotFound, "the ingest ledger lists this raw file but the lake has none",
                key, "restore it, or set it aside: shoplake ledger quarantine " + key);
  }
  if (head.empty()) return std::nullopt;
  WriteFileAtomically(scratch, head);
  std::vector<std::string> names;
  try {
    for (const auto& r :
         conn.Query("SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv(" +
                    QuoteLiteral(scratch.string()) + ", header = true, all_varchar = true" +
                    ", delim = " + QuoteLiteral(std::string(1, csv.delimiter)) +
                    ", quote = " + QuoteLiteral(std::string(1, csv.quote)) + ", escape = " +
                    QuoteLiteral(std::string(1, csv.escape)) + ", encoding = 'utf-8'))")
             .Rows()) {
      names.push_back(r[0].value_or(""));
    }
  } catch (const Error& e) {
    throw Error(ErrorCode::kData, std::string("the header cannot be read: ") + e.what(), key,
                "check the file's first line and the mapping's csv dialect and encoding");
  }
  return names;
}

// Where each of the mapping's sources stands in `header` (matched as csv.header_match says),
// as the names the reader gives the header's columns (InputFile::columns). Throws Error(kData)
// naming `file` when a source is missing or two header columns match one source.
std::vector<std::string> ReadNames(const Mapping& mapping, const InputFile& file,
                                   const std::vector<std::string>& header) {
  HeaderMatch match = mapping.csv.header_match;
  std::vector<std::string> names;
  for (size_t i = 0; i < header.size(); ++i) names.push_back(UnmappedColumn(i));
  auto fix = [&] {
    return "fix the file, or the mapping (" + mapping.file.string() +
           "): its source, or csv.header_match (now " + HeaderMatchName(match) + ")";
  };
  for (const ColumnSpec* read : ReadColumns(mapping)) {
    const ColumnSpec& c = *read;
    std::optional<size_t> at;
    for (size_t i = 0; i < header.size(); ++i) {
      if (HeaderKey(header[i], match) != HeaderKey(c.source, match)) continue;
      if (at) {
        throw Error(ErrorCode::kData,
                    fmt::format("the header's columns '{}' and '{}' both match the source '{}' "
                                "of column '{}' (csv.header_match: {})",
                                header[*at], header[i], c.source, c.name, HeaderMatchName(match)),
                    file.raw_key, fix());
      }
      at = i;
    }
    if (!at) {
      std::string spelled;
      for (const auto& h : header) {
        if (HeaderKey(h, HeaderMatch::kNormalized) == HeaderKey(c.source, HeaderMatch::kNormalized))
          spelled = h;
      }
      // "..., did you mean 'x'? The header's columns are: ..." or "...: the header spells
      // it 'x', ...; the header's columns are: ..."
      std::string detail =
          spelled.empty() ? DidYouMean(c.source, header)
                          : fmt::format(
                                ": the header spells it '{}', which csv.header_match: {} does not "
                                "take for '{}'",
                                spelled, HeaderMatchName(match), c.source);
      detail += !detail.empty() && detail.back() == '?' ? " The" : "; the";
      throw Error(ErrorCode::kData,
                  fmt::format("the header has no column '{}' (the source of column '{}'){} "
                              "header's columns are: {}",
                              c.source, c.name, detail, Join(header, ", ")),
                  file.raw_key, fix());
    }
    names[*at] = c.source;
  }
  return names;
}

// The header's columns that the run's first file did not have (by csv.header_match), and that
// the mapping does not read: an export that grew.
std::vector<std::string> NewColumnsOf(const Mapping& mapping, const std::vector<std::string>& first,
                                      const std::vector<std::string>& header,
                                      const std::vector<std::string>& names) {
  std::set<std::string> known;
  for (const auto& h : first) known.insert(HeaderKey(h, mapping.csv.header_match));
  std::vector<std::string> added;
  for (size_t i = 0; i < header.size(); ++i) {
    if (names[i] == UnmappedColumn(i) &&
        !known.count(HeaderKey(header[i], mapping.csv.header_match)))
      added.push_back(header[i]);
  }
  return added;
}

// Reads every file's header and sets where the mapping's sources stand in it (InputFile::
// columns): by name, in any order, the columns the mapping does not name left unread (a file
// without a header, `csv.header: false`, takes the sources by position; an empty file has
// none). A column the run's first file lacks fails the run naming it (on_new_columns: fail) or
// is noted once in `notes` (ignore). Throws Error(kData) naming the first file that does not
// fit.
void MatchHeaders(lake::Store& lake, std::vector<InputFile>& files, const Mapping& mapping,
                  const std::string& run_id, std::vector<std::string>& notes) {
  if (!mapping.csv.header || files.empty()) return;
  // A scratch folder of the run's own outside the lake: a dry run checks headers too.
  fs::path scratch = fs::temp_directory_path() / ("shoplake-headers-" + run_id);
  CreateFolders(scratch);
  RemovedOnExit remove_scratch{scratch};
  db::Database db(":memory:", {}, "transform");
  db::Connection conn(db);
  std::optional<std::vector<std::string>> first;
  std::set<std::string> noted;
  for (size_t i = 0; i < files.size(); ++i) {
    InputFile& file = files[i];
    auto header = HeaderNames(conn, lake, file.raw_key, mapping.csv,
                              scratch / ("header-" + std::to_string(i) + ".csv"));
    if (!header) continue;
    file.columns = ReadNames(mapping, file, *header);
    if (!first) first = *header;
    std::vector<std::string> added = NewColumnsOf(mapping, *first, *header, file.columns);
    if (added.empty()) continue;
    if (mapping.on_new_columns == NewColumns::kFail) {
      throw Error(
          ErrorCode::kData,
          fmt::format("the header has columns that earlier files do not: {}", Join(added, ", ")),
          file.raw_key,
          "map them in " + mapping.file.string() +
              " (a column with that source), or set 'on_new_columns: ignore' there to "
              "leave them unread");
    }
    std::vector<std::string> fresh;
    for (const auto& a : added) {
      if (noted.insert(a).second) fresh.push_back(a);
    }
    if (fresh.empty()) continue;
    notes.push_back(fmt::format("{}: new columns left unread (on_new_columns: ignore): {}",
                                file.raw_key, Join(fresh, ", ")));
    spdlog::warn("transform {}: {}", mapping.dataset, notes.back());
  }
}

// What a crashed run left, removed (the caller holds the table's lock, so no live run owns
// any of it): its work folder, the files under the table's folder that the current snapshot
// does not list, and the rejects of runs that recorded no outcome (killed before they
// committed or failed: the run that does the work refuses those rows again, and rejects/
// would hold them twice).
void RemoveLeftovers(lake::Store& lake, TransformRecords& records, const std::string& work_parent,
                     const std::string& location, const std::string& table,
                     const std::optional<catalog::Snapshot>& current) {
  std::set<std::string> listed;
  if (current) {
    for (const auto& f : current->files) listed.insert(f.key);
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work_parent, ec)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(entry.path(), ec);
  }
  for (const auto& object : lake.List(location)) {
    if (!listed.count(object.key)) {
      spdlog::info("removing {} (left by an interrupted run)", object.key);
      lake.Delete(object.key);
    }
  }
  std::set<std::string> recorded = records.RecordedRuns();
  const std::string runs_prefix = "rejects/" + table + "/run_id=";
  for (const auto& object : lake.List("rejects/" + table + "/")) {
    if (object.key.rfind(runs_prefix, 0) != 0) continue;
    std::string run = object.key.substr(runs_prefix.size());
    if (recorded.count(run.substr(0, run.find('/')))) continue;
    spdlog::info("removing {} (rejects of an interrupted run)", object.key);
    lake.Delete(object.key);
  }
}

// The raw files a run reads, by raw key with their ingest order (the latest wins): every
// version the ledger holds for the dataset's source whose name matches its pattern, less
// those the bookmark has seen (none with `full_refresh`) and those quarantined in the ledger,
// which go to `quarantined` with a warning each.
std::map<std::string, int64_t> ChooseFiles(db::SqliteDatabase& db, TransformRecords& records,
                                           const DatasetSpec& dataset, bool full_refresh,
                                           std::vector<std::string>& quarantined) {
  ingest::IngestLedger ledger(db.path());
  std::map<std::string, int64_t> priority;
  int64_t n = 0;
  std::string unmatched;  // an object of the source the pattern missed, to show
  for (const auto& e : ledger.Entries(dataset.source)) {
    ++n;
    if (MatchesPattern(dataset.pattern, ObjectName(e.raw_key))) {
      priority[e.raw_key] = n;
    } else if (unmatched.empty()) {
      unmatched = ObjectName(e.raw_key);
    }
  }
  if (priority.empty() && n > 0) {
    // Objects arrived but none is this dataset's: most likely a pattern that misses them
    // (a source prefix in the objects' names), which would otherwise pass as "nothing new"
    // and only surface later as a missing table.
    spdlog::warn(
        "transform {}: none of the {} objects ingested from source {} matches the pattern "
        "'{}' (one is '{}'); check datasets.{}.pattern in shoplake.yaml",
        dataset.name, n, dataset.source, dataset.pattern, unmatched, dataset.name);
  }
  if (!full_refresh) {
    for (const auto& key : records.Bookmarked(dataset.name)) priority.erase(key);
  }
  for (const auto& q : ledger.Quarantined()) {
    if (!priority.erase(q.raw_key)) continue;
    spdlog::warn(
        "transform {}: skipping {}: quarantined at {} ({}); 'shoplake ledger release' "
        "lifts it",
        dataset.name, q.raw_key, q.quarantined_at, q.reason);
    quarantined.push_back(q.raw_key);
  }
  return priority;
}

uint64_t ToU64(const std::optional<std::string>& text) { return text ? std::stoull(*text) : 0; }

// CPU time the process has used so far, every thread's, in seconds.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Writes the Parquet files of `final_rows` (the rows of the partitions this run rewrites or
// adds) under `data_dir`, named part-<run id>-<n>.parquet, in the table's partition folders.
void WriteNewFiles(db::Connection& conn, const Mapping& mapping, const std::string& final_rows,
                   const std::vector<std::string>& data_columns, const std::string& data_dir,
                   const std::string& run_id) {
  std::string file_name = "part-" + run_id + "-0.parquet";
  if (mapping.partition_by.empty()) {
    fs::create_directories(data_dir);
    conn.Execute("COPY (SELECT " + Join(data_columns, ", ") + " FROM (" + final_rows + ")) TO " +
                 QuoteLiteral(data_dir + "/" + file_name) + " (FORMAT parquet, COMPRESSION zstd)");
  } else {
    // A few partitions are written one at a time, each as one file by a COPY that keeps the
    // rows' order (DuckDB encodes its row groups in parallel, and skips the row groups of
    // other partitions by their statistics): cheaper than PARTITION_BY behind the anti-join
    // of the rows left out. Many partitions, or a value its folder name would have to
    // escape, go through PARTITION_BY.
    std::vector<std::string> keys, key_text, file_columns;
    for (const auto& p : mapping.partition_by) {
      keys.push_back(QuoteIdentifier(p.name));
      key_text.push_back("CAST(" + QuoteIdentifier(p.name) + " AS VARCHAR)");
    }
    for (const auto& c : mapping.columns) {
      if (!IsPartitionKey(mapping, c)) file_columns.push_back(QuoteIdentifier(c.name));
    }
    // The values are made text after DISTINCT: a cast on every row costs more than the scan.
    auto partitions = conn.Query("SELECT " + Join(key_text, ", ") + " FROM (SELECT DISTINCT " +
                                 Join(keys, ", ") + " FROM (" + final_rows + "))")
                          .Rows();
    bool one_at_a_time = partitions.size() <= kPartitionsWrittenOneAtATime;
    for (const auto& values : partitions) {
      for (const auto& v : values) one_at_a_time = one_at_a_time && v && IsPlainFolderValue(*v);
    }
    if (one_at_a_time) {
      for (const auto& values : partitions) {
        std::vector<std::string> folders, where;
        for (size_t i = 0; i < mapping.partition_by.size(); ++i) {
          const PartitionSpec& p = mapping.partition_by[i];
          folders.push_back(p.name + "=" + *values[i]);
          where.push_back(keys[i] + " = CAST(" + QuoteLiteral(*values[i]) + " AS " +
                          PartitionType(mapping, p) + ")");
        }
        std::string folder = data_dir + "/" + Join(folders, "/");
        fs::create_directories(folder);
        conn.Execute("COPY (SELECT " + Join(file_columns, ", ") + " FROM (" + final_rows +
                     ") WHERE " + Join(where, " AND ") + ") TO " +
                     QuoteLiteral(folder + "/" + file_name) +
                     " (FORMAT parquet, COMPRESSION zstd)");
      }
    } else {
      std::string select = "SELECT " + Join(data_columns, ", ");
      for (const auto& p : mapping.partition_by) {
        if (!IsColumnPartition(p)) select += ", " + QuoteIdentifier(p.name);
      }
      conn.Execute("COPY (" + select + " FROM (" + final_rows + ")) TO " + QuoteLiteral(data_dir) +
                   " (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (" + Join(keys, ", ") +
                   "), FILENAME_PATTERN " + QuoteLiteral("part-" + run_id + "-{i}") + ")");
    }
  }
}

// One run as its steps share it: what it was asked, where it works, and what the steps have
// found so far.
struct RunState {
  RunState(lake::Store& lake, const DatasetSpec& dataset, const Mapping& mapping,
           const TransformOptions& options)
      : dataset(dataset),
        mapping(mapping),
        options(options),
        location(MappedTable(mapping).location),
        cache(lake),
        work_parent(cache.WorkFolder(location.substr(0, location.size() - 1))) {
    result.run_id = options.run_id.empty() ? NewRunId() : options.run_id;
    result.dataset = dataset.name;
    result.table = mapping.database + "." + mapping.table;
    work = work_parent + "/.tmp-" + result.run_id;
  }

  // Where `keys` are read from: fetched into the cache, or for a dry run (which fetches
  // nothing) where they would be.
  std::vector<std::string> LocalPaths(const std::vector<std::string>& keys) {
    if (!options.dry_run) return cache.ReadablePaths(keys);
    std::vector<std::string> paths;
    for (const auto& key : keys) paths.push_back(cache.PathOf(key));
    return paths;
  }

  // The result, with the time the run took.
  TransformResult Finish() {
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(result);
  }

  const DatasetSpec& dataset;
  const Mapping& mapping;
  const TransformOptions& options;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  const std::string started_at = UtcNowIso();
  TransformResult result;
  const std::string location;  // processed/<database>/<table>/
  // DuckDB reads and writes local files: the lake's own for a local lake, copies in the cache
  // for a remote one (lake/local_cache.h).
  lake::LocalCache cache;
  // Where the run's work folder goes: inside the table's folder for a local lake (so its files
  // are renamed into place), in the cache for a remote one.
  const std::string work_parent;
  std::string work;                          // the run's work folder, in work_parent
  std::optional<catalog::Snapshot> current;  // the table's snapshot before the run
  std::vector<InputFile> files;              // what the run reads, in ingest order
};

// The table's current snapshot; none before its first run.
std::optional<catalog::Snapshot> CurrentSnapshot(catalog::Catalog& catalog,
                                                 const Mapping& mapping) {
  auto table = catalog.FindTable(mapping.database, mapping.table);
  if (!table) return std::nullopt;
  return catalog.CurrentSnapshot(table->id);
}

// Input selection: the raw files the run reads (ChooseFiles) with their local paths, in ingest
// order.
std::vector<InputFile> SelectInputs(db::SqliteDatabase& db, TransformRecords& records,
                                    RunState& run) {
  auto priority =
      ChooseFiles(db, records, run.dataset, run.options.full_refresh, run.result.quarantined);
  std::vector<std::string> keys;
  for (const auto& [key, p] : priority) keys.push_back(key);
  std::vector<std::string> paths = run.LocalPaths(keys);
  std::vector<InputFile> files;
  for (size_t i = 0; i < keys.size(); ++i)
    files.push_back({keys[i], paths[i], priority[keys[i]], "", {}, {}});
  std::sort(files.begin(), files.end(),
            [](const InputFile& a, const InputFile& b) { return a.priority < b.priority; });
  return files;
}

// A run with no file to read: the table as it is.
TransformResult NothingNew(RunState& run) {
  run.result.snapshot_id = run.current ? run.current->id : 0;
  run.result.table_rows = run.current ? run.current->rows : 0;
  run.result.plan.push_back("nothing new for " + run.dataset.name +
                            " (every raw file is bookmarked)");
  return run.Finish();
}

// The references of the mapping's columns: per column with `references`, a temp table of the
// keys the referenced table's current snapshot holds.
struct References {
  std::map<std::string, std::string> tables;  // column -> its temp table
  std::vector<std::string> sql;               // the statements that make them, in order
};

// Plans the references step. Throws Error(kUsage) when a referenced table has no data yet.
References PlanReferences(catalog::Catalog& catalog, RunState& run) {
  const Mapping& mapping = run.mapping;
  References references;
  for (const auto& c : mapping.columns) {
    if (!c.references) continue;
    // A dataset's mapping names its table; the convention here: the referenced dataset's
    // table lives in the same database under the dataset's name.
    auto ref_table = catalog.FindTable(mapping.database, c.references->dataset);
    auto ref_snapshot = ref_table ? catalog.CurrentSnapshot(ref_table->id) : std::nullopt;
    if (!ref_snapshot || ref_snapshot->files.empty()) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("column '{}' references {}.{}, which has no data yet", c.name,
                              c.references->dataset, c.references->column),
                  mapping.file.string() + ":" + std::to_string(c.line),
                  "run 'shoplake transform " + c.references->dataset + "' first");
    }
    std::vector<std::string> keys, paths;
    for (const auto& f : ref_snapshot->files) keys.push_back(f.key);
    for (const auto& path : run.LocalPaths(keys)) paths.push_back(QuoteLiteral(path));
    std::string name = "ref_" + std::to_string(references.sql.size() + 1);
    references.tables[c.name] = name;
    references.sql.push_back("CREATE TEMP TABLE " + name + " AS SELECT DISTINCT " +
                             QuoteIdentifier(c.references->column) + " AS k FROM read_parquet([" +
                             Join(paths, ", ") + "], hive_partitioning = true)");
  }
  return references;
}

// A dry run's result: the files it would read and the SQL it would run, in order.
TransformResult DryRunPlan(RunState& run, const References& references, const Parse& parse) {
  for (const auto& f : run.files) {
    if (!IsUtf8Encoding(run.mapping.csv.encoding)) {
      run.result.plan.push_back("decode " + f.raw_key + " from " + run.mapping.csv.encoding +
                                " to UTF-8 (iconv), into the work folder");
    }
    run.result.plan.push_back("read " + f.raw_key);
  }
  std::vector<std::string> plan = references.sql;
  for (const auto& s : parse.Plan()) plan.push_back(s);
  for (const auto& s : plan) run.result.plan.push_back(s + ";");
  run.result.plan.push_back(
      "then: the lines of the refused rows, read back from the raw files; "
      "drop duplicates on (" +
      Join(run.mapping.primary_key, ", ") + "), write zstd Parquet under " + run.location +
      ", commit a snapshot");
  return run.Finish();
}

// The run's DuckDB session: an in-memory database, the work folder, the references' tables
// and `files`, the run's files by their place in the list the parse reads (parsed rows'
// __file_index). It also times the run's steps for -v.
class WorkSession {
 public:
  WorkSession(const RunState& run, const References& references)
      : dataset_(run.dataset.name), conn_(db_) {
    threads_ = run.options.threads > 0
                   ? run.options.threads
                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    conn_.Execute("SET threads = " + std::to_string(threads_));
    // The work folder holds the parsed rows (DuckDB spills to its own folder, below the
    // project's duckdb.temp_directory: db/duckdb.h); it is made now so that DuckDB never
    // has to create its parents, and removed however the run ends (a crashed run's is removed
    // by the next run).
    fs::create_directories(run.work);
    remove_work_.path = run.work;
    for (const auto& s : references.sql) conn_.Execute(s);
    conn_.Execute("CREATE TEMP TABLE files (__file_index BIGINT, priority BIGINT)");
    auto insert = conn_.Prepare("INSERT INTO files VALUES ($1, $2)");
    for (size_t i = 0; i < run.files.size(); ++i) {
      insert.Execute({static_cast<int64_t>(i), run.files[i].priority});
    }
    step_start_ = std::chrono::steady_clock::now();
    step_cpu_ = ProcessCpuSeconds();
  }

  db::Connection& conn() { return conn_; }
  int threads() const { return threads_; }

  // Logs (with -v) the time of the step `name` that just ended, and the CPU time the process
  // spent in it (every thread's): where a slow run spends it.
  void Step(const char* name) {
    auto now = std::chrono::steady_clock::now();
    double cpu = ProcessCpuSeconds();
    spdlog::debug("transform {}: {} in {:.2f}s ({:.2f}s CPU)", dataset_, name,
                  std::chrono::duration<double>(now - step_start_).count(), cpu - step_cpu_);
    step_start_ = now;
    step_cpu_ = cpu;
  }

 private:
  std::string dataset_;
  db::Database db_{":memory:", {}, "transform"};
  db::Connection conn_;
  int threads_ = 1;
  RemovedOnExit remove_work_;  // declared after DuckDB: removed before it closes
  std::chrono::steady_clock::time_point step_start_;
  double step_cpu_ = 0;
};

// The row plan: the rows to write, never materialized.
struct RowPlan {
  std::vector<std::string> data_columns;  // the mapping's columns, quoted
  bool dedup = false;                     // the mapping has a primary key
  // The parsed rows no rule refused, less the losers among duplicate keys, and the old rows
  // of the partitions the new rows touch less the keys that come again.
  std::string final_rows;
  std::string kept;  // the new rows written, as a predicate on `parsed` (KeptRows)
  std::vector<catalog::SnapshotFile> kept_files;  // current files the new snapshot keeps
  std::vector<catalog::SnapshotFile> replaced;    // current files whose partitions it rewrites
};

// The rows of `parsed` the run keeps, as a predicate on it: the rows no rule refused less the
// losers among duplicate keys on `pk` (the latest ingested file wins; within a file, the first
// line). Leaves the temp tables losers (with `pk`) and dropped on `conn`.
std::string KeptRows(db::Connection& conn, const std::vector<std::string>& pk) {
  bool dedup = !pk.empty();
  if (dedup) {
    // Keys found more than once (a hash aggregate over the keys alone); only their rows are
    // ranked, among the rows nothing refused.
    conn.Execute("CREATE TEMP TABLE dup_keys AS SELECT " + Join(pk, ", ") +
                 " FROM parsed WHERE __ok GROUP BY ALL HAVING count(*) > 1");
    conn.Execute(
        "CREATE TEMP TABLE losers AS SELECT __rid, __file_index FROM (SELECT p.__rid,"
        " p.__file_index,"
        " row_number() OVER (PARTITION BY " +
        Join(pk, ", ") +
        " ORDER BY f.priority DESC, p.__rid) AS n"
        " FROM parsed p JOIN files f USING (__file_index) JOIN dup_keys USING (" +
        Join(pk, ", ") +
        ") WHERE p.__ok AND p.__rid NOT IN (SELECT __rid FROM refused))"
        " WHERE n > 1");
  }
  // Rows left out: refused, or losers. One set, so that the rows to write are found by one
  // anti-join (or none, for a clean file).
  conn.Execute(std::string("CREATE TEMP TABLE dropped AS SELECT __rid FROM refused") +
               (dedup ? " UNION ALL SELECT __rid FROM losers" : ""));
  bool any_dropped = ToU64(conn.QueryScalar("SELECT count(*) FROM dropped")) > 0;
  return any_dropped ? "__ok AND __rid NOT IN (SELECT __rid FROM dropped)" : "__ok";
}

// Which of the current snapshot's files the run rewrites (into plan.replaced) and which it
// keeps: the partitions of `new_rows` (the rows `kept` keeps), and the partitions of old rows
// whose keys come again (a key may move between partitions). Only a merge into the current
// snapshot asks; a full refresh keeps nothing.
void SortCurrentFiles(db::Connection& conn, RunState& run, const std::string& new_rows,
                      const std::string& kept, const std::vector<std::string>& pk, RowPlan& plan) {
  const auto& current = run.current;
  if (!current || run.options.full_refresh) return;
  if (!plan.dedup || current->files.empty()) {
    plan.kept_files = current->files;
    return;
  }
  std::set<std::string> touched;
  for (const auto& r :
       conn.Query("SELECT DISTINCT " + PartitionPathExpr(run.mapping) + " FROM (" + new_rows + ")")
           .Rows()) {
    touched.insert(r[0].value_or(""));
  }
  std::vector<std::string> keys, old_paths;
  for (const auto& f : current->files) keys.push_back(f.key);
  std::vector<std::string> local_paths = run.cache.ReadablePaths(keys);
  std::map<std::string, std::string> partition_of;  // local path -> partition
  for (size_t i = 0; i < local_paths.size(); ++i) {
    old_paths.push_back(QuoteLiteral(local_paths[i]));
    partition_of[local_paths[i]] = current->files[i].partition;
  }
  for (const auto& r :
       conn.Query("SELECT DISTINCT o.filename FROM read_parquet([" + Join(old_paths, ", ") +
                  "], filename = true, hive_partitioning = true) o SEMI JOIN (SELECT " +
                  Join(pk, ", ") + " FROM parsed WHERE " + kept + ") n USING (" + Join(pk, ", ") +
                  ")")
           .Rows()) {
    touched.insert(partition_of[r[0].value_or("")]);
  }
  for (const auto& f : current->files) {
    (touched.count(f.partition) ? plan.replaced : plan.kept_files).push_back(f);
  }
}

// The row plan (see RowPlan), on `conn` after the parse.
RowPlan PlanRows(db::Connection& conn, RunState& run) {
  const Mapping& mapping = run.mapping;
  RowPlan plan;
  std::vector<std::string> partition_columns, pk;
  for (const auto& c : mapping.columns) plan.data_columns.push_back(QuoteIdentifier(c.name));
  for (const auto& p : mapping.partition_by) {
    if (!IsColumnPartition(p))
      partition_columns.push_back(PartitionExpr(p) + " AS " + QuoteIdentifier(p.name));
  }
  std::string partition_select =
      partition_columns.empty() ? "" : ", " + Join(partition_columns, ", ");
  for (const auto& k : mapping.primary_key) pk.push_back(QuoteIdentifier(k));
  plan.dedup = !pk.empty();
  plan.kept = KeptRows(conn, pk);
  const std::string& kept = plan.kept;
  std::string new_rows =
      "SELECT " + Join(plan.data_columns, ", ") + partition_select + " FROM parsed WHERE " + kept;
  SortCurrentFiles(conn, run, new_rows, kept, pk, plan);
  plan.final_rows = new_rows;
  if (!plan.replaced.empty()) {
    std::vector<std::string> keys, old_paths;
    for (const auto& f : plan.replaced) keys.push_back(f.key);
    for (const auto& path : run.cache.ReadablePaths(keys)) old_paths.push_back(QuoteLiteral(path));
    plan.final_rows += " UNION ALL SELECT " + Join(plan.data_columns, ", ") + partition_select +
                       " FROM read_parquet([" + Join(old_paths, ", ") +
                       "], hive_partitioning = true) o ANTI JOIN (SELECT " + Join(pk, ", ") +
                       " FROM parsed WHERE " + kept + ") n USING (" + Join(pk, ", ") + ")";
  }
  return plan;
}

// Counts per file: the rows the reader took, less those a rule or a reference refused and the
// duplicates dropped, were written. Fills result.files and result.totals.
void CountRows(db::Connection& conn, const std::vector<InputFile>& files,
               std::map<std::string, ParsedFile>& parsed, bool dedup, TransformResult& result) {
  std::map<std::string, uint64_t> losers_per_file;
  if (dedup) {
    for (const auto& r :
         conn.Query("SELECT __file_index, count(*) FROM losers GROUP BY ALL").Rows()) {
      losers_per_file[files.at(ToU64(r[0])).path] = ToU64(r[1]);
    }
  }
  for (const auto& f : files) {
    const ParsedFile& p = parsed[f.path];
    FileCounts fc;
    fc.raw_key = f.raw_key;
    fc.rows_read = p.rows_read;
    fc.rows_rejected = p.rows_rejected;
    fc.duplicates_dropped = losers_per_file[f.path];
    fc.rows_written = p.rows_parsed - p.rows_refused - fc.duplicates_dropped;
    result.totals.rows_read += fc.rows_read;
    result.totals.rows_written += fc.rows_written;
    result.totals.rows_rejected += fc.rows_rejected;
    result.totals.duplicates_dropped += fc.duplicates_dropped;
    result.files.push_back(fc);
  }
}

// The values each column with `round: true` rounded, among the rows `kept` (a predicate on
// `parsed`) writes: the run says how many, so rounding is never silent.
void CountRounded(db::Connection& conn, const Mapping& mapping, const std::string& kept,
                  TransformResult& result) {
  std::vector<const ColumnSpec*> rounding;
  std::vector<std::string> counts;
  for (const auto& c : mapping.columns) {
    if (!c.round) continue;
    rounding.push_back(&c);
    counts.push_back("count(*) FILTER (WHERE " + QuoteIdentifier(RoundedColumn(c)) + ")");
  }
  if (rounding.empty()) return;
  auto row = conn.Query("SELECT " + Join(counts, ", ") + " FROM parsed WHERE " + kept).Rows().at(0);
  for (size_t i = 0; i < rounding.size(); ++i) result.rounded[rounding[i]->name] = ToU64(row[i]);
}

// The rejects step: the refused rows to rejects/<table>/run_id=<id>/part-0.parquet. They go
// out whatever happens next: they are how a user finds out what was wrong.
void WriteRejects(db::Connection& conn, RunState& run) {
  TransformResult& result = run.result;
  if (result.rejects.empty()) return;
  conn.Execute(
      "CREATE TABLE rejects (source_file VARCHAR, line BIGINT, end_line BIGINT, \"column\" "
      "VARCHAR,"
      " rule VARCHAR, message VARCHAR, value VARCHAR, raw_line VARCHAR)");
  std::vector<db::Parameter> values;
  for (const auto& r : result.rejects) {
    values.insert(values.end(),
                  {r.raw_key, static_cast<int64_t>(r.line), static_cast<int64_t>(r.end_line),
                   r.column, r.rule, r.message, r.value, r.raw_line});
  }
  InsertRows(conn, "rejects", 8, values);
  result.rejects_prefix = "rejects/" + run.mapping.table + "/run_id=" + result.run_id + "/";
  std::string rejects_file = run.work + "/rejects.parquet";
  conn.Execute("COPY (SELECT * FROM rejects ORDER BY source_file, line, \"column\") TO " +
               QuoteLiteral(rejects_file) + " (FORMAT parquet, COMPRESSION zstd)");
  run.cache.Publish(rejects_file, result.rejects_prefix + "part-0.parquet");
}

// Records the run's outcome and its counts per file (in the caller's transaction).
void RecordRun(TransformRecords& records, const RunState& run, const std::string& status,
               int64_t snapshot_id, const std::string& message) {
  records.RecordRun({.run_id = run.result.run_id,
                     .dataset = run.dataset.name,
                     .status = status,
                     .started_at = run.started_at,
                     .finished_at = UtcNowIso(),
                     .full_refresh = run.options.full_refresh,
                     .snapshot_id = snapshot_id,
                     .totals = run.result.totals,
                     .message = message},
                    run.result.files);
}

// Fails the run when it refused more than max_reject_rate of the rows it read: records it as
// failed and throws TooManyRejects; nothing is published.
void FailOnTooManyRejects(db::SqliteDatabase& db, TransformRecords& records, const RunState& run) {
  const TransformResult& result = run.result;
  double reject_rate = result.totals.rows_read == 0
                           ? 0
                           : static_cast<double>(result.totals.rows_rejected) /
                                 static_cast<double>(result.totals.rows_read);
  if (reject_rate <= run.options.max_reject_rate) return;
  std::string message =
      fmt::format("{} of {} rows refused ({:.2f}%), more than --max-reject-rate {:.2f}%",
                  result.totals.rows_rejected, result.totals.rows_read, reject_rate * 100,
                  run.options.max_reject_rate * 100);
  db::SqliteTransaction tx(db);
  RecordRun(records, run, "failed", run.current ? run.current->id : 0, message);
  tx.Commit();
  throw TooManyRejects(ErrorCode::kData, message + "; nothing was published", result.table,
                       "see the rejects in " + result.rejects_prefix +
                           " (shoplake query will read them); fix the source or raise "
                           "--max-reject-rate");
}

// A file fails for its encoding when more of its records than this hold bytes that do not
// decode, and more than 1% of them (below either, each is a reject like any other): a
// handful of bad lines in a big UTF-8 export (the simulator's Latin-1 lines: about 1 in
// 10,000) are rejects, a file in another encoding is not.
constexpr uint64_t kMostUndecodableRecords = 100;

// The decode step: each raw file not in UTF-8 is transcoded into the run's work folder by
// iconv, streamed (transform/encoding.h), and the parse reads the copy, whose lines are the
// raw file's; the bytes that do not decode are kept by line, for their rejects.
void DecodeInputs(RunState& run) {
  const std::string& encoding = run.mapping.csv.encoding;
  if (IsUtf8Encoding(encoding)) return;
  for (size_t i = 0; i < run.files.size(); ++i) {
    InputFile& file = run.files[i];
    std::string copy = run.work + "/utf8-" + std::to_string(i) + ".csv";
    DecodedFile decoded = DecodeToUtf8(file.path, encoding, copy);
    if (decoded.undecodable > 0) {
      spdlog::debug("{}: {} bytes do not decode as {}", file.raw_key, decoded.undecodable,
                    encoding);
    }
    file.raw_path = file.path;
    file.path = copy;
    file.undecodable = std::move(decoded.first_by_line);
  }
}

// Fails the run when a file looks like it is in another encoding than the mapping says: more
// than 1% of its records, and more than 100, hold bytes that do not decode. Its rows would be
// committed with those records missing, and the totals wrong without a word. Records the
// run as failed and throws TooManyRejects naming the file, the first such byte and the
// encoding its bytes look like; nothing is published.
void FailOnWrongEncoding(db::SqliteDatabase& db, TransformRecords& records, const RunState& run,
                         std::map<std::string, ParsedFile>& parsed) {
  for (const auto& f : run.files) {
    const ParsedFile& p = parsed[f.path];
    if (p.rows_undecodable <= kMostUndecodableRecords || p.rows_undecodable * 100 <= p.rows_read) {
      continue;
    }
    const std::string& declared = run.mapping.csv.encoding;
    const UndecodableByte& first = p.first_undecodable;
    // The bytes from the first that does not decode on (up to a MB) tell what the file is in:
    // one odd byte alone may be a character of several encodings (0xA0, a no-break space).
    std::string looks_like =
        LooksLike(ReadToEnd(f.raw_path.empty() ? f.path : f.raw_path, first.byte, 1 << 20).text);
    std::string advice = looks_like == declared
                             ? "the bytes do not look like any one encoding: check the export"
                             : fmt::format("it looks like {}: set csv.encoding: {} in {}",
                                           looks_like, looks_like, run.mapping.file.string());
    std::string message = fmt::format(
        "{} of its {} records hold bytes that do not decode as {} (the first on line {}, byte "
        "{}: 0x{:02X}); {}",
        p.rows_undecodable, p.rows_read, declared, p.first_undecodable_line, first.byte,
        first.value, advice);
    db::SqliteTransaction tx(db);
    RecordRun(records, run, "failed", run.current ? run.current->id : 0, message);
    tx.Commit();
    throw TooManyRejects(ErrorCode::kData, message + "; nothing was published", f.raw_key,
                         "a file fails for its encoding when more than 1% of its records, and "
                         "more than 100, do not decode; its rejects are in " +
                             run.result.rejects_prefix);
  }
}

// Moves the Parquet files written under `data_dir` into the table's folder (a local lake: an
// atomic rename, the work folder being inside the table's folder; a remote one: an upload,
// completed before the commit that lists the file), each with its rows (from its footer) and
// the checksum `shoplake verify` checks, of the bytes published.
std::vector<catalog::SnapshotFile> PublishFiles(db::Connection& conn, RunState& run,
                                                const std::string& data_dir) {
  std::vector<std::string> local_files;
  CreateFolders(data_dir);  // none written on a quiet day
  for (const auto& entry : fs::recursive_directory_iterator(data_dir)) {
    if (entry.is_regular_file()) local_files.push_back(entry.path().string());
  }
  std::sort(local_files.begin(), local_files.end());
  std::map<std::string, uint64_t> rows_of;
  if (!local_files.empty()) {
    std::vector<std::string> quoted;
    for (const auto& p : local_files) quoted.push_back(QuoteLiteral(p));
    for (const auto& r :
         conn.Query("SELECT file_name, sum(row_group_num_rows) FROM (SELECT DISTINCT file_name,"
                    " row_group_id, row_group_num_rows FROM parquet_metadata([" +
                    Join(quoted, ", ") + "])) GROUP BY file_name")
             .Rows()) {
      rows_of[r[0].value_or("")] = ToU64(r[1]);
    }
  }
  std::vector<catalog::SnapshotFile> written;
  for (const auto& p : local_files) {
    std::string relative = fs::relative(p, data_dir).generic_string();
    std::string partition =
        relative.find('/') == std::string::npos ? "" : relative.substr(0, relative.rfind('/'));
    std::string key = run.location + relative;
    std::string sha256 = FileSha256(p);
    uint64_t bytes = run.cache.Publish(p, key);
    written.push_back({key, partition, rows_of[p], bytes, sha256});
  }
  return written;
}

// The Parquet write: the files of the partitions this run rewrites or adds, written in the
// work folder and moved into the table's folder under names no snapshot uses yet. A quiet day
// (no new row, no partition to rewrite) writes no file; its snapshot lists the files the table
// had (none on a first day).
std::vector<catalog::SnapshotFile> WriteParquet(WorkSession& session, RunState& run,
                                                const RowPlan& plan) {
  std::string data_dir = run.work + "/data";
  if (run.result.totals.rows_written > 0 || !plan.replaced.empty()) {
    WriteNewFiles(session.conn(), run.mapping, plan.final_rows, plan.data_columns, data_dir,
                  run.result.run_id);
  }
  session.Step("write Parquet");
  return PublishFiles(session.conn(), run, data_dir);
}

// The catalog partitions of `files` (a table's snapshot), under the table's `location`.
std::vector<catalog::Partition> PartitionsOf(const std::vector<catalog::SnapshotFile>& files,
                                             const std::string& location) {
  std::map<std::string, catalog::Partition> partitions;
  for (const auto& f : files) {
    if (f.partition.empty()) continue;
    catalog::Partition& p = partitions[f.partition];
    p.spec = f.partition;
    p.location = location + f.partition + "/";
    ++p.files;
    p.rows += f.rows;
    p.bytes += f.bytes;
  }
  std::vector<catalog::Partition> present;
  for (auto& [spec, p] : partitions) present.push_back(p);
  return present;
}

// The commit: the table's new snapshot (the files it keeps and those written), its partitions
// and statistics, the bookmarks and the run's counts, in one catalog transaction (for a remote
// lake, the catalog is uploaded before the commit returns: lake/catalog_file.h).
void Commit(catalog::Catalog& catalog, TransformRecords& records, RunState& run,
            const RowPlan& plan, const std::vector<catalog::SnapshotFile>& written) {
  std::vector<catalog::SnapshotFile> snapshot_files = plan.kept_files;
  snapshot_files.insert(snapshot_files.end(), written.begin(), written.end());
  std::sort(snapshot_files.begin(), snapshot_files.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  // The files' statistics are read before the transaction: for a remote lake the kept files
  // may have to be fetched, which should not hold the catalog's write lock.
  std::vector<std::string> keys;
  for (const auto& f : snapshot_files) keys.push_back(f.key);
  std::vector<std::string> paths = run.cache.ReadablePaths(keys);
  TransformResult& result = run.result;
  db::SqliteTransaction tx(catalog.db());
  catalog::Table stored = catalog.RegisterTable(MappedTable(run.mapping));
  std::string operation = run.options.full_refresh ? "overwrite"
                          : plan.replaced.empty()  ? "append"
                                                   : "merge";
  result.snapshot_id = catalog.CommitSnapshot(stored.id, result.run_id, operation, snapshot_files);
  catalog.SyncPartitions(stored.id, PartitionsOf(snapshot_files, run.location), true);
  catalog.RecordStats(result.snapshot_id, catalog::ParquetStats(paths, stored.columns));
  for (const auto& f : snapshot_files) result.table_rows += f.rows;
  std::vector<std::string> raw_keys;
  for (const auto& f : run.files) raw_keys.push_back(f.raw_key);
  records.Bookmark(run.dataset.name, raw_keys, result.run_id, run.options.full_refresh);
  RecordRun(records, run, "committed", result.snapshot_id, "");
  tx.Commit();
  result.committed = true;
}

// Deletes the files the new snapshot no longer lists (older snapshots still do, for history;
// readers of folders must see only the current ones).
void DeleteSuperseded(lake::Store& lake, const RunState& run, const RowPlan& plan,
                      const std::vector<catalog::SnapshotFile>& written) {
  if (!run.current) return;
  std::set<std::string> now;
  for (const auto& f : written) now.insert(f.key);
  for (const auto& f : plan.kept_files) now.insert(f.key);
  for (const auto& f : run.current->files) {
    if (!now.count(f.key)) lake.Delete(f.key);
  }
}

}  // namespace

Transformer::Transformer(lake::Store& lake, catalog::Catalog& catalog)
    : lake_(lake), catalog_(catalog), records_(catalog.db()) {}

catalog::Table MappedTable(const Mapping& mapping) {
  catalog::Table table;
  table.database = mapping.database;
  table.name = mapping.table;
  table.location = "processed/" + mapping.database + "/" + mapping.table + "/";
  table.owner = "transform";
  table.description = mapping.description;
  for (const auto& c : mapping.columns) {
    if (!IsPartitionKey(mapping, c)) {
      table.columns.push_back({c.name, SqlType(c), c.nullable, c.description});
    }
  }
  for (const auto& p : mapping.partition_by) {
    const ColumnSpec* from = mapping.Column(p.from);
    bool value = p.part == PartitionSpec::Part::kValue;
    std::string type = value && from ? SqlType(*from) : "INTEGER";
    // A derived key says what it is derived from, so Athena users know which to filter on.
    static constexpr const char* kParts[] = {"year", "month", "day"};
    std::string description =
        value ? (from ? from->description : "")
              : fmt::format("the {} of {}", kParts[static_cast<int>(p.part)], p.from);
    table.partition_keys.push_back({p.name, type, false, description});
  }
  return table;
}

TransformResult Transformer::Run(const DatasetSpec& dataset, const Mapping& mapping,
                                 const TransformOptions& options) {
  RunState run(lake_, dataset, mapping, options);
  auto lock = options.dry_run
                  ? nullptr
                  : lake_.Acquire("transform-" + run.result.table, std::chrono::minutes(10));
  run.current = CurrentSnapshot(catalog_, mapping);
  if (!options.dry_run) {
    RemoveLeftovers(lake_, records_, run.work_parent, run.location, mapping.table, run.current);
  }
  run.files = SelectInputs(catalog_.db(), records_, run);
  if (run.files.empty()) return NothingNew(run);
  MatchHeaders(lake_, run.files, mapping, run.result.run_id, run.result.notes);
  References references = PlanReferences(catalog_, run);

  // The parse (transform/parse.h): every file read by DuckDB's CSV reader in one parallel
  // statement, each row checked against the rules, into a work file in the files' order;
  // then the line of every refused row, confirmed against its file.
  if (options.dry_run) {
    return DryRunPlan(
        run, references,
        Parse(mapping, run.files, references.tables, run.work, options.csv_buffer_size));
  }
  WorkSession session(run, references);
  DecodeInputs(run);
  session.Step("decode to UTF-8");
  Parse parse(mapping, run.files, references.tables, run.work, options.csv_buffer_size);
  std::map<std::string, ParsedFile> parsed =
      parse.Run(session.conn(), session.threads(), run.result.rejects,
                [&](const char* name) { session.Step(name); });
  run.result.lines_confirmed = parse.lines_confirmed();

  RowPlan rows = PlanRows(session.conn(), run);
  session.Step("duplicates and touched partitions");
  CountRows(session.conn(), run.files, parsed, rows.dedup, run.result);
  CountRounded(session.conn(), mapping, rows.kept, run.result);
  WriteRejects(session.conn(), run);
  FailOnWrongEncoding(catalog_.db(), records_, run, parsed);
  FailOnTooManyRejects(catalog_.db(), records_, run);
  session.Step("counts and rejects");

  CrashPoint("transform.before_write");
  std::vector<catalog::SnapshotFile> written = WriteParquet(session, run, rows);
  session.Step("move files into place");
  CrashPoint("transform.before_commit");
  Commit(catalog_, records_, run, rows, written);
  CrashPoint("transform.after_commit");
  DeleteSuperseded(lake_, run, rows, written);
  return run.Finish();
}

}  // namespace shoplake::transform
