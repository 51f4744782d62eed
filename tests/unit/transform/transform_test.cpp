// The transform against the simulator's exports, checked by the fault manifest: every
// injected fault is refused with the right rule, file and line; every clean row arrives,
// typed; the counts reconcile; re-runs, bookmarks, new versions and the reject limit.
//
// The lake is built the way the pipeline builds it: simulate -> ingest (from the export
// folder) -> transform with the pipeline's own mappings (pipeline/mappings/*.yaml). Files no
// simulator writes (a 40 MB field, a quiet day's empty export, a header with a BOM, in
// UTF-16 or Latin-1, no header at all) are written by the tests themselves.
#include "transform/transform.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "catalog/catalog.h"
#include "common/error.h"
#include "common/files.h"
#include "db/duckdb.h"
#include "ingest/ingestor.h"
#include "ingest/ledger.h"
#include "lake/local_store.h"
#include "simulate/generator.h"
#include "support/temp_folder.h"

namespace shoplake::transform {
namespace {
namespace fs = std::filesystem;
using db::QuoteLiteral;

const fs::path kMappings = fs::path(SHOPLAKE_SOURCE_DIR) / "pipeline" / "mappings";

DatasetSpec Dataset(const std::string& name) {
  return {name, "shop", name + "/*.csv", "pipeline/mappings/" + name + ".yaml"};
}

// A lake fed from one simulated export.
class Lake {
 public:
  explicit Lake(const fs::path& root) : root_(root), store_(root / "lake") {
    fs::create_directories(root / "lake/_catalog");
    catalog_ = std::make_unique<catalog::Catalog>((root / "lake/_catalog/catalog.db").string());
  }

  void Simulate(double dirty_rate, uint64_t seed = 5, int days = 4, uint64_t orders = 2500) {
    simulate::GeneratorOptions o;
    o.shop.seed = seed;
    o.shop.days = days;
    o.shop.start = "2026-03-30";  // two months, so two partitions
    o.shop.orders = orders;
    o.dirty_rate = dirty_rate;
    o.out = root_ / "exports";
    o.force = true;
    o.progress = false;
    simulate::Generate(o);
    manifest_ = nlohmann::json::parse(ReadFile(root_ / "exports/_manifest.json"));
  }

  void Ingest(const std::string& date = "2026-11-27") {
    ingest::IngestLedger ledger((root_ / "lake/_catalog/catalog.db").string());
    ingest::IngestOptions o;
    o.source_name = "shop";
    o.ingest_date = date;
    o.progress = false;
    auto source = ingest::OpenSource((root_ / "exports").string());
    ingest::Ingestor(store_, ledger, o).Run(*source);
  }

  TransformResult Transform(const std::string& dataset, TransformOptions options = {}) {
    Transformer transformer(store_, *catalog_);
    return transformer.Run(Dataset(dataset), LoadMapping(kMappings / (dataset + ".yaml")), options);
  }

  // The whole pipeline on a fresh shop: simulate, ingest, transform products, customers and
  // orders (in dependency order). Returns the orders' result.
  TransformResult Build(double dirty_rate) {
    Simulate(dirty_rate);
    Ingest();
    Transform("products");
    Transform("customers");
    return Transform("orders");
  }

  // The table's current rows, as DuckDB reads its snapshot's files.
  std::string TableSql(const std::string& table) {
    auto t = catalog_->FindTable("shop", table);
    auto s = catalog_->CurrentSnapshot(t->id);
    std::string files;
    for (const auto& f : s->files) {
      files += (files.empty() ? "" : ", ") + QuoteLiteral((root_ / "lake" / f.key).string());
    }
    return "read_parquet([" + files + "], hive_partitioning = true)";
  }

