// The crawler (crawler.h): Crawler::Run at the end groups the lake's files into tables by
// folder, crawls each (CrawlRun: sample the columns, choose them, list the files, commit),
// then empties the tables whose folders are gone.
#include "crawl/crawler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "catalog/columns.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "db/duckdb.h"
#include "lake/local_cache.h"

namespace shoplake::crawl {

using catalog::Catalog;
using catalog::Column;
using catalog::ParquetStats;
using catalog::Partition;
using catalog::Snapshot;
using catalog::SnapshotFile;
using catalog::Table;
using catalog::Widens;

namespace {

using db::QuoteLiteral;

// A table as the folders show it.
struct Group {
  std::string database, name, format, location;
  std::vector<lake::ObjectInfo> files;
  std::map<std::string, std::string> partition_of;        // key -> "k=v/k=v"
  std::map<std::string, std::string> partition_location;  // spec -> key prefix
  std::vector<std::string> partition_keys;                // in folder order
};

bool IsKeyValue(const std::string& segment) {
  size_t eq = segment.find('=');
  return eq != std::string::npos && eq > 0;
}

// A name fit for SQL: lower case, letters, digits and underscores.
std::string Identifier(const std::string& text) {
  std::string out;
  for (char c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "t_" + out;
  return out;
}

std::vector<std::string> Split(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = key.find('/', start)) != std::string::npos; start = slash + 1) {
    parts.push_back(key.substr(start, slash - start));
  }
  parts.push_back(key.substr(start));
  return parts;
}

std::string JoinPath(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) out += (out.empty() ? "" : "/") + parts[i];
  return out;
}

// Places a file in its table: database, table, location and partition, by the zone's layout.
void Place(const lake::ObjectInfo& object, std::map<std::string, Group>& groups) {
  const std::string& key = object.key;
  std::string format = key.ends_with(".parquet") ? "parquet" : key.ends_with(".csv") ? "csv" : "";
  if (format.empty()) return;
  auto parts = Split(key);
  std::string database, name;
  size_t first_partition = 0;  // index of the first segment inside the table's folder
  if (parts[0] == "processed" && parts.size() >= 4) {
    database = parts[1];
    name = parts[2];
    first_partition = 3;
  } else if (parts[0] == "rejects" && parts.size() >= 3) {
    database = "rejects";
    name = parts[1];
    first_partition = 2;
  } else if (parts[0] == "raw" && parts.size() >= 3) {
    // raw/<source>/[k=v/...]<folder>/...: the first plain folder names the table.
    database = "raw_" + parts[1];
    size_t i = 2;
    while (i + 1 < parts.size() && IsKeyValue(parts[i])) ++i;
    name = i + 1 < parts.size() ? parts[i] : parts[1];
    first_partition = 2;
  } else {
    return;
  }
  database = Identifier(database);
  name = Identifier(name);
  std::string id = database + "." + name;
  Group& g = groups[id];
  g.database = database;
  g.name = name;
  if (g.format.empty()) g.format = format;
  if (g.format != format) return;  // a stray file of another format: not this table's
  g.location = JoinPath(parts, 0, first_partition) + "/";
  std::vector<std::string> keys, values;
  size_t i = first_partition;
  while (i + 1 < parts.size() && IsKeyValue(parts[i])) {
    keys.push_back(parts[i].substr(0, parts[i].find('=')));
    values.push_back(parts[i]);
    ++i;
  }
  if (g.files.empty()) g.partition_keys = keys;
  if (keys != g.partition_keys) {
    spdlog::warn("{}: partition keys differ from the table's ({}): left out", key, id);
    return;
  }
  std::string spec = JoinPath(values, 0, values.size());
  g.files.push_back(object);
  g.partition_of[key] = spec;
  // The partition's folder: its key=value segments and, in raw, the table's folder.
  g.partition_location[spec] = JoinPath(parts, 0, parts.size() - 1) + "/";
}

std::string Fingerprint(const Group& g) {
  std::string text;
  for (const auto& f : g.files)
    text += fmt::format("{} {} {}\n", f.key, f.size, f.modified_unix_ms);
  return HexEncode(Sha256(text));
}

// The type both values fit: the wider one, else VARCHAR.
std::string Unify(const std::string& a, const std::string& b) {
  if (a == b) return a;
  if (Widens(a, b)) return b;
  if (Widens(b, a)) return a;
  return "VARCHAR";
}

