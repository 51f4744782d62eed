#include "transform/transform.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "catalog/crawler.h"
#include "common/clock.h"
#include "common/crash.h"
#include "common/error.h"
#include "common/files.h"
#include "ingest/ledger.h"
#include "query/duckdb.h"

namespace shoplake::transform {
namespace {

namespace fs = std::filesystem;
using query::QuoteIdentifier;
using query::QuoteLiteral;

// The transform's own records, in the catalog file beside the catalog's tables.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS transform_bookmarks (
  dataset TEXT NOT NULL,
  raw_key TEXT NOT NULL,
  run_id  TEXT NOT NULL,
  PRIMARY KEY (dataset, raw_key)
);
CREATE TABLE IF NOT EXISTS transform_runs (
  run_id             TEXT PRIMARY KEY,
  dataset            TEXT NOT NULL,
  status             TEXT NOT NULL,      -- committed, failed, nothing_new
  started_at         TEXT NOT NULL,
  finished_at        TEXT NOT NULL,
  full_refresh       INTEGER NOT NULL,
  snapshot_id        INTEGER NOT NULL,
  rows_read          INTEGER NOT NULL,
  rows_written       INTEGER NOT NULL,
  rows_rejected      INTEGER NOT NULL,
  duplicates_dropped INTEGER NOT NULL,
  message            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transform_file_counts (
  run_id             TEXT NOT NULL,
  raw_key            TEXT NOT NULL,
  rows_read          INTEGER NOT NULL,
  rows_written       INTEGER NOT NULL,
  rows_rejected      INTEGER NOT NULL,
  duplicates_dropped INTEGER NOT NULL,
  PRIMARY KEY (run_id, raw_key)
);
)sql";

// One raw file of the run, in ingest order (priority rises with it: the latest wins).
struct InputFile {
  std::string raw_key;
  std::string path;
  int64_t priority = 0;
};

std::string LocalPathOf(lake::Store& lake, const std::string& key) {
  auto path = lake.LocalPath(key);
  if (!path) {
    throw Error(ErrorCode::kUsage, "transform needs a local lake for now", lake.uri(),
                "use a local folder for --lake (docs/transform.md says how S3 will work)");
  }
  return *path;
}

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

std::string CharLiteral(char c) { return QuoteLiteral(std::string(1, c)); }

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

// The typed value of a column, from its text.
std::string CastExpr(const ColumnSpec& c) {
  std::string v = QuoteIdentifier(c.source);
  switch (c.type) {
    case ColumnType::kVarchar:
      return v;
    case ColumnType::kTimestamp:
      if (!c.format.empty()) return "TRY_STRPTIME(" + v + ", " + QuoteLiteral(c.format) + ")";
      break;
    case ColumnType::kDate:
      if (!c.format.empty()) {
        return "CAST(TRY_STRPTIME(" + v + ", " + QuoteLiteral(c.format) + ") AS DATE)";
      }
      break;
    default:
      break;
  }
  return "TRY_CAST(" + v + " AS " + SqlType(c) + ")";
}

// One rule of one column: the condition that breaks it, and what to say.
struct Check {
  std::string condition;  // true when the row breaks the rule (NULL counts as not broken)
  std::string violation;  // struct_pack(column, rule, message, value)
};

std::string Literal(const ColumnSpec& c, const std::string& text) {
  return "CAST(" + QuoteLiteral(text) + " AS " + SqlType(c) + ")";
}

// Every rule of the mapping, over the text columns as read_csv names them (the sources).
// References need a join, which would reorder the rows of the parse; they are checked in
// a pass of their own (`with_references` false leaves them out).
std::vector<Check> Checks(const Mapping& mapping,
                          const std::map<std::string, std::string>& reference_tables,
                          bool with_references) {
  std::vector<Check> checks;
  for (const auto& c : mapping.columns) {
    std::string v = QuoteIdentifier(c.source);
    std::string typed = CastExpr(c);
    auto add = [&](const std::string& rule, const std::string& condition,
                   const std::string& message) {
      checks.push_back({condition, "struct_pack(\"column\" := " + QuoteLiteral(c.name) +
                                       ", rule := " + QuoteLiteral(rule) + ", message := " +
                                       QuoteLiteral(message) + ", value := " + v + ")"});
    };
    if (!c.nullable) add("not_null", v + " IS NULL", "a value is required");
    if (c.type != ColumnType::kVarchar) {
      add("type", v + " IS NOT NULL AND " + typed + " IS NULL",
          "not a valid " + SqlType(c) + (c.format.empty() ? "" : " in the format " + c.format));
    }
    if (c.min) add("min", typed + " < " + Literal(c, *c.min), "below the minimum " + *c.min);
    if (c.max) add("max", typed + " > " + Literal(c, *c.max), "above the maximum " + *c.max);
    if (!c.accepted_values.empty()) {
      std::vector<std::string> values;
      for (const auto& a : c.accepted_values) values.push_back(QuoteLiteral(a));
      add("accepted_values", v + " NOT IN (" + Join(values, ", ") + ")",
          "not one of: " + Join(c.accepted_values, ", "));
    }
    if (c.regex) {
      add("regex", "NOT regexp_full_match(" + v + ", " + QuoteLiteral(*c.regex) + ")",
          "does not match " + *c.regex);
    }
    if (c.max_length) {
      add("max_length", "length(" + v + ") > " + std::to_string(*c.max_length),
          "longer than " + std::to_string(*c.max_length) + " characters");
    }
    if (c.references && with_references) {
      add("references", typed + " NOT IN (SELECT k FROM " + reference_tables.at(c.name) + ")",
          "not a known " + c.references->dataset + "." + c.references->column);
    }
  }
  return checks;
}

// True when a row breaks no rule: cheap enough to evaluate on every row.
std::string OkExpr(const std::vector<Check>& checks) {
  if (checks.empty()) return "true";
  std::vector<std::string> broken;
  for (const auto& c : checks) broken.push_back("coalesce(" + c.condition + ", false)");
  return "NOT (" + Join(broken, "\n    OR ") + ")";
}

// The list of rules a row breaks, for the (few) rows that break some.
std::string ViolationsExpr(const std::vector<Check>& checks) {
  std::vector<std::string> items;
  for (const auto& c : checks)
    items.push_back("CASE WHEN " + c.condition + " THEN " + c.violation + " END");
  return "list_filter([" + Join(items, ",\n    ") + "], x -> x IS NOT NULL)";
}

// A partition on a column's own value under the column's name (snapshot_date=2026-01-01):
// the column itself is the key, kept in the folder names rather than in the files, as Hive
// tables do.
bool IsColumnPartition(const PartitionSpec& p) {
  return p.part == PartitionSpec::Part::kValue && p.name == p.from;
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

// The first line of a raw file (its header), read through the store.
std::string FirstLine(lake::Store& lake, const std::string& key) {
  auto reader = lake.Open(key, 0, 1 << 16);
  std::string head(1 << 16, '\0');
  size_t n = 0, got;
  while (n < head.size() && (got = reader->Read(head.data() + n, head.size() - n)) > 0) n += got;
  head.resize(n);
  size_t end = head.find('\n');
  if (end != std::string::npos) head.resize(end);
  if (!head.empty() && head.back() == '\r') head.pop_back();
  return head;
}

void CheckHeader(lake::Store& lake, const InputFile& file, const Mapping& mapping) {
  std::string header = FirstLine(lake, file.raw_key);
  std::vector<std::string> names;
  size_t start = 0;
  for (;;) {
    size_t end = header.find(mapping.csv.delimiter, start);
    std::string name =
        header.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (name.size() >= 2 && name.front() == mapping.csv.quote && name.back() == mapping.csv.quote) {
      name = name.substr(1, name.size() - 2);
    }
    names.push_back(name);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::vector<std::string> expected;
  for (const auto& c : mapping.columns) expected.push_back(c.source);
  if (names == expected) return;
  std::string detail =
      fmt::format("it has {} columns, the mapping {}", names.size(), expected.size());
  for (size_t i = 0; i < std::min(names.size(), expected.size()); ++i) {
    if (names[i] != expected[i]) {
      detail = fmt::format("column {} is '{}' where the mapping expects '{}'", i + 1, names[i],
                           expected[i]);
      break;
    }
  }
  throw Error(ErrorCode::kData, "the header does not match the mapping: " + detail, file.raw_key,
              "fix the file or the mapping (" + mapping.file.string() + "), then run again");
}

// Where each record of one file starts and ends, in physical lines. DuckDB numbers its
// rejects by record (header + record index), and a record can span several lines (a broken
// quote runs on to the next quote), so lines are worked out from the records that do.
class LineMap {
 public:
  // `rejected`: the refused records (1-based record index) with the extra lines each
  // spans; `multi_line_good`: good records (1-based among the good ones) holding line
  // breaks inside quotes, with their extra lines.
  LineMap(bool header, const std::map<uint64_t, uint64_t>& rejected,
          const std::map<uint64_t, uint64_t>& multi_line_good)
      : header_(header ? 1 : 0) {
    uint64_t j = 0;
    for (const auto& [record, extra] : rejected) {
      goods_before_.push_back(record - 1 - j++);  // non-decreasing
    }
    std::map<uint64_t, uint64_t> extra = rejected;
    for (const auto& [good, lines] : multi_line_good) extra[RecordOfGood(good)] += lines;
    uint64_t sum = 0;
    for (const auto& [record, lines] : extra) {
      extra_records_.push_back(record);
      extra_lines_.push_back(lines);
      sum += lines;
      extra_before_and_at_.push_back(sum);
    }
  }

  //! The record index (1-based) of the `good`-th good record (1-based) of the file: it
  //! comes after every refused record with fewer good records before it than `good`.
  uint64_t RecordOfGood(uint64_t good) const {
    auto shift =
        std::lower_bound(goods_before_.begin(), goods_before_.end(), good) - goods_before_.begin();
    return good + static_cast<uint64_t>(shift);
  }
  //! The physical line where record `record` starts.
  uint64_t LineOfRecord(uint64_t record) const {
    auto before = std::lower_bound(extra_records_.begin(), extra_records_.end(), record) -
                  extra_records_.begin();
    return header_ + record +
           (before == 0 ? 0 : extra_before_and_at_[static_cast<size_t>(before) - 1]);
  }
  uint64_t ExtraLines(uint64_t record) const {
    auto it = std::lower_bound(extra_records_.begin(), extra_records_.end(), record);
    return it != extra_records_.end() && *it == record
               ? extra_lines_[static_cast<size_t>(it - extra_records_.begin())]
               : 0;
  }
  //! Lines the file should have: header, records and their extra lines.
  uint64_t ExpectedLines(uint64_t records) const {
    return header_ + records + (extra_before_and_at_.empty() ? 0 : extra_before_and_at_.back());
  }

 private:
  uint64_t header_;
  std::vector<uint64_t> goods_before_;  // per refused record: good records before it
  std::vector<uint64_t> extra_records_, extra_lines_, extra_before_and_at_;
};

// Counts a local file's lines (streaming) and returns the text of the `wanted` ones.
uint64_t ScanLines(const std::string& path, const std::set<uint64_t>& wanted,
                   std::map<uint64_t, std::string>& found) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open", path, errno);
  std::vector<char> buffer(1 << 20);
  uint64_t line = 1;
  bool any = false, line_open = false;
  std::string current;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read", path, errno);
    }
    if (n == 0) break;
    any = true;
    const char* p = buffer.data();
    const char* end = p + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* stop = nl ? nl : end;
      if (wanted.count(line)) current.append(p, stop);
      line_open = true;
      if (!nl) break;
      if (wanted.count(line)) {
        if (!current.empty() && current.back() == '\r') current.pop_back();
        found[line] = std::move(current);
        current.clear();
      }
      ++line;
      line_open = false;
      p = nl + 1;
    }
  }
  if (!any) return 0;
  if (line_open && wanted.count(line)) found[line] = current;
  return line_open ? line : line - 1;
}