  const nlohmann::json& manifest() const { return manifest_; }
  catalog::Catalog& catalog() { return *catalog_; }
  lake::LocalStore& store() { return store_; }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  lake::LocalStore store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  nlohmann::json manifest_;
};

class TransformTest : public ::testing::Test {
 protected:
  ::shoplake::testing::TempFolder folder_{"shoplake-transform"};
};

TransformOptions MaxRejectRate(double rate) {
  TransformOptions o;
  o.max_reject_rate = rate;
  return o;
}
TransformOptions FullRefresh() {
  TransformOptions o;
  o.full_refresh = true;
  return o;
}
TransformOptions DryRun() {
  TransformOptions o;
  o.dry_run = true;
  return o;
}

std::string RawKey(const std::string& file) { return "raw/shop/ingest_date=2026-11-27/" + file; }

TEST_F(TransformTest, EveryFaultIsRefusedWithItsRuleFileAndLineAndTheCountsReconcile) {
  Lake lake(folder_.path() / "dirty");
  TransformResult result = lake.Build(0.04);
  ASSERT_TRUE(result.committed);

  // What the manifest says each reject must be, by (raw key, line).
  struct Expected {
    std::string kind, field;
    uint64_t through = 0;
  };
  std::map<std::pair<std::string, uint64_t>, Expected> expected;
  std::map<std::string, uint64_t> duplicates;  // per raw key
  std::map<std::string, uint64_t> swallowed;   // lines inside a broken quote's record
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> broken;  // [line, through]
  for (auto& [kind, entry] : lake.manifest()["faults"].items()) {
    if (kind != "unterminated_quote") continue;
    for (const auto& l : entry["lines"]) {
      broken[RawKey(l["file"])].push_back({l["line"], l["through_line"]});
      swallowed[RawKey(l["file"])] += l["through_line"].get<uint64_t>() - l["line"].get<uint64_t>();
    }
  }
  auto inside_broken = [&](const std::string& key, uint64_t line) {
    for (auto [from, to] : broken[key]) {
      if (line > from && line <= to) return true;
    }
    return false;
  };
  for (auto& [kind, entry] : lake.manifest()["faults"].items()) {
    for (const auto& l : entry["lines"]) {
      std::string key = RawKey(l["file"]);
      uint64_t line = l["line"];
      if (inside_broken(key, line)) continue;  // part of another record: refused with it
      if (kind == "duplicate_line") {
        ++duplicates[key];
        continue;
      }
      expected[{key, line}] = {kind, l.value("field", ""), l.value("through_line", uint64_t{0})};
    }
  }
  ASSERT_GT(expected.size(), 50u);

  // Rejects, by (raw key, line): the rules found there.
  std::map<std::pair<std::string, uint64_t>, std::vector<const Reject*>> found;
  for (const auto& r : result.rejects) found[{r.raw_key, r.line}].push_back(&r);
  for (const auto& [where, want] : expected) {
    SCOPED_TRACE(where.first + ":" + std::to_string(where.second) + " " + want.kind + " " +
                 want.field);
    auto it = found.find(where);
    ASSERT_NE(it, found.end()) << "not refused";
    const Reject& first = *it->second.front();
    if (want.kind == "unparseable_number") {
      EXPECT_EQ(first.rule, "type");
      EXPECT_EQ(first.column, want.field);
    } else if (want.kind == "missing_required_field") {
      EXPECT_EQ(first.rule, "not_null");
      EXPECT_EQ(first.column, want.field);
    } else if (want.kind == "negative_quantity") {
      EXPECT_EQ(first.rule, "min");
      EXPECT_EQ(first.column, "quantity");
    } else if (want.kind == "unterminated_quote") {
      EXPECT_EQ(first.rule.rfind("csv:", 0), 0u) << first.rule;
      EXPECT_EQ(first.end_line, want.through);
    } else if (want.kind == "invalid_utf8") {
      EXPECT_EQ(first.rule, "encoding");
    } else if (want.kind == "wrong_column_count") {
      EXPECT_TRUE(first.rule == "csv:too_many_columns" || first.rule == "csv:missing_columns")
          << first.rule;
    }
    if (want.kind != "unterminated_quote") {
      EXPECT_FALSE(first.raw_line.empty());
    }
  }
  for (const auto& [where, rejects] : found) {
    EXPECT_TRUE(expected.count(where)) << where.first << ":" << where.second << " refused ("
                                       << rejects.front()->rule << ") but clean";
  }

  // Per file: every line is a record read (or swallowed into one); read = written +
  // rejected + duplicates; the duplicates are the manifest's.
  uint64_t written = 0;
  for (const auto& f : result.files) {
    SCOPED_TRACE(f.raw_key);
    std::string file = f.raw_key.substr(std::string("raw/shop/ingest_date=2026-11-27/").size());
    uint64_t lines = 0;
    for (const auto& m : lake.manifest()["files"]) {
      if (m["path"] == file) lines = m["rows"];
    }
    EXPECT_EQ(f.rows_read + swallowed[f.raw_key], lines);
    EXPECT_EQ(f.rows_read, f.rows_written + f.rows_rejected + f.duplicates_dropped);
    EXPECT_EQ(f.duplicates_dropped, duplicates[f.raw_key]);
    uint64_t refused = 0;
    for (const auto& [where, want] : expected) refused += where.first == f.raw_key;
    EXPECT_EQ(f.rows_rejected, refused);
    written += f.rows_written;
  }
  EXPECT_EQ(result.totals.rows_written, written);

  // The catalog records the same counts.
  auto counts = lake.catalog().db().Prepare(
      "SELECT sum(rows_read), sum(rows_written), sum(rows_rejected), sum(duplicates_dropped)"
      " FROM transform_file_counts WHERE run_id = ?");
  counts.Bind(1, result.run_id);
  ASSERT_TRUE(counts.Step());
  EXPECT_EQ(static_cast<uint64_t>(counts.Int64(0)), result.totals.rows_read);
  EXPECT_EQ(static_cast<uint64_t>(counts.Int64(1)), result.totals.rows_written);

  // The Parquet: every written row, with the declared types, in year/month partitions;
  // and each row exactly a row of the same shop exported clean.
  Lake clean(folder_.path() / "clean");
  TransformResult clean_result = clean.Build(0);
  EXPECT_EQ(clean_result.totals.rows_rejected, 0u);
  EXPECT_EQ(clean_result.totals.duplicates_dropped, 0u);

  db::Database db;
  db::Connection conn(db);
  std::string dirty_table = lake.TableSql("order_lines");
  std::string clean_table = clean.TableSql("order_lines");
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + dirty_table).value(),
            std::to_string(written));
  auto types = conn.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " +
                          dirty_table + ")")
                   .Rows();
  std::map<std::string, std::string> type_of;
  for (const auto& r : types) type_of[r[0].value()] = r[1].value();
  EXPECT_EQ(type_of["order_id"], "BIGINT");
  EXPECT_EQ(type_of["order_ts"], "TIMESTAMP");
  EXPECT_EQ(type_of["unit_price"], "DECIMAL(12,2)");
  EXPECT_EQ(type_of["quantity"], "INTEGER");
  EXPECT_EQ(conn.QueryScalar("SELECT string_agg(DISTINCT year || '-' || month, ',' ORDER BY year "
                             "|| '-' || month) FROM " +
                             dirty_table)
                .value(),
            "2026-3,2026-4");
  std::vector<std::string> columns;
  for (const auto& [name, type] : type_of) {
    if (name != "year" && name != "month") columns.push_back(name);
  }
  std::string list;
  for (const auto& c : columns) list += (list.empty() ? "" : ", ") + db::QuoteIdentifier(c);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM (SELECT " + list + " FROM " + dirty_table +
                             " EXCEPT ALL SELECT " + list + " FROM " + clean_table + ")")
                .value(),
            "0")
      << "rows written that the clean shop does not have";
  // The clean rows missing from the dirty table are exactly the damaged and swallowed lines.
  uint64_t damaged = expected.size();
  for (const auto& [key, n] : swallowed) damaged += n;
  EXPECT_EQ(clean_result.totals.rows_written - written, damaged);
}