// Partition values' type: INTEGER, BIGINT, DATE, else VARCHAR.
std::string PartitionType(const std::vector<std::string>& values) {
  bool ints = !values.empty(), dates = !values.empty(), big = false;
  for (const auto& v : values) {
    bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    ints = ints && digits;
    big = big || (digits && v.size() > 9);
    dates = dates && IsIsoDate(v);
  }
  if (ints) return big ? "BIGINT" : "INTEGER";
  if (dates) return "DATE";
  return "VARCHAR";
}

// Columns of `files`, merged by name in first-seen order.
std::vector<Column> InferColumns(db::Connection& conn, const std::vector<std::string>& paths,
                                 const std::string& format) {
  std::vector<Column> columns;
  for (const auto& path : paths) {
    std::string scan =
        format == "parquet"
            ? "read_parquet(" + QuoteLiteral(path) + ", hive_partitioning = false)"
            : "read_csv(" + QuoteLiteral(path) +
                  ", sample_size = 20000, ignore_errors = true, strict_mode = false, "
                  "hive_partitioning = false)";
    std::vector<std::vector<std::optional<std::string>>> rows;
    try {
      rows =
          conn.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + scan + ")")
              .Rows();
    } catch (const Error& e) {
      spdlog::warn("{}: schema not inferred: {}", path, e.what());
      continue;
    }
    for (const auto& r : rows) {
      std::string name = r[0].value_or(""), type = r[1].value_or("VARCHAR");
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const Column& c) { return c.name == name; });
      if (it == columns.end()) {
        columns.push_back({name, type, true});
      } else {
        it->type = Unify(it->type, type);
      }
    }
  }
  return columns;
}

struct SchemaDiff {
  std::vector<std::string> added, widened, removed, retyped;
  bool compatible() const { return removed.empty() && retyped.empty(); }
  bool empty() const {
    return added.empty() && widened.empty() && removed.empty() && retyped.empty();
  }
  std::string Json() const {
    return nlohmann::json{
        {"added", added}, {"widened", widened}, {"removed", removed}, {"retyped", retyped}}
        .dump();
  }
  std::string Text() const {
    std::string out;
    auto add = [&](const char* what, const std::vector<std::string>& items) {
      if (items.empty()) return;
      std::string list;
      for (const auto& i : items) list += (list.empty() ? "" : ", ") + i;
      out += (out.empty() ? "" : "; ") + std::string(what) + " " + list;
    };
    add("added", added);
    add("widened", widened);
    add("removed", removed);
    add("retyped", retyped);
    return out;
  }
};

// How `seen` (the columns of the files read) differs from the table's `current` ones;
// `merged` gets the current columns with the compatible changes applied.
SchemaDiff Diff(const std::vector<Column>& current, const std::vector<Column>& seen,
                std::vector<Column>& merged) {
  SchemaDiff d;
  merged = current;
  for (const auto& c : seen) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const Column& m) { return m.name == c.name; });
    if (it == merged.end()) {
      merged.push_back(c);
      d.added.push_back(c.name + " " + c.type);
    } else if (it->type != c.type) {
      if (Widens(it->type, c.type)) {
        d.widened.push_back(c.name + " " + it->type + " -> " + c.type);
        it->type = c.type;
      } else if (!Widens(c.type, it->type)) {
        d.retyped.push_back(c.name + " " + it->type + " -> " + c.type);
      }
    }
  }
  if (!seen.empty()) {
    for (const auto& c : current) {
      if (std::none_of(seen.begin(), seen.end(),
                       [&](const Column& s) { return s.name == c.name; })) {
        d.removed.push_back(c.name);
      }
    }
  }
  return d;
}

// Rows of each Parquet file at `paths`, by path, from the footers.
std::map<std::string, uint64_t> ParquetRowsPerFile(db::Connection& conn,
                                                   const std::vector<std::string>& paths) {
  std::string list;
  for (const auto& p : paths) list += (list.empty() ? "" : ", ") + QuoteLiteral(p);
  std::map<std::string, uint64_t> rows_of;
  for (const auto& r :
       conn.Query("SELECT file_name, num_rows FROM parquet_file_metadata([" + list + "])").Rows()) {
    rows_of[r[0].value_or("")] = r[1] ? std::stoull(*r[1]) : 0;
  }
  return rows_of;
}