uint64_t CountNewlines(const std::string& text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

// "TOO MANY COLUMNS" -> "csv:too_many_columns".
std::string CsvRule(std::string type) {
  for (auto& ch : type)
    ch = ch == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "csv:" + type;
}

uint64_t ToU64(const std::optional<std::string>& text) { return text ? std::stoull(*text) : 0; }

}  // namespace

Transformer::Transformer(lake::Store& lake, catalog::Catalog& catalog)
    : lake_(lake), catalog_(catalog) {
  ApplySchema(catalog_.db(), "transform", 1, kSchema, "the transform's records");
}

TransformResult Transformer::Run(const DatasetSpec& dataset, const Mapping& mapping,
                                 const TransformOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::string started_at = UtcNowIso();
  TransformResult result;
  result.run_id = options.run_id.empty() ? NewRunId() : options.run_id;
  result.dataset = dataset.name;
  result.table = mapping.database + "." + mapping.table;
  const std::string location = "processed/" + mapping.database + "/" + mapping.table + "/";
  const std::string location_path = LocalPathOf(lake_, location.substr(0, location.size() - 1));
  auto lock = options.dry_run
                  ? nullptr
                  : lake_.Acquire("transform-" + result.table, std::chrono::minutes(10));

  auto table = catalog_.FindTable(mapping.database, mapping.table);
  std::optional<catalog::Snapshot> current;
  if (table) current = catalog_.CurrentSnapshot(table->id);

  // A crashed run may have left a work folder or files no snapshot lists: remove them
  // (we hold the table's lock, so no live run owns them).
  if (!options.dry_run) {
    std::set<std::string> listed;
    if (current) {
      for (const auto& f : current->files) listed.insert(f.key);
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(location_path, ec)) {
      if (entry.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(entry.path(), ec);
    }
    for (const auto& object : lake_.List(location)) {
      if (!listed.count(object.key)) {
        spdlog::info("removing {} (left by an interrupted run)", object.key);
        lake_.Delete(object.key);
      }
    }
  }

  // The raw files: every version the ledger holds for the source that matches the
  // dataset's pattern, oldest first, less those the bookmark has seen.
  std::vector<InputFile> files;
  {
    ingest::IngestLedger ledger(catalog_.db().path());
    std::map<std::string, int64_t> priority;
    int64_t n = 0;
    for (const auto& e : ledger.Entries(dataset.source)) {
      ++n;
      if (MatchesPattern(dataset.pattern, ObjectName(e.raw_key))) priority[e.raw_key] = n;
    }
    std::set<std::string> seen;
    if (!options.full_refresh) {
      auto rows =
          catalog_.db().Prepare("SELECT raw_key FROM transform_bookmarks WHERE dataset = ?");
      rows.Bind(1, dataset.name);
      while (rows.Step()) seen.insert(rows.Text(0));
    }
    for (const auto& [key, p] : priority) {
      if (!seen.count(key)) files.push_back({key, LocalPathOf(lake_, key), p});
    }
    std::sort(files.begin(), files.end(),
              [](const InputFile& a, const InputFile& b) { return a.priority < b.priority; });
  }
  if (files.empty()) {
    result.snapshot_id = current ? current->id : 0;
    result.table_rows = current ? current->rows : 0;
    result.plan.push_back("nothing new for " + dataset.name + " (every raw file is bookmarked)");
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }
  for (const auto& f : files) CheckHeader(lake_, f, mapping);

  // References: the referenced table's keys, from its current snapshot.
  std::map<std::string, std::string> reference_tables;
  std::vector<std::string> sql;  // the plan, in order
  int reference_count = 0;
  for (const auto& c : mapping.columns) {
    if (!c.references) continue;
    // A dataset's mapping names its table; the convention here: the referenced dataset's
    // table lives in the same database under the dataset's name.
    auto ref_table = catalog_.FindTable(mapping.database, c.references->dataset);
    auto ref_snapshot = ref_table ? catalog_.CurrentSnapshot(ref_table->id) : std::nullopt;
    if (!ref_snapshot || ref_snapshot->files.empty()) {
      throw Error(ErrorCode::kUsage,
                  fmt::format("column '{}' references {}.{}, which has no data yet", c.name,
                              c.references->dataset, c.references->column),
                  mapping.file.string() + ":" + std::to_string(c.line),
                  "run 'shoplake transform " + c.references->dataset + "' first");
    }
    std::vector<std::string> paths;
    for (const auto& f : ref_snapshot->files)
      paths.push_back(QuoteLiteral(LocalPathOf(lake_, f.key)));
    std::string name = "ref_" + std::to_string(++reference_count);
    reference_tables[c.name] = name;
    sql.push_back("CREATE TEMP TABLE " + name + " AS SELECT DISTINCT " +
                  QuoteIdentifier(c.references->column) + " AS k FROM read_parquet([" +
                  Join(paths, ", ") + "], hive_partitioning = true)");
  }

  // Parse every column as text (structural errors go to DuckDB's rejects tables), then
  // keep each row typed, with a flag saying whether it breaks a rule and, only when it
  // does, its text values for the rejects. Rows keep their file order, so rowid says
  // where a row stood.
  std::vector<std::string> columns, nulls, typed, raw_fields;
  for (const auto& c : mapping.columns) {
    columns.push_back(QuoteLiteral(c.source) + ": 'VARCHAR'");
    typed.push_back(CastExpr(c) + " AS " + QuoteIdentifier(c.name));
  }
  for (const auto& c : mapping.columns) {
    if (std::find(raw_fields.begin(), raw_fields.end(), QuoteIdentifier(c.source)) !=
        raw_fields.end())
      continue;
    raw_fields.push_back(QuoteIdentifier(c.source));
  }
  std::vector<std::string> raw_pack;
  for (const auto& f : raw_fields) raw_pack.push_back(f + " := " + f);
  for (const auto& n : mapping.csv.null_strings) nulls.push_back(QuoteLiteral(n));
  std::vector<Check> checks = Checks(mapping, reference_tables, false);
  // One statement per file, read by one thread so the rows keep the file's order (DuckDB's
  // parallel CSV scan may not, around refused records); files are read side by side.
  auto parse_file = [&](const std::string& path, size_t worker) {
    std::string w = std::to_string(worker);
    return "SELECT filename, " + Join(typed, ", ") +
           ", ok, CASE WHEN ok THEN NULL ELSE struct_pack(" + Join(raw_pack, ", ") +
           ") END AS raw FROM (SELECT *, " + OkExpr(checks) + " AS ok FROM read_csv(" +
           QuoteLiteral(path) + ", columns = {" + Join(columns, ", ") +
           "}, header = " + (mapping.csv.header ? "true" : "false") +
           ", delim = " + CharLiteral(mapping.csv.delimiter) +
           ", quote = " + CharLiteral(mapping.csv.quote) +
           ", escape = " + CharLiteral(mapping.csv.escape) + ", nullstr = [" + Join(nulls, ", ") +
           "], encoding = " + QuoteLiteral(mapping.csv.encoding) +
           ", auto_detect = false, strict_mode = true, null_padding = false, filename = true, "
           "parallel = false,"
           " store_rejects = true, rejects_table = 'csv_errors_" +
           w + "', rejects_scan = 'csv_scans_" + w + "'))";
  };
  std::vector<std::string> parse_sql;
  for (size_t i = 0; i < files.size(); ++i) {
    parse_sql.push_back((i == 0 ? "CREATE TABLE parsed AS " : "INSERT INTO parsed ") +
                        parse_file(files[i].path, 0));
  }
  // References: rows that pass every other rule but name an unknown key are refused too.
  // Only the flag changes (a fixed-size column is updated in place: rowids stay).
  for (const auto& c : mapping.columns) {
    if (!c.references) continue;
    sql.push_back("UPDATE parsed SET ok = false WHERE ok AND " + QuoteIdentifier(c.name) +
                  " NOT IN (SELECT k FROM " + reference_tables.at(c.name) + ")");
  }
  // A row refused only by a reference has no text kept: its typed values, which passed
  // every cast, stand in for it.
  std::vector<std::string> text_pack;
  for (const auto& f : raw_fields) {
    for (const auto& t : mapping.columns) {
      if (QuoteIdentifier(t.source) == f) {
        text_pack.push_back(f + " := CAST(" + QuoteIdentifier(t.name) + " AS VARCHAR)");
        break;
      }
    }
  }
  // Which rules the refused rows break.
  sql.push_back(
      "CREATE TABLE violations AS SELECT filename, rid, v.\"column\", v.rule, v.message, v.value "
      "FROM"
      " (SELECT filename, rid, unnest(" +
      ViolationsExpr(Checks(mapping, reference_tables, true)) +
      ") AS v FROM (SELECT filename, rid, r.* FROM (SELECT filename, rowid AS rid, coalesce(raw, "
      "struct_pack(" +
      Join(text_pack, ", ") + ")) AS r FROM parsed WHERE NOT ok)))");

  if (options.dry_run) {
    for (const auto& f : files) result.plan.push_back("read " + f.raw_key);
    std::vector<std::string> plan = sql;
    plan.insert(plan.begin() + reference_count, parse_sql.begin(), parse_sql.end());
    for (const auto& s : plan) result.plan.push_back(s + ";");
    result.plan.push_back("then: drop duplicates on (" + Join(mapping.primary_key, ", ") +
                          "), write zstd Parquet under " + location + ", commit a snapshot");
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }

  query::Database db;
  query::Connection conn(db);
  int threads = options.threads > 0
                    ? options.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  conn.Execute("SET threads = " + std::to_string(threads));
  // Work files DuckDB spills to when the rows outgrow memory stay inside the lake, in the
  // run's work folder, made now so that DuckDB never has to create its parents.
  fs::create_directories(location_path + "/.tmp-" + result.run_id);
  conn.Execute("SET temp_directory = " +
               QuoteLiteral(location_path + "/.tmp-" + result.run_id + "/spill"));
  for (int i = 0; i < reference_count; ++i) conn.Execute(sql[static_cast<size_t>(i)]);

  // Structural rejects: one record may carry several errors.
  struct CsvError {
    uint64_t record;
    std::string column, rule, message, raw;
  };
  std::map<std::string, std::vector<CsvError>> csv_errors;  // by path
  std::mutex csv_errors_mutex;
  auto collect_errors = [&](query::Connection& c, size_t worker) {
    std::string w = std::to_string(worker);
    auto rows = c.Query(
                     "SELECT s.file_path, e.line, e.column_name, CAST(e.error_type AS VARCHAR), "
                     "e.error_message,"
                     " e.csv_line FROM csv_errors_" +
                     w + " e JOIN csv_scans_" + w +
                     " s USING (scan_id, file_id) ORDER BY s.file_path, e.line")
                    .Rows();
    std::lock_guard<std::mutex> lock(csv_errors_mutex);
    for (const auto& r : rows) {
      uint64_t line = ToU64(r[1]);
      csv_errors[r[0].value_or("")].push_back({mapping.csv.header ? line - 1 : line,
                                               r[2].value_or(""), CsvRule(r[3].value_or("")),
                                               r[4].value_or(""), r[5].value_or("")});
    }
  };
  // Each step's time, for -v: where a slow run spends it.
  auto step_start = std::chrono::steady_clock::now();
  auto step = [&](const char* name) {
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("transform {}: {} in {:.2f}s", dataset.name, name,
                  std::chrono::duration<double>(now - step_start).count());
    step_start = now;
  };
  conn.Execute(parse_sql[0]);
  collect_errors(conn, 0);
  {
    std::atomic<size_t> next{1};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto work = [&](size_t worker) {
      try {
        query::Connection c(db);
        bool used = false;
        for (size_t i; (i = next++) < files.size();) {
          c.Execute("INSERT INTO parsed " + parse_file(files[i].path, worker));
          used = true;
        }
        if (used) collect_errors(c, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < std::min<int>(threads, static_cast<int>(files.size()) - 1); ++t) {
      pool.emplace_back(work, static_cast<size_t>(t + 1));
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }
  step("parse");
  for (size_t i = static_cast<size_t>(reference_count); i < sql.size(); ++i) conn.Execute(sql[i]);
  step("references and violations");
  conn.Execute("CREATE TEMP TABLE files (path VARCHAR, raw_key VARCHAR, priority BIGINT)");
  {
    auto insert = conn.Prepare("INSERT INTO files VALUES ($1, $2, $3)");
    for (const auto& f : files) insert.Execute({f.path, f.raw_key, f.priority});
  }

  // Counts and line numbers per file.
  std::map<std::string, const InputFile*> by_path;
  std::map<std::string, FileCounts> counts;
  for (const auto& f : files) {
    by_path[f.path] = &f;
    counts[f.raw_key].raw_key = f.raw_key;
  }
  // Good records per file, and where their rowids start (rows of one file are contiguous).
  std::map<std::string, std::pair<uint64_t, uint64_t>> good_range;  // path -> (first rid, count)
  for (const auto& r :
       conn.Query("SELECT filename, min(rowid), count(*), max(rowid) FROM parsed GROUP BY filename")
           .Rows()) {
    uint64_t first = ToU64(r[1]), count = ToU64(r[2]), last = ToU64(r[3]);
    if (last - first + 1 != count) {
      throw Error(ErrorCode::kInternal, "rows of one file are not contiguous", r[0].value_or(""));
    }
    good_range[r[0].value_or("")] = {first, count};
  }

  // Rule violations, one row each, by file.
  struct RuleViolation {
    uint64_t rid;
    std::string column, rule, message, value;
  };
  std::map<std::string, std::vector<RuleViolation>> violations;  // by path
  for (const auto& r : conn.Query("SELECT * FROM violations ORDER BY filename, rid").Rows()) {
    violations[r[0].value_or("")].push_back(
        {ToU64(r[1]), r[2].value_or(""), r[3].value_or(""), r[4].value_or(""), r[5].value_or("")});
  }

  // Lines: per file, map records to physical lines, check against the file, fetch raw lines.
  for (const auto& f : files) {
    std::map<uint64_t, uint64_t> rejected;  // record -> extra lines
    for (const auto& e : csv_errors[f.path])
      rejected[e.record] = std::max(rejected[e.record], CountNewlines(e.raw));
    auto [first_rid, good_count] =
        good_range.count(f.path) ? good_range[f.path] : std::pair<uint64_t, uint64_t>{0, 0};
    uint64_t records = good_count + rejected.size();
    FileCounts& fc = counts[f.raw_key];
    fc.rows_read = records;
    const std::vector<RuleViolation>& file_violations = violations[f.path];
    if (rejected.empty() && file_violations.empty()) continue;  // no line to tell

    LineMap lines(mapping.csv.header, rejected, {});
    auto wanted_lines = [&] {  // where the rows refused by a rule start
      std::set<uint64_t> wanted;
      for (const auto& v : file_violations) {
        wanted.insert(lines.LineOfRecord(lines.RecordOfGood(v.rid - first_rid + 1)));
      }
      return wanted;
    };
    std::map<uint64_t, std::string> raw_lines;
    uint64_t physical = ScanLines(f.path, wanted_lines(), raw_lines);
    if (physical != lines.ExpectedLines(records)) {
      // Some good records hold line breaks inside quotes: count them in, then look again.
      std::vector<std::string> concat;
      for (const auto& c : mapping.columns) {
        if (c.type == ColumnType::kVarchar)
          concat.push_back("coalesce(" + QuoteIdentifier(c.name) + ", '')");
      }
      if (concat.empty()) concat.push_back("''");
      std::map<uint64_t, uint64_t> multi;
      for (const auto& r : conn.Query("SELECT rowid, length(s) - length(replace(s, chr(10), '')) "
                                      "FROM (SELECT rowid, concat(" +
                                      Join(concat, ", ") + ") AS s FROM parsed WHERE filename = " +
                                      QuoteLiteral(f.path) + ") WHERE s LIKE '%' || chr(10) || '%'")
                               .Rows()) {
        multi[ToU64(r[0]) - first_rid + 1] = ToU64(r[1]);
      }
      lines = LineMap(mapping.csv.header, rejected, multi);
      raw_lines.clear();
      physical = ScanLines(f.path, wanted_lines(), raw_lines);
      if (physical != lines.ExpectedLines(records)) {
        spdlog::warn("{}: {} lines but {} records: reject line numbers may be off", f.raw_key,
                     physical, records);
      }
    }
    fc.rows_rejected = rejected.size();
    for (const auto& e : csv_errors[f.path]) {
      uint64_t line = lines.LineOfRecord(e.record);
      result.rejects.push_back({f.raw_key, line, line + lines.ExtraLines(e.record), e.column,
                                e.rule, e.message, "", e.raw});
    }
    std::set<uint64_t> rejected_rids;
    for (const auto& v : file_violations) {
      uint64_t record = lines.RecordOfGood(v.rid - first_rid + 1);
      uint64_t line = lines.LineOfRecord(record);
      result.rejects.push_back({f.raw_key, line, line + lines.ExtraLines(record), v.column, v.rule,
                                v.message, v.value, raw_lines[line]});
      rejected_rids.insert(v.rid);
    }
    fc.rows_rejected += rejected_rids.size();
  }

  step("line numbers");
  // The rows to write, never materialized: the good new rows less the losers among
  // duplicate keys (the latest ingested file wins; within a file, the first line), and the
  // old rows of the partitions the new rows touch less the keys that come again.
  std::vector<std::string> data_columns, partition_columns;
  for (const auto& c : mapping.columns) data_columns.push_back(QuoteIdentifier(c.name));
  for (const auto& p : mapping.partition_by) {
    if (!IsColumnPartition(p))
      partition_columns.push_back(PartitionExpr(p) + " AS " + QuoteIdentifier(p.name));
  }
  std::string partition_select =
      partition_columns.empty() ? "" : ", " + Join(partition_columns, ", ");
  std::string partition_path = PartitionPathExpr(mapping);
  bool dedup = !mapping.primary_key.empty();
  std::vector<std::string> pk;
  for (const auto& k : mapping.primary_key) pk.push_back(QuoteIdentifier(k));
  std::string new_rows =
      "SELECT " + Join(data_columns, ", ") + partition_select + " FROM parsed WHERE ok";
  if (dedup) {
    conn.Execute("CREATE TABLE dup_keys AS SELECT " + Join(pk, ", ") +
                 " FROM parsed WHERE ok GROUP BY ALL"
                 " HAVING count(*) > 1");
    conn.Execute(
        "CREATE TABLE losers AS SELECT rid, filename FROM (SELECT p.rowid AS rid, p.filename,"
        " row_number() OVER (PARTITION BY " +
        Join(pk, ", ") +
        " ORDER BY f.priority DESC, p.rowid) AS n"
        " FROM parsed p JOIN files f ON p.filename = f.path JOIN dup_keys USING (" +
        Join(pk, ", ") + ") WHERE p.ok) WHERE n > 1");
    new_rows += " AND rowid NOT IN (SELECT rid FROM losers)";
  }

  // Which existing files the new rows touch: their partitions, and the partitions of old
  // rows whose keys come again (a key may move between partitions).
  std::set<std::string> touched;
  for (const auto& r :
       conn.Query("SELECT DISTINCT " + partition_path + " FROM (" + new_rows + ")").Rows()) {
    touched.insert(r[0].value_or(""));
  }
  std::vector<catalog::SnapshotFile> kept, replaced;
  std::string new_keys = "(SELECT " + Join(pk, ", ") + " FROM parsed WHERE ok)";
  if (current && !options.full_refresh && dedup && !current->files.empty()) {
    std::vector<std::string> old_paths;
    std::map<std::string, std::string> partition_of;  // local path -> partition
    for (const auto& f : current->files) {
      std::string p = LocalPathOf(lake_, f.key);
      old_paths.push_back(QuoteLiteral(p));
      partition_of[p] = f.partition;
    }
    for (const auto& r :
         conn.Query("SELECT DISTINCT o.filename FROM read_parquet([" + Join(old_paths, ", ") +
                    "], filename = true, hive_partitioning = true) o SEMI JOIN " + new_keys +
                    " n USING (" + Join(pk, ", ") + ")")
             .Rows()) {
      touched.insert(partition_of[r[0].value_or("")]);
    }
  }
  if (current && !options.full_refresh) {
    for (const auto& f : current->files) {
      bool rewrite = dedup && touched.count(f.partition);
      (rewrite ? replaced : kept).push_back(f);
    }
  }
  std::string final_rows = new_rows;
  if (!replaced.empty()) {
    std::vector<std::string> old_paths;
    for (const auto& f : replaced) old_paths.push_back(QuoteLiteral(LocalPathOf(lake_, f.key)));
    final_rows += " UNION ALL SELECT " + Join(data_columns, ", ") + partition_select +
                  " FROM read_parquet([" + Join(old_paths, ", ") +
                  "], hive_partitioning = true) o ANTI JOIN " + new_keys + " n USING (" +
                  Join(pk, ", ") + ")";
  }

  step("duplicates and touched partitions");
  // Counts per file: good rows, less the duplicates dropped, were written.
  std::map<std::string, uint64_t> good_per_file, losers_per_file;
  for (const auto& r :
       conn.Query("SELECT filename, count(*) FILTER (WHERE ok) FROM parsed GROUP BY ALL").Rows()) {
    good_per_file[by_path[r[0].value_or("")]->raw_key] = ToU64(r[1]);
  }
  if (dedup) {
    for (const auto& r : conn.Query("SELECT filename, count(*) FROM losers GROUP BY ALL").Rows()) {
      losers_per_file[by_path[r[0].value_or("")]->raw_key] = ToU64(r[1]);
    }
  }
  for (auto& [key, fc] : counts) {
    fc.duplicates_dropped = losers_per_file[key];
    fc.rows_written = good_per_file[key] - fc.duplicates_dropped;
    result.totals.rows_read += fc.rows_read;
    result.totals.rows_written += fc.rows_written;
    result.totals.rows_rejected += fc.rows_rejected;
    result.totals.duplicates_dropped += fc.duplicates_dropped;
  }
  for (const auto& f : files) result.files.push_back(counts[f.raw_key]);

  // Rejects go out whatever happens next: they are how a user finds out what was wrong.
  std::string work = location_path + "/.tmp-" + result.run_id;
  fs::create_directories(work);
  struct RemoveWork {
    std::string path;
    ~RemoveWork() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } remove_work{work};
  if (!result.rejects.empty()) {
    conn.Execute(
        "CREATE TABLE rejects (source_file VARCHAR, line BIGINT, end_line BIGINT, \"column\" "
        "VARCHAR,"
        " rule VARCHAR, message VARCHAR, value VARCHAR, raw_line VARCHAR)");
    conn.Execute("BEGIN");
    auto insert = conn.Prepare("INSERT INTO rejects VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    for (const auto& r : result.rejects) {
      insert.Execute({r.raw_key, static_cast<int64_t>(r.line), static_cast<int64_t>(r.end_line),
                      r.column, r.rule, r.message, r.value, r.raw_line});
    }
    conn.Execute("COMMIT");
    result.rejects_prefix = "rejects/" + mapping.table + "/run_id=" + result.run_id + "/";
    std::string local = work + "/rejects.parquet";
    conn.Execute("COPY (SELECT * FROM rejects ORDER BY source_file, line, \"column\") TO " +
                 QuoteLiteral(local) + " (FORMAT parquet, COMPRESSION zstd)");
    auto writer = lake_.Create(result.rejects_prefix + "part-0.parquet");
    writer->Append(ReadFile(local));
    writer->Publish();
  }

  double reject_rate = result.totals.rows_read == 0
                           ? 0
                           : static_cast<double>(result.totals.rows_rejected) /
                                 static_cast<double>(result.totals.rows_read);
  auto record_run = [&](const std::string& status, int64_t snapshot_id,
                        const std::string& message) {
    catalog_.db()
        .Prepare(
            "INSERT OR REPLACE INTO transform_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(1, result.run_id)
        .Bind(2, dataset.name)
        .Bind(3, status)
        .Bind(4, started_at)
        .Bind(5, UtcNowIso())
        .Bind(6, int64_t{options.full_refresh})
        .Bind(7, snapshot_id)
        .Bind(8, static_cast<int64_t>(result.totals.rows_read))
        .Bind(9, static_cast<int64_t>(result.totals.rows_written))
        .Bind(10, static_cast<int64_t>(result.totals.rows_rejected))
        .Bind(11, static_cast<int64_t>(result.totals.duplicates_dropped))
        .Bind(12, message)
        .Run();
    auto insert = catalog_.db().Prepare(
        "INSERT OR REPLACE INTO transform_file_counts VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& fc : result.files) {
      insert.Bind(1, result.run_id)
          .Bind(2, fc.raw_key)
          .Bind(3, static_cast<int64_t>(fc.rows_read))
          .Bind(4, static_cast<int64_t>(fc.rows_written))
          .Bind(5, static_cast<int64_t>(fc.rows_rejected))
          .Bind(6, static_cast<int64_t>(fc.duplicates_dropped));
      insert.Run();
    }
  };
  if (reject_rate > options.max_reject_rate) {
    std::string message =
        fmt::format("{} of {} rows refused ({:.2f}%), more than --max-reject-rate {:.2f}%",
                    result.totals.rows_rejected, result.totals.rows_read, reject_rate * 100,
                    options.max_reject_rate * 100);
    SqliteTransaction tx(catalog_.db());
    record_run("failed", current ? current->id : 0, message);
    tx.Commit();
    throw TooManyRejects(ErrorCode::kData, message + "; nothing was published", result.table,
                         "see the rejects in " + result.rejects_prefix +
                             " (shoplake query will read them); fix the source or raise "
                             "--max-reject-rate");
  }

  step("counts and rejects");
  CrashPoint("transform.before_write");
  // Write the Parquet files of the partitions this run rewrites or adds, then move them
  // into the table's folder under names no snapshot uses yet.
  std::string data_dir = work + "/data";
  std::string select = "SELECT " + Join(data_columns, ", ");
  for (const auto& p : mapping.partition_by) {
    if (!IsColumnPartition(p)) select += ", " + QuoteIdentifier(p.name);
  }
  select += " FROM (" + final_rows + ")";
  std::string file_pattern = "part-" + result.run_id + "-{i}";
  if (mapping.partition_by.empty()) {
    fs::create_directories(data_dir);
    conn.Execute("COPY (" + select + ") TO " +
                 QuoteLiteral(data_dir + "/part-" + result.run_id + "-0.parquet") +
                 " (FORMAT parquet, COMPRESSION zstd)");
  } else {
    std::vector<std::string> keys;
    for (const auto& p : mapping.partition_by) keys.push_back(QuoteIdentifier(p.name));
    conn.Execute("COPY (" + select + ") TO " + QuoteLiteral(data_dir) +
                 " (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (" + Join(keys, ", ") +
                 "), FILENAME_PATTERN " + QuoteLiteral(file_pattern) + ")");
  }
  step("write Parquet");
  std::vector<catalog::SnapshotFile> written;
  {
    std::vector<std::string> local_files;
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
    for (const auto& p : local_files) {
      std::string relative = fs::relative(p, data_dir).generic_string();
      std::string partition =
          relative.find('/') == std::string::npos ? "" : relative.substr(0, relative.rfind('/'));
      std::string key = location + relative;
      fs::path target = LocalPathOf(lake_, key);
      fs::create_directories(target.parent_path());
      // Same file system (the work folder is inside the table's folder): an atomic rename.
      fs::rename(p, target);
      written.push_back({key, partition, rows_of[p], static_cast<uint64_t>(fs::file_size(target))});
    }
  }

  step("move files into place");
  CrashPoint("transform.before_commit");
  // Commit: the snapshot, the bookmark and the counts, in one transaction.
  {
    SqliteTransaction tx(catalog_.db());
    catalog::Table spec;
    spec.database = mapping.database;
    spec.name = mapping.table;
    spec.location = location;
    spec.owner = "transform";
    for (const auto& c : mapping.columns) {
      bool is_key = std::any_of(
          mapping.partition_by.begin(), mapping.partition_by.end(),
          [&](const PartitionSpec& p) { return IsColumnPartition(p) && p.from == c.name; });
      if (!is_key) spec.columns.push_back({c.name, SqlType(c), c.nullable});
    }
    for (const auto& p : mapping.partition_by) {
      const ColumnSpec* from = mapping.Column(p.from);
      std::string type = p.part == PartitionSpec::Part::kValue && from ? SqlType(*from) : "INTEGER";
      spec.partition_keys.push_back({p.name, type, false});
    }
    catalog::Table stored = catalog_.RegisterTable(spec);
    std::vector<catalog::SnapshotFile> snapshot_files = kept;
    snapshot_files.insert(snapshot_files.end(), written.begin(), written.end());
    std::sort(snapshot_files.begin(), snapshot_files.end(),
              [](const auto& a, const auto& b) { return a.key < b.key; });
    std::string operation = options.full_refresh ? "overwrite"
                            : replaced.empty()   ? "append"
                                                 : "merge";
    result.snapshot_id =
        catalog_.CommitSnapshot(stored.id, result.run_id, operation, snapshot_files);
    std::map<std::string, catalog::Partition> partitions;
    std::vector<std::string> paths;
    for (const auto& f : snapshot_files) {
      paths.push_back(LocalPathOf(lake_, f.key));
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
    catalog_.SyncPartitions(stored.id, present, true);
    catalog_.RecordStats(result.snapshot_id, catalog::ParquetStats(paths, stored.columns));
    for (const auto& f : snapshot_files) result.table_rows += f.rows;
    if (options.full_refresh) {
      catalog_.db()
          .Prepare("DELETE FROM transform_bookmarks WHERE dataset = ?")
          .Bind(1, dataset.name)
          .Run();
    }
    auto bookmark =
        catalog_.db().Prepare("INSERT OR REPLACE INTO transform_bookmarks VALUES (?, ?, ?)");
    for (const auto& f : files) {
      bookmark.Bind(1, dataset.name).Bind(2, f.raw_key).Bind(3, result.run_id);
      bookmark.Run();
    }
    record_run("committed", result.snapshot_id, "");
    tx.Commit();
    result.committed = true;
  }
  CrashPoint("transform.after_commit");
  // The files the new snapshot no longer lists (older snapshots still do, for history;
  // readers of folders must see only the current ones).
  if (current) {
    std::set<std::string> now;
    for (const auto& f : written) now.insert(f.key);
    for (const auto& f : kept) now.insert(f.key);
    for (const auto& f : current->files) {
      if (!now.count(f.key)) lake_.Delete(f.key);
    }
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace shoplake::transform