// DuckDB cuts a large file into pieces that threads parse side by side; small read buffers
// cut the test shop's files into many: every refused row keeps its rule and line, the counts
// and the table stay those of a file parsed in one piece.
TEST_F(TransformTest, LinesHoldWhenAFileIsParsedInManyPieces) {
  Lake whole(folder_.path() / "whole");
  Lake pieces(folder_.path() / "pieces");
  for (Lake* lake : {&whole, &pieces}) {
    lake->Simulate(0.04);
    lake->Ingest();
    lake->Transform("products");
    lake->Transform("customers");
  }
  TransformOptions small;
  small.csv_buffer_size = 16 << 10;
  small.threads = 4;
  TransformResult a = whole.Transform("orders");
  TransformResult b = pieces.Transform("orders", small);
  ASSERT_TRUE(a.committed);
  ASSERT_TRUE(b.committed);
  auto rejects_of = [](const TransformResult& r) {
    std::multiset<std::string> out;
    for (const auto& x : r.rejects) {
      out.insert(x.raw_key + ":" + std::to_string(x.line) + "-" + std::to_string(x.end_line) + " " +
                 x.column + " " + x.rule + " " + x.value);
    }
    return out;
  };
  EXPECT_GT(a.rejects.size(), 50u);
  EXPECT_TRUE(a.lines_confirmed);
  EXPECT_TRUE(b.lines_confirmed);
  EXPECT_EQ(rejects_of(b), rejects_of(a));
  std::map<std::string, FileCounts> counts;  // ingest may order the files differently
  for (const auto& f : a.files) counts[f.raw_key] = f;
  ASSERT_EQ(b.files.size(), a.files.size());
  for (const auto& f : b.files) {
    SCOPED_TRACE(f.raw_key);
    ASSERT_TRUE(counts.count(f.raw_key));
    EXPECT_EQ(f.rows_read, counts[f.raw_key].rows_read);
    EXPECT_EQ(f.rows_written, counts[f.raw_key].rows_written);
    EXPECT_EQ(f.rows_rejected, counts[f.raw_key].rows_rejected);
    EXPECT_EQ(f.duplicates_dropped, counts[f.raw_key].duplicates_dropped);
  }
  db::Database db;
  db::Connection conn(db);
  std::string ta = whole.TableSql("order_lines"), tb = pieces.TableSql("order_lines");
  for (const auto& [x, y] : {std::pair{ta, tb}, std::pair{tb, ta}}) {
    EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM (SELECT * FROM " + x +
                               " EXCEPT ALL SELECT * FROM " + y + ")")
                  .value(),
              "0");
  }
}