// Fills in the checksum of each file a crawl's snapshot lists (what `shoplake verify` checks):
// the current snapshot's for a file it lists with the same size, so a crawl never takes a
// changed file's bytes for the committed ones; else the SHA-256 of its bytes, read through
// `local` (the lake's file, or a copy in the cache).
void AddChecksums(std::vector<SnapshotFile>& files, const std::optional<Snapshot>& current,
                  const std::function<std::string(const std::string&)>& local) {
  std::map<std::string, const SnapshotFile*> known;
  if (current) {
    for (const auto& f : current->files) known[f.key] = &f;
  }
  for (auto& f : files) {
    auto it = known.find(f.key);
    if (it != known.end() && it->second->bytes == f.bytes && !it->second->sha256.empty()) {
      f.sha256 = it->second->sha256;
    } else {
      f.sha256 = FileSha256(local(f.key));
    }
  }
}

// A table folder as one crawl handles it, step by step.
struct TableCrawl {
  std::string id;  // "<db>.<table>"
  Group& group;
  std::string fingerprint;              // of its files (Fingerprint)
  std::optional<Table> existing;        // as the catalog has it; none for a new table
  std::optional<Snapshot> current{};    // the existing table's current snapshot
  Table table{};                        // as this crawl registers it
  std::string change{};                 // the schema's diff as JSON; empty when none
  std::string action{}, detail{};       // what the report says of it
  std::vector<SnapshotFile> files{};    // its new snapshot's files
  std::vector<Partition> partitions{};  // the partitions they make (none when unpartitioned)
};

// The table a group of files makes, as the crawler registers it (columns not yet set): its
// partition keys typed by the values in its folder names.
Table TableOf(const Group& g) {
  Table table;
  table.database = g.database;
  table.name = g.name;
  table.location = g.location;
  table.format = g.format;
  table.owner = "crawler";
  for (size_t k = 0; k < g.partition_keys.size(); ++k) {
    std::vector<std::string> values;
    for (const auto& [spec, loc] : g.partition_location) {
      auto parts = Split(spec);
      if (k < parts.size()) values.push_back(parts[k].substr(parts[k].find('=') + 1));
    }
    table.partition_keys.push_back({g.partition_keys[k], PartitionType(values), false});
  }
  return table;
}

// The columns of `t`'s table: a new table's are those `seen`; an existing one's change by
// Glue's policy (crawler.h). Fills t.table.columns, t.change and t.detail; false when the
// change is incompatible and `update_incompatible` does not apply it (t.detail says so).
bool ChooseColumns(TableCrawl& t, const std::vector<Column>& seen, bool update_incompatible) {
  const Group& g = t.group;
  if (!t.existing) {
    t.table.columns = seen;
    t.detail = fmt::format("{} columns, {} partitions, {} files", seen.size(),
                           g.partition_location.size(), g.files.size());
    return true;
  }
  std::vector<Column> merged;
  SchemaDiff diff = Diff(t.existing->columns, seen, merged);
  if (!diff.compatible() && !update_incompatible) {
    t.detail = "incompatible schema change (" + diff.Text() + "): table left at version " +
               std::to_string(t.existing->version) + "; --update-incompatible applies it";
    spdlog::warn("{}: {}", t.id, t.detail);
    return false;
  }
  if (!diff.compatible()) {
    // Applied on request: the files' columns as read, removed ones dropped.
    merged.erase(std::remove_if(merged.begin(), merged.end(),
                                [&](const Column& c) {
                                  return std::none_of(
                                      seen.begin(), seen.end(),
                                      [&](const Column& s) { return s.name == c.name; });
                                }),
                 merged.end());
    for (auto& m : merged) {
      for (const auto& s : seen) {
        if (s.name == m.name) m.type = s.type;
      }
    }
  }
  t.table.columns = merged;
  if (!diff.empty()) t.change = diff.Json();
  t.detail = diff.empty() ? fmt::format("{} files", g.files.size()) : diff.Text();
  return true;
}