// A Windows export (CRLF) with blank lines, quoted line breaks and records the reader refuses
// (a cast, a byte that is not UTF-8) or a rule refuses: each reject names its physical line
// and its record as raw_line, whether the file is read in one piece or in many side by side
// (DuckDB counts a blank line as a record in its numbers, and starts a CRLF file's refused
// record at the "\n" before it). The expected lines are counted here as the file is written.
TEST_F(TransformTest, CrlfLinesHoldAroundBlankLinesAndQuotedLineBreaksInAnyPieces) {
  Lake lake(folder_.path());
  fs::create_directories(lake.root() / "exports/notes");
  std::string csv = "id,kind,text\r\n";
  std::multiset<std::string> expected;
  uint64_t line = 2;  // the next line: the header is line 1
  for (int id = 1; id <= 3000; ++id) {
    if (id % 97 == 0) {
      csv += "\r\n";  // a blank line: no record
      ++line;
    }
    // Faults every so many records; where two meet, they meet in one record on purpose (a
    // cast or a rule in a record of two lines).
    bool cast = id % 53 == 0, rule = id % 71 == 0, two_lines = id % 37 == 0;
    bool encoding = id % 89 == 0 && !two_lines;
    std::string record =
        (cast ? "x" : "") + std::to_string(id) + "," + (rule ? "zzz" : "a") + "," +
        (two_lines ? "\"two\r\nlines\"" : "note " + std::to_string(id) + (encoding ? "\x93" : ""));
    uint64_t lines = two_lines ? 2 : 1;
    std::string what = cast       ? "id type"
                       : rule     ? "kind accepted_values"
                       : encoding ? "text encoding"
                                  : "";
    csv += record + "\r\n";
    if (!what.empty()) {
      std::string raw = record;
      if (size_t cr = raw.find('\r'); cr != std::string::npos) raw.replace(cr, 1, "\\x0D");
      if (size_t bad = raw.find('\x93'); bad != std::string::npos) raw.replace(bad, 1, "\\x93");
      expected.insert(std::to_string(line) + "-" + std::to_string(line + lines - 1) + " " + what +
                      " [" + raw + "]");
    }
    line += lines;
  }
  csv += "\r\n";  // and one at the end
  WriteFileAtomically(lake.root() / "exports/notes/2026-01-01.csv", csv);
  lake.Ingest();
  Mapping mapping = ParseMapping(R"yaml(
dataset: notes
database: shop
table: notes
columns:
  - {name: id, type: bigint}
  - {name: kind, type: varchar, accepted_values: [a]}
  - {name: text, type: varchar}
)yaml",
                                 "notes.yaml");
  TransformOptions whole = MaxRejectRate(1), pieces = MaxRejectRate(1);
  pieces.csv_buffer_size = 16 << 10;
  pieces.threads = 4;
  for (const TransformOptions& options : {whole, pieces}) {
    SCOPED_TRACE(options.csv_buffer_size);
    Transformer transformer(lake.store(), lake.catalog());
    TransformOptions full = options;
    full.full_refresh = true;
    TransformResult result =
        transformer.Run({"notes", "shop", "notes/*.csv", "notes.yaml"}, mapping, full);
    ASSERT_TRUE(result.committed);
    EXPECT_TRUE(result.lines_confirmed);
    std::multiset<std::string> rejects;
    for (const auto& r : result.rejects) {
      rejects.insert(std::to_string(r.line) + "-" + std::to_string(r.end_line) + " " + r.column +
                     " " + r.rule + " [" + r.raw_line + "]");
    }
    EXPECT_EQ(rejects, expected);
  }
}

// What the simulator's faults do not reach: a column the reader cannot cast as the mapping
// says (a second timestamp format, cast in SQL), a record the reader refuses for a cast
// that breaks another rule too, a record with a quoted line break refused by a rule, and a
// key twice in one file (the first line wins).
TEST_F(TransformTest, EveryRuleIsCheckedAndPlacedWhateverCastsTheColumn) {
  Lake lake(folder_.path());
  fs::create_directories(lake.root() / "exports/events");
  WriteFileAtomically(lake.root() / "exports/events/2026-01-01.csv",
                      "id,at,seen,kind\n"
                      "1,2026-01-01 10:00:00,01.01.2026 10:00,a\n"
                      "x,2026-01-01 10:00:00,01.01.2026 10:00,zzz\n"
                      "3,2026-01-01 10:00:00,2026-01-01,a\n"
                      "4,2026-01-01 10:00:00,01.01.2026 10:00,\"two\nlines\"\n"
                      "5,2026-01-01 10:00:00,01.01.2026 10:00,b\n"
                      "1,2026-01-02 10:00:00,02.01.2026 10:00,b\n"
                      "6,2026-01-01 10:00:00,01.01.2026 10:00,a,extra\n");
  lake.Ingest();
  Mapping mapping = ParseMapping(R"yaml(
dataset: events
database: shop
table: events
csv: {delimiter: ",", quote: "\"", escape: "\"", header: true, encoding: utf-8, null_strings: [""]}
primary_key: [id]
columns:
  - {name: id, type: bigint, nullable: false}
  - {name: at, type: timestamp, format: "%Y-%m-%d %H:%M:%S"}
  - {name: seen, type: timestamp, format: "%d.%m.%Y %H:%M"}
  - {name: kind, type: varchar, accepted_values: [a, b]}
)yaml",
                                 "events.yaml");
  Transformer transformer(lake.store(), lake.catalog());
  TransformResult result =
      transformer.Run({"events", "shop", "events/*.csv", "events.yaml"}, mapping, MaxRejectRate(1));
  ASSERT_TRUE(result.committed);
  EXPECT_TRUE(result.lines_confirmed);

  std::multiset<std::string> rejects;
  for (const auto& r : result.rejects) {
    EXPECT_EQ(r.raw_key, RawKey("events/2026-01-01.csv"));
    rejects.insert(std::to_string(r.line) + "-" + std::to_string(r.end_line) + " " + r.column +
                   " " + r.rule + " " + r.value);
  }
  EXPECT_EQ(rejects,
            (std::multiset<std::string>{
                "3-3 id type x", "3-3 kind accepted_values zzz", "4-4 seen type 2026-01-01",
                "5-6 kind accepted_values two\nlines", "9-9  csv:too_many_columns "}));
  ASSERT_EQ(result.files.size(), 1u);
  EXPECT_EQ(result.files[0].rows_read, 7u);
  EXPECT_EQ(result.files[0].rows_rejected, 4u);
  EXPECT_EQ(result.files[0].duplicates_dropped, 1u);
  EXPECT_EQ(result.files[0].rows_written, 2u);

  db::Database db;
  db::Connection conn(db);
  EXPECT_EQ(conn.QueryScalar("SELECT string_agg(id || kind || seen, ',' ORDER BY id) FROM " +
                             lake.TableSql("events"))
                .value(),
            "1a2026-01-01 10:00:00,5b2026-01-01 10:00:00");
}

TEST_F(TransformTest, ReRunsChangeNothingAndFullRefreshGivesTheSameRows) {
  Lake lake(folder_.path());
  lake.Simulate(0.01);
  lake.Ingest();
  lake.Transform("products");
  TransformResult first = lake.Transform("orders", MaxRejectRate(0.05));
  ASSERT_TRUE(first.committed);
  auto files_before = lake.store().List("processed/");
  TransformResult again = lake.Transform("orders");
  EXPECT_FALSE(again.committed);
  EXPECT_EQ(again.snapshot_id, first.snapshot_id);
  auto files_after = lake.store().List("processed/");
  ASSERT_EQ(files_after.size(), files_before.size());
  for (size_t i = 0; i < files_after.size(); ++i)
    EXPECT_EQ(files_after[i].key, files_before[i].key);

  db::Database db;
  db::Connection conn(db);
  std::string before = lake.TableSql("order_lines");
  conn.Execute("CREATE TABLE before AS SELECT * FROM " + before);
  TransformResult refreshed = lake.Transform("orders", FullRefresh());
  ASSERT_TRUE(refreshed.committed);
  EXPECT_GT(refreshed.snapshot_id, first.snapshot_id);
  std::string after = lake.TableSql("order_lines");
  EXPECT_EQ(
      conn.QueryScalar("SELECT count(*) FROM (SELECT * FROM before EXCEPT ALL SELECT * FROM " +
                       after + ")")
          .value(),
      "0");
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM (SELECT * FROM " + after +
                             " EXCEPT ALL SELECT * FROM before)")
                .value(),
            "0");
  // Only the current snapshot's files are in the table's folder.
  auto snapshot =
      lake.catalog().CurrentSnapshot(lake.catalog().FindTable("shop", "order_lines")->id);
  std::set<std::string> listed;
  for (const auto& f : snapshot->files) listed.insert(f.key);
  for (const auto& o : lake.store().List("processed/shop/order_lines/"))
    EXPECT_TRUE(listed.count(o.key)) << o.key;
}

TEST_F(TransformTest, BookmarkTakesOnlyNewFilesAndANewVersionWins) {
  Lake lake(folder_.path());
  lake.Simulate(0);
  lake.Ingest();
  lake.Transform("products");
  TransformResult first = lake.Transform("orders");
  ASSERT_EQ(first.files.size(), 4u);

  // A corrected export of one day: the first line's quantity changes. Ingest makes it a
  // new version; the transform reads only it, and its rows replace the old ones.
  fs::path day = lake.root() / "exports/orders/2026-03-31.csv";
  db::Database db;
  db::Connection conn(db);
  std::string first_order =
      conn.QueryScalar("SELECT order_id FROM read_csv(" + QuoteLiteral(day.string()) +
                       ", all_varchar = true) LIMIT 1")
          .value();
  fs::path corrected = lake.root() / "corrected.csv";
  conn.Execute("COPY (SELECT * REPLACE (CASE WHEN order_id = " + QuoteLiteral(first_order) +
               " AND line_no = '1' THEN '99' ELSE quantity END AS quantity) FROM read_csv(" +
               QuoteLiteral(day.string()) + ", all_varchar = true)) TO " +
               QuoteLiteral(corrected.string()) + " (HEADER)");
  fs::rename(corrected, day);
  lake.Ingest("2026-11-28");
  TransformResult second = lake.Transform("orders");
  ASSERT_TRUE(second.committed);
  ASSERT_EQ(second.files.size(), 1u);
  EXPECT_NE(second.files[0].raw_key.find("2026-03-31"), std::string::npos);
  EXPECT_EQ(second.totals.rows_read, second.totals.rows_written);
  std::string table = lake.TableSql("order_lines");
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + table).value(),
            std::to_string(first.totals.rows_written))
      << "the new version replaces the old rows, it does not add to them";
  EXPECT_EQ(conn.QueryScalar("SELECT quantity FROM " + table + " WHERE order_id = " + first_order +
                             " AND line_no = 1")
                .value(),
            "99");
  TransformResult third = lake.Transform("orders");
  EXPECT_FALSE(third.committed);
}