// One crawl as its steps share it: the options, the report so far, the run id its snapshots
// carry, and the DuckDB connection (opened on first use) and cache it reads files through.
class CrawlRun {
 public:
  CrawlRun(lake::Store& lake, Catalog& catalog, const CrawlOptions& options, CrawlReport& report)
      : catalog_(catalog), options_(options), report_(report), cache_(lake) {}

  // Crawls the table folder `g` (named `id`) and reports what it did.
  void CrawlTable(const std::string& id, Group& g) {
    TableCrawl t{.id = id,
                 .group = g,
                 .fingerprint = Fingerprint(g),
                 .existing = catalog_.FindTable(g.database, g.name)};
    if (t.existing && t.existing->owner != "crawler") {
      report_.tables.push_back(
          {id, "skipped", "owned by " + t.existing->owner + ", which keeps it up to date"});
      return;
    }
    if (!options_.recrawl_all && catalog_.CrawlFingerprint(id) == t.fingerprint) {
      report_.tables.push_back({id, "unchanged", ""});
      return;
    }
    if (t.existing) t.current = catalog_.CurrentSnapshot(t.existing->id);
    std::vector<Column> seen = SampleColumns(t);
    t.table = TableOf(g);
    t.action = t.existing ? "updated" : "created";
    if (!ChooseColumns(t, seen, options_.update_incompatible)) {
      report_.tables.push_back({id, "incompatible", t.detail});
      return;
    }
    ListFiles(t);
    Commit(t);
  }