TEST_F(TransformTest, TooManyRefusedRowsFailAndPublishNothing) {
  Lake lake(folder_.path());
  lake.Simulate(0.2);
  lake.Ingest();
  lake.Transform("products");
  try {
    lake.Transform("orders", MaxRejectRate(0.05));
    FAIL() << "expected the reject limit to stop the run";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_NE(std::string(e.what()).find("more than --max-reject-rate 5.00%"), std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("rejects/order_lines/run_id="), std::string::npos) << e.hint();
  }
  EXPECT_FALSE(lake.catalog().FindTable("shop", "order_lines").has_value());
  EXPECT_TRUE(lake.store().List("processed/shop/order_lines/").empty());
  EXPECT_FALSE(lake.store().List("rejects/order_lines/").empty()) << "the rejects tell why";
  // Nothing is bookmarked: a run with a higher limit takes every file.
  TransformResult retry = lake.Transform("orders", MaxRejectRate(0.5));
  EXPECT_EQ(retry.files.size(), 4u);
}

TEST_F(TransformTest, DryRunPrintsThePlanAndWritesNothing) {
  Lake lake(folder_.path());
  lake.Simulate(0);
  lake.Ingest();
  TransformResult plan = lake.Transform("customers", DryRun());
  EXPECT_FALSE(plan.committed);
  std::string text;
  for (const auto& step : plan.plan) text += step + "\n";
  EXPECT_NE(text.find("read raw/shop/ingest_date=2026-11-27/customers/2026-03-30.csv"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("read_csv("), std::string::npos) << text;
  EXPECT_NE(text.find("regexp_full_match"), std::string::npos) << text;
  EXPECT_TRUE(lake.store().List("processed/").empty());
  EXPECT_FALSE(lake.catalog().FindTable("shop", "customers").has_value());
}

// hyparquet (tests/js, pure JavaScript) reads what DuckDB wrote: the same rows, the same
// sum of quantity and the same Hive partitions as DuckDB finds in the raw CSV files.
TEST_F(TransformTest, AnIndependentReaderReadsTheParquetAndItsPartitions) {
  Lake lake(folder_.path());
  lake.Simulate(0);
  lake.Ingest();
  lake.Transform("products");
  lake.Transform("orders");
  std::string command =
      "node " + (fs::path(SHOPLAKE_SOURCE_DIR) / "tests/js/read_parquet.mjs").string() + " " +
      (lake.root() / "lake/processed/shop/order_lines").string() + " quantity 2>&1";
  std::string output;
  {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    ASSERT_TRUE(pipe) << command;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) output.append(buffer, n);
  }
  nlohmann::json read;
  try {
    read = nlohmann::json::parse(output);
  } catch (const nlohmann::json::exception&) {
    FAIL() << "hyparquet failed (run scripts/bootstrap to install tests/js): " << output;
  }
  db::Database db;
  db::Connection conn(db);
  std::string csv =
      "read_csv(" + QuoteLiteral((lake.root() / "exports/orders/*.csv").string()) + ")";
  EXPECT_EQ(read["rows"], std::stoull(conn.QueryScalar("SELECT count(*) FROM " + csv).value()));
  EXPECT_EQ(read["sum"], conn.QueryScalar("SELECT sum(quantity) FROM " + csv).value());
  nlohmann::json partitions;
  for (const auto& r :
       conn.Query(
               "SELECT 'year=' || year(order_ts) || '/month=' || month(order_ts), count(*) FROM " +
               csv + " GROUP BY ALL")
           .Rows()) {
    partitions[r[0].value()] = std::stoull(r[1].value());
  }
  EXPECT_EQ(read["partitions"], partitions);
}

TEST_F(TransformTest, AHeaderThatDoesNotMatchTheMappingIsNamed) {
  Lake lake(folder_.path());
  lake.Simulate(0, 5, 1, 50);
  fs::path file = lake.root() / "exports/customers/2026-03-30.csv";
  std::string text = ReadFile(file);
  text.replace(0, text.find(','), "id");
  WriteFileAtomically(file, text);
  lake.Ingest();
  try {
    lake.Transform("customers");
    FAIL() << "expected a header error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_NE(std::string(e.what()).find("the header has no column 'customer_id'"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.input(), "raw/shop/ingest_date=2026-11-27/customers/2026-03-30.csv");
  }
}

// A small partitioned table the hand-written files below go into.
constexpr const char* kEventsMapping = R"yaml(
dataset: events
database: shop
table: events
csv: {delimiter: ",", quote: "\"", escape: "\"", header: HEADER, encoding: ENCODING, null_strings: [""]}
primary_key: [id]
partition_by:
  - {name: day, from: at, part: day}
columns:
  - {name: id, type: bigint, nullable: false}
  - {name: at, type: timestamp, format: "%Y-%m-%d %H:%M:%S"}
  - {name: kind, source: KIND, type: varchar}
)yaml";

Mapping EventsMapping(bool header = true, const std::string& encoding = "utf-8",
                      const std::string& kind_source = "kind") {
  std::string text = kEventsMapping;
  auto put = [&](const std::string& name, const std::string& value) {
    text.replace(text.find(name), name.size(), value);
  };
  put("HEADER", header ? "true" : "false");
  put("ENCODING", encoding);
  put("KIND", kind_source);
  return ParseMapping(text, "events.yaml");
}

// Writes the export `name` under exports/events/ (as `bytes`) and ingests it.
void Export(Lake& lake, const std::string& name, const std::string& bytes,
            const std::string& date = "2026-11-27") {
  fs::create_directories(lake.root() / "exports/events");
  WriteFileAtomically(lake.root() / "exports/events" / name, bytes);
  lake.Ingest(date);
}

TransformResult TransformEvents(Lake& lake, const Mapping& mapping, TransformOptions options = {}) {
  Transformer transformer(lake.store(), lake.catalog());
  return transformer.Run({"events", "shop", "events/*.csv", "events.yaml"}, mapping, options);
}

// Hardening 3: a record longer than DuckDB's largest line (here a 40 MB field) used to vanish,
// neither written nor refused. The file's own record count catches it: the run fails naming
// the file and both counts, and publishes nothing.
TEST_F(TransformTest, ARecordTheReaderLosesFailsTheFileNamingIt) {
  Lake lake(folder_.path());
  std::string csv = "id,at,kind\n";
  for (int i = 1; i <= 20; ++i) {
    std::string kind = i == 10 ? std::string(40 << 20, 'x') : "a";
    csv += std::to_string(i) + ",2026-01-01 10:00:00," + kind + "\n";
  }
  Export(lake, "2026-01-01.csv", csv);
  csv.clear();
  try {
    TransformEvents(lake, EventsMapping(), MaxRejectRate(1));
    FAIL() << "expected the lost record to fail the file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_EQ(e.input(), RawKey("events/2026-01-01.csv"));
    EXPECT_NE(
        std::string(e.what()).find("gave 19 records (rows and rejects) where the file holds 20"),
        std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("shoplake ledger quarantine " + RawKey("events/2026-01-01.csv")),
              std::string::npos)
        << e.hint();
  }
  EXPECT_FALSE(lake.catalog().FindTable("shop", "events").has_value());
  EXPECT_TRUE(lake.store().List("processed/").empty());
}

// Hardening 3, the other side: an export whose last record opens a quote that never closes
// (the simulator's broken quoting on a file's last line). DuckDB's reader refuses that record
// when it reads the file alone and drops it without a word among several files; either way
// it is refused here, the same reject (its line, its text to the file's end, why), and the
// counts reconcile: the file does not fail.
TEST_F(TransformTest, AnUnterminatedQuoteOnTheLastRecordIsRefusedNotLost) {
  const std::string bad =
      "id,at,kind\n1,2026-01-03 10:00:00,a\n2,2026-01-03 11:00:00,\"b\nc\"\n"
      "3,2026-01-03 12:00:00,\"never closed\nstill, inside\n";
  for (int files : {1, 5}) {
    SCOPED_TRACE(std::to_string(files) + " files");
    Lake lake(folder_.path() / std::to_string(files));
    for (int day = 1; day <= files; ++day) {
      std::string name = "2026-01-0" + std::to_string(day) + ".csv";
      Export(lake, name,
             day == (files + 1) / 2 ? bad
                                    : "id,at,kind\n" + std::to_string(day * 10) + ",2026-01-0" +
                                          std::to_string(day) + " 10:00:00,a\n");
    }
    TransformResult result = TransformEvents(lake, EventsMapping(), MaxRejectRate(1));
    ASSERT_TRUE(result.committed);
    EXPECT_TRUE(result.lines_confirmed);
    EXPECT_EQ(result.table_rows, static_cast<uint64_t>(files - 1 + 2));
    ASSERT_EQ(result.rejects.size(), 1u);
    const Reject& r = result.rejects[0];
    EXPECT_EQ(r.raw_key, RawKey(files == 1 ? "events/2026-01-01.csv" : "events/2026-01-03.csv"));
    EXPECT_EQ(r.line, 5u);
    EXPECT_EQ(r.end_line, 6u);
    EXPECT_EQ(r.rule, "csv:unquoted_value");
    EXPECT_EQ(r.column, "");
    EXPECT_EQ(r.message, "unterminated quote: the record runs to the end of the file");
    EXPECT_EQ(r.raw_line, "3,2026-01-03 12:00:00,\"never closed\nstill, inside");
    for (const auto& f : result.files) {
      EXPECT_EQ(f.rows_read, f.rows_written + f.rows_rejected + f.duplicates_dropped) << f.raw_key;
      if (f.raw_key != r.raw_key) continue;
      EXPECT_EQ(f.rows_read, 3u);
      EXPECT_EQ(f.rows_rejected, 1u);
    }
    EXPECT_EQ(result.totals.rows_read, static_cast<uint64_t>(files - 1 + 3));
    EXPECT_EQ(result.totals.rows_rejected, 1u);
  }
}

// Hardening 4: an export with a header and no row, then one with no byte at all, is a quiet
// day: zero rows, the files bookmarked, a snapshot (an empty table on the first day), and a
// partitioned table that still works the day after.
TEST_F(TransformTest, AnEmptyExportIsAQuietDay) {
  Lake lake(folder_.path());
  Export(lake, "2026-01-01.csv", "id,at,kind\n");
  TransformResult header_only = TransformEvents(lake, EventsMapping());
  ASSERT_TRUE(header_only.committed);
  EXPECT_EQ(header_only.totals.rows_read, 0u);
  EXPECT_EQ(header_only.table_rows, 0u);
  EXPECT_TRUE(lake.store().List("processed/").empty());

  Export(lake, "2026-01-02.csv", "");
  TransformResult empty = TransformEvents(lake, EventsMapping());
  ASSERT_TRUE(empty.committed);
  ASSERT_EQ(empty.files.size(), 1u);
  EXPECT_EQ(empty.files[0].raw_key, RawKey("events/2026-01-02.csv"));
  EXPECT_EQ(empty.files[0].rows_read, 0u);
  EXPECT_FALSE(TransformEvents(lake, EventsMapping()).committed) << "both are bookmarked";

  Export(lake, "2026-01-03.csv", "id,at,kind\n1,2026-01-03 10:00:00,a\n");
  TransformResult next = TransformEvents(lake, EventsMapping());
  ASSERT_TRUE(next.committed);
  EXPECT_EQ(next.table_rows, 1u);
  Export(lake, "2026-01-04.csv", "id,at,kind\n");
  TransformResult quiet = TransformEvents(lake, EventsMapping());
  ASSERT_TRUE(quiet.committed);
  EXPECT_EQ(quiet.table_rows, 1u) << "a quiet day keeps the table's rows";
}