  // The crawler's tables under `prefixes` whose folders are gone (none in `groups`): every
  // partition deleted, and a snapshot without files.
  void CrawlVanished(const std::map<std::string, Group>& groups,
                     const std::vector<std::string>& prefixes) {
    for (const auto& t : catalog_.Tables()) {
      if (t.owner != "crawler" || groups.count(t.database + "." + t.name)) continue;
      bool crawled = std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
        return t.location.rfind(p, 0) == 0 || p.rfind(t.location, 0) == 0;
      });
      if (!crawled) continue;
      db::SqliteTransaction tx(catalog_.db());
      auto current = catalog_.CurrentSnapshot(t.id);
      if (current && !current->files.empty()) catalog_.CommitSnapshot(t.id, run_id_, "crawl", {});
      auto [added, deleted] = catalog_.SyncPartitions(t.id, {}, options_.mark_deleted);
      report_.partitions_deleted += deleted;
      catalog_.SetCrawlFingerprint(t.database + "." + t.name, "");
      tx.Commit();
      report_.tables.push_back(
          {t.database + "." + t.name, "updated",
           "its folder is gone: no files; partitions -" + std::to_string(deleted)});
    }
  }

 private:
  db::Connection& DuckDb() {
    if (!conn_) {
      db_ =
          std::make_unique<db::Database>(":memory:", std::map<std::string, std::string>{}, "crawl");
      conn_ = std::make_unique<db::Connection>(*db_);
    }
    return *conn_;
  }

  // DuckDB reads local files: the lake's own, or copies in the cache for a remote lake.
  std::string Local(const std::string& key) { return cache_.ReadablePath(key); }

  // The columns of the files to read: all for a new table or a full recrawl, else those no
  // snapshot lists; a few of them when there are many.
  std::vector<Column> SampleColumns(const TableCrawl& t) {
    std::set<std::string> known;
    if (t.current) {
      for (const auto& f : t.current->files) known.insert(f.key);
    }
    bool complete = !t.existing || options_.recrawl_all;
    std::vector<std::string> sample;
    for (const auto& f : t.group.files) {
      if (complete || !known.count(f.key)) sample.push_back(Local(f.key));
    }
    // Sampling: a few files spread over the folder say what the others hold.
    constexpr size_t kSampleFiles = 8;
    if (sample.size() > kSampleFiles) {
      std::vector<std::string> spread;
      for (size_t i = 0; i < kSampleFiles; ++i)
        spread.push_back(sample[i * (sample.size() - 1) / (kSampleFiles - 1)]);
      sample = spread;
    }
    std::vector<Column> seen =
        sample.empty() ? std::vector<Column>{} : InferColumns(DuckDb(), sample, t.group.format);
    report_.files_read += static_cast<int>(sample.size());
    return seen;
  }

  // The new snapshot's files, with their rows (from the Parquet footers; CSV row counts are
  // not known without reading) and checksums, and the partitions they make.
  void ListFiles(TableCrawl& t) {
    Group& g = t.group;
    std::map<std::string, uint64_t> rows_of;
    if (g.format == "parquet") {
      std::vector<std::string> paths;
      for (const auto& f : g.files) paths.push_back(Local(f.key));
      report_.files_read += static_cast<int>(g.files.size());
      rows_of = ParquetRowsPerFile(DuckDb(), paths);
    }
    std::map<std::string, Partition> partitions;
    for (const auto& f : g.files) {
      uint64_t rows = rows_of[Local(f.key)];
      const std::string& spec = g.partition_of[f.key];
      t.files.push_back({f.key, spec, rows, f.size});
      Partition& p = partitions[spec];
      p.spec = spec;
      p.location = g.partition_location[spec];
      ++p.files;
      p.rows += rows;
      p.bytes += f.size;
    }
    for (auto& [spec, p] : partitions) {
      if (!spec.empty()) t.partitions.push_back(p);
    }
    AddChecksums(t.files, t.current, [&](const std::string& key) { return Local(key); });
  }

  // Registers the table, commits a snapshot when its files changed (with their statistics),
  // syncs its partitions and records the fingerprint, in one transaction; then reports it.
  void Commit(TableCrawl& t) {
    db::SqliteTransaction tx(catalog_.db());
    Table stored = catalog_.RegisterTable(t.table, t.change);
    if (t.existing && stored.version != t.existing->version) t.action = "updated";
    const auto& current = t.current;
    bool files_changed = !current || current->files.size() != t.files.size() ||
                         !std::equal(t.files.begin(), t.files.end(), current->files.begin(),
                                     [](const SnapshotFile& a, const SnapshotFile& b) {
                                       return a.key == b.key && a.bytes == b.bytes;
                                     });
    if (files_changed) {
      int64_t snapshot = catalog_.CommitSnapshot(stored.id, run_id_, "crawl", t.files);
      if (t.group.format == "parquet") {
        std::vector<std::string> paths;
        for (const auto& f : t.files) paths.push_back(Local(f.key));
        catalog_.RecordStats(snapshot, ParquetStats(paths, stored.columns));
      }
    }
    auto [added, deleted] = catalog_.SyncPartitions(stored.id, t.partitions, options_.mark_deleted);
    report_.partitions_added += added;
    report_.partitions_deleted += deleted;
    catalog_.SetCrawlFingerprint(t.id, t.fingerprint);
    tx.Commit();
    if (t.existing && t.change.empty() && !files_changed && added == 0 && deleted == 0)
      t.action = "unchanged";
    if (added || deleted)
      t.detail += fmt::format("{}partitions +{} -{}", t.detail.empty() ? "" : "; ", added, deleted);
    report_.tables.push_back({t.id, t.action, t.detail});
  }

  Catalog& catalog_;
  const CrawlOptions& options_;
  CrawlReport& report_;
  const std::string run_id_ = "crawl-" + NewRunId();
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<db::Connection> conn_;
  lake::LocalCache cache_;
};

// Groups the files under `prefixes` into tables by folder (Place).
std::map<std::string, Group> GroupFiles(lake::Store& lake,
                                        const std::vector<std::string>& prefixes) {
  std::map<std::string, Group> groups;
  for (const auto& prefix : prefixes) {
    for (const auto& object : lake.List(prefix)) Place(object, groups);
  }
  return groups;
}

}  // namespace

Crawler::Crawler(lake::Store& lake, Catalog& catalog) : lake_(lake), catalog_(catalog) {}

CrawlReport Crawler::Run(const CrawlOptions& options) {
  auto started = std::chrono::steady_clock::now();
  CrawlReport report;
  // Crawls take turns; SQLite lets the catalog's readers go on meanwhile.
  auto lock = lake_.Acquire("catalog-crawl", options.lock_wait);
  std::vector<std::string> prefixes = options.paths;
  if (prefixes.empty()) prefixes = {"processed/", "raw/", "rejects/"};
  std::map<std::string, Group> groups = GroupFiles(lake_, prefixes);
  CrawlRun run(lake_, catalog_, options, report);
  for (auto& [id, g] : groups) run.CrawlTable(id, g);
  run.CrawlVanished(groups, prefixes);
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace shoplake::crawl