// Hardening 4: a raw file quarantined in the ingest ledger is skipped by every run (which
// says so), even once it is gone from raw/; released, it is read again.
TEST_F(TransformTest, AQuarantinedFileIsSkippedAndSaidSo) {
  Lake lake(folder_.path());
  Export(lake, "2026-01-01.csv", "id,at,kind\n1,2026-01-01 10:00:00,a\n");
  Export(lake, "2026-01-02.csv", "nonsense\n");
  EXPECT_THROW(TransformEvents(lake, EventsMapping()), Error);
  const std::string bad = RawKey("events/2026-01-02.csv");
  ingest::IngestLedger ledger((lake.root() / "lake/_catalog/catalog.db").string());
  try {
    ledger.Quarantine("raw/shop/nope.csv", "typo");
    FAIL() << "expected an unknown key to be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  ledger.Quarantine(bad, "a broken export");
  ASSERT_EQ(ledger.Quarantined().size(), 1u);
  EXPECT_EQ(ledger.Quarantined()[0].reason, "a broken export");
  TransformResult result = TransformEvents(lake, EventsMapping());
  ASSERT_TRUE(result.committed);
  EXPECT_EQ(result.table_rows, 1u);
  EXPECT_EQ(result.quarantined, std::vector<std::string>{bad});

  EXPECT_TRUE(ledger.Release(bad));
  EXPECT_FALSE(ledger.Release(bad));
  try {
    TransformEvents(lake, EventsMapping());
    FAIL() << "released, the file is read again";
  } catch (const Error& e) {
    EXPECT_EQ(e.input(), bad);
  }

  // Gone from raw/: the run says so and how to set it aside; set aside, it is skipped.
  lake.store().Delete(bad);
  try {
    TransformEvents(lake, EventsMapping());
    FAIL() << "expected the missing raw file to be named";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.input(), bad);
    EXPECT_NE(e.hint().find("shoplake ledger quarantine " + bad), std::string::npos) << e.hint();
  }
  ledger.Quarantine(bad, "a broken export");
  TransformResult full = TransformEvents(lake, EventsMapping(), FullRefresh());
  EXPECT_EQ(full.quarantined, std::vector<std::string>{bad});
  EXPECT_EQ(full.table_rows, 1u);
}

// Hardening 12: `csv.header: false` takes the columns by position, and a header is read as
// DuckDB's reader decodes it: with a BOM, in UTF-16 (with its BOM) or in Latin-1.
TEST_F(TransformTest, HeadersAreReadAsTheReaderDecodesThem) {
  Lake lake(folder_.path());
  Export(lake, "2026-01-01.csv", "1,2026-01-01 10:00:00,a\n2,2026-01-01 11:00:00,b\n");
  TransformResult positional = TransformEvents(lake, EventsMapping(false));
  ASSERT_TRUE(positional.committed);
  EXPECT_EQ(positional.table_rows, 2u);
  EXPECT_EQ(positional.totals.rows_rejected, 0u);

  Lake bom(folder_.path() / "bom");
  Export(bom, "2026-01-01.csv", "\xEF\xBB\xBFid,at,kind\n1,2026-01-01 10:00:00,a\n");
  EXPECT_EQ(TransformEvents(bom, EventsMapping()).table_rows, 1u);

  Lake utf16(folder_.path() / "utf16");
  std::u16string text = u"\uFEFFid,at,na\u00efve\n1,2026-01-01 10:00:00,a\n";
  std::string bytes;
  for (char16_t unit : text) {
    bytes += static_cast<char>(unit & 0xFF);
    bytes += static_cast<char>(unit >> 8);
  }
  Export(utf16, "2026-01-01.csv", bytes);
  EXPECT_EQ(TransformEvents(utf16, EventsMapping(true, "utf-16", "na\u00efve")).table_rows, 1u);

  Lake latin1(folder_.path() / "latin1");
  Export(latin1, "2026-01-01.csv", "id,at,na\xEFve\n1,2026-01-01 10:00:00,a\n");
  EXPECT_EQ(TransformEvents(latin1, EventsMapping(true, "latin-1", "na\u00efve")).table_rows, 1u);
  try {
    TransformEvents(latin1, EventsMapping(true, "latin-1", "naive"), FullRefresh());
    FAIL() << "expected a header error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the header's columns are: id, at, na\u00efve"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace shoplake::transform
