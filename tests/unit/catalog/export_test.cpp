// The catalog's exports against a lake the pipeline built (simulate -> ingest -> transform
// with pipeline/mappings/*.yaml): the DDL names exactly the catalog's columns and partition
// keys (a small parser reads it back), the Glue request has CreateTable's shape, and a
// table mounted in DuckDB from its snapshot counts the rows the snapshot records.
#include "catalog/export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>

#include "catalog/catalog.h"
#include "catalog/mount.h"
#include "common/error.h"
#include "common/files.h"
#include "db/duckdb.h"
#include "ingest/ingestor.h"
#include "lake/faulty_store.h"
#include "lake/local_cache.h"
#include "lake/local_store.h"
#include "simulate/generator.h"
#include "support/suite_setup.h"
#include "support/temp_folder.h"
#include "transform/transform.h"

namespace shoplake::catalog {
namespace {
namespace fs = std::filesystem;

const fs::path kMappings = fs::path(SHOPLAKE_SOURCE_DIR) / "pipeline" / "mappings";

// One lake for the whole suite: building it (simulate, ingest, transform) is the slow part.
class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_.Run([] {
      folder_ = new ::shoplake::testing::TempFolder("shoplake-catalog-export");
      fs::path root = folder_->path();
      fs::create_directories(root / "lake/_catalog");
      store_ = new lake::LocalStore(root / "lake");
      catalog_ = new Catalog((root / "lake/_catalog/catalog.db").string());

      simulate::GeneratorOptions o;
      o.shop.seed = 11;
      o.shop.days = 4;
      o.shop.start = "2026-03-30";  // two months, so two partitions
      o.shop.orders = 2000;
      o.dirty_rate = 0.02;
      o.out = root / "exports";
      o.force = true;
      o.progress = false;
      simulate::Generate(o);

      ingest::IngestLedger ledger((root / "lake/_catalog/catalog.db").string());
      ingest::IngestOptions io;
      io.source_name = "shop";
      io.ingest_date = "2026-11-27";
      io.progress = false;
      auto source = ingest::OpenSource((root / "exports").string());
      ingest::Ingestor(*store_, ledger, io).Run(*source);

      transform::Transformer transformer(*store_, *catalog_);
      for (const std::string dataset : {"products", "orders"}) {
        DatasetSpec spec{dataset, "shop", dataset + "/*.csv",
                         "pipeline/mappings/" + dataset + ".yaml"};
        auto result =
            transformer.Run(spec, transform::LoadMapping(kMappings / (dataset + ".yaml")), {});
        if (dataset == "orders") orders_written_ = result.totals.rows_written;
      }
    });
  }
  void SetUp() override { setup_.Check(); }
  static void TearDownTestSuite() {
    delete catalog_;
    delete store_;
    delete folder_;
  }

  Table OrderLines() { return catalog_->FindTable("shop", "order_lines").value(); }
  // A CSV table of the raw zone's folder raw/test/<name>/, partitioned by day=N folders.
  static Table RawCsvTable(const std::string& database, const std::string& name,
                           std::vector<Column> columns) {
    Table table;
    table.database = database;
    table.name = name;
    table.location = "raw/test/" + name + "/";
    table.format = "csv";
    table.columns = std::move(columns);
    table.partition_keys = {{"day", "INTEGER", false}};
    return table;
  }
  // The lake's files as DuckDB reads them (a local lake: its own).
  lake::LocalCache& Files() {
    if (!files_) files_ = std::make_unique<lake::LocalCache>(*store_);
    return *files_;
  }
  std::string LakeUri() { return store_->uri(); }

  static ::shoplake::testing::SuiteSetUp setup_;
  static ::shoplake::testing::TempFolder* folder_;
  static lake::LocalStore* store_;
  static Catalog* catalog_;
  static uint64_t orders_written_;
  std::unique_ptr<lake::LocalCache> files_;
};
::shoplake::testing::SuiteSetUp ExportTest::setup_;
::shoplake::testing::TempFolder* ExportTest::folder_ = nullptr;
lake::LocalStore* ExportTest::store_ = nullptr;
Catalog* ExportTest::catalog_ = nullptr;
uint64_t ExportTest::orders_written_ = 0;

// A column list of the DDL read back: "(`a` bigint, `b` decimal(12,2) COMMENT '...')"
// starting at the '(' at `open`; returns (name, type) pairs and sets `end` past the ')'.
std::vector<std::pair<std::string, std::string>> ParseColumnList(const std::string& ddl,
                                                                 size_t open, size_t* end) {
  EXPECT_EQ(ddl.at(open), '(');
  std::vector<std::string> items(1);
  int depth = 0;
  bool in_name = false, in_string = false;
  size_t i = open + 1;
  for (; i < ddl.size(); ++i) {
    char c = ddl[i];
    if (in_string) {
      if (c == '\\') {
        items.back() += c;
        c = ddl[++i];
      } else if (c == '\'') {
        in_string = false;
      }
    } else if (in_name) {
      in_name = c != '`';
    } else if (c == '`') {
      in_name = true;
    } else if (c == '\'') {
      in_string = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth == 0) {
      break;
    } else if (c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      items.emplace_back();
      continue;
    }
    items.back() += c;
  }
  *end = i + 1;
  std::vector<std::pair<std::string, std::string>> out;
  for (auto item : items) {
    size_t first = item.find('`');
    size_t last = item.find('`', first + 1);
    if (first == std::string::npos || last == std::string::npos) {
      ADD_FAILURE() << "no `name` in [" << item << "]";
      continue;
    }
    std::string type = item.substr(last + 1);
    type = type.substr(0, type.find(" COMMENT"));
    type.erase(0, type.find_first_not_of(" \n"));
    type.erase(type.find_last_not_of(" \n") + 1);
    out.emplace_back(item.substr(first + 1, last - first - 1), type);
  }
  return out;
}

// What the DDL declares: columns, partition keys, and the rest of the statement.
struct ParsedDdl {
  std::string table;
  std::vector<std::pair<std::string, std::string>> columns, partition_keys;
  std::string comment;  //!< the table's COMMENT, as written (escapes kept)
  std::string tail;
};

ParsedDdl ParseDdl(const std::string& ddl) {
  ParsedDdl out;
  const std::string create = "CREATE EXTERNAL TABLE IF NOT EXISTS ";
  EXPECT_EQ(ddl.rfind(create, 0), 0u) << ddl;
  size_t open = ddl.find(" (", create.size());
  out.table = ddl.substr(create.size(), open - create.size());
  size_t end = 0;
  out.columns = ParseColumnList(ddl, open + 1, &end);
  const std::string comment = "\nCOMMENT '";
  if (ddl.compare(end, comment.size(), comment) == 0) {
    size_t close = end + comment.size();
    while (ddl.at(close) != '\'') close += ddl[close] == '\\' ? 2 : 1;
    out.comment = ddl.substr(end + comment.size(), close - end - comment.size());
    end = close + 1;
  }
  const std::string partitioned = "\nPARTITIONED BY ";
  if (ddl.compare(end, partitioned.size(), partitioned) == 0) {
    out.partition_keys = ParseColumnList(ddl, end + partitioned.size(), &end);
  }
  out.tail = ddl.substr(end);
  return out;
}

std::vector<std::pair<std::string, std::string>> HiveColumns(const std::vector<Column>& columns) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : columns) out.emplace_back(c.name, HiveType(c.type));
  return out;
}

TEST_F(ExportTest, DdlNamesExactlyTheCatalogsColumnsAndPartitionKeys) {
  Table table = OrderLines();
  ASSERT_GT(table.columns.size(), 10u);
  std::string ddl = CreateTableDdl(table, LakeUri());
  ParsedDdl parsed = ParseDdl(ddl);
  EXPECT_EQ(parsed.table, "`shop`.`order_lines`");
  EXPECT_EQ(parsed.columns, HiveColumns(table.columns)) << ddl;
  EXPECT_EQ(parsed.partition_keys, HiveColumns(table.partition_keys)) << ddl;

  // And the Hive types are the mapping's (pipeline/mappings/orders.yaml), spelt as Athena does.
  std::map<std::string, std::string> type_of(parsed.columns.begin(), parsed.columns.end());
  EXPECT_EQ(type_of["order_id"], "bigint");
  EXPECT_EQ(type_of["line_no"], "int");
  EXPECT_EQ(type_of["order_ts"], "timestamp");
  EXPECT_EQ(type_of["status"], "string");
  EXPECT_EQ(type_of["unit_price"], "decimal(12,2)");
  EXPECT_EQ(parsed.partition_keys,
            (std::vector<std::pair<std::string, std::string>>{{"year", "int"}, {"month", "int"}}));
  // The mapping's description is the table's comment, and a column's its own.
  EXPECT_EQ(parsed.comment,
            "One row per order line as the shop exports it daily, whatever its status; "
            "shop.sales keeps the completed ones.");
  EXPECT_NE(ddl.find("`order_id` bigint COMMENT 'The order\\'s id; ids rise with time'"),
            std::string::npos)
      << ddl;
  EXPECT_EQ(parsed.tail,
            "\nSTORED AS PARQUET\nLOCATION '" + LakeUri() +
                "/processed/shop/order_lines/'\nTBLPROPERTIES ('classification'='parquet', "
                "'shoplake.version'='1');\n");
}

TEST_F(ExportTest, MountedSnapshotCountsTheRowsTheSnapshotRecords) {
  Table table = OrderLines();
  Snapshot snapshot = catalog_->CurrentSnapshot(table.id).value();
  ASSERT_GT(snapshot.files.size(), 1u);
  ASSERT_GT(snapshot.rows, 2000u);
  EXPECT_EQ(snapshot.rows, orders_written_);

  db::Database db;
  db::Connection conn(db);
  std::string scan = SnapshotScanSql(Files(), table, snapshot);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + scan).value(),
            std::to_string(snapshot.rows));
  // Per partition too, with the keys typed as the catalog says.
  std::map<std::string, uint64_t> recorded;
  for (const auto& f : snapshot.files) recorded[f.partition] += f.rows;
  auto rows = conn.Query(
                      "SELECT 'year=' || year || '/month=' || month, count(*), typeof(year)"
                      " FROM " +
                      scan + " GROUP BY ALL ORDER BY 1")
                  .Rows();
  std::map<std::string, uint64_t> counted;
  for (const auto& r : rows) {
    counted[r[0].value()] = std::stoull(r[1].value());
    EXPECT_EQ(r[2].value(), "INTEGER");
  }
  EXPECT_EQ(counted, recorded);

  // A file in the table's folder that the snapshot does not list is not read.
  fs::path first = store_->LocalPath(snapshot.files.front().key).value();
  fs::copy_file(first, first.parent_path() / "stray.parquet");
  EXPECT_EQ(
      conn.QueryScalar("SELECT count(*) FROM " + SnapshotScanSql(Files(), table, snapshot)).value(),
      std::to_string(snapshot.rows));
  fs::remove(first.parent_path() / "stray.parquet");
}

TEST_F(ExportTest, AnEmptySnapshotMountsAsTypedColumnsAndNoRows) {
  Table table = OrderLines();
  Snapshot empty;
  db::Database db;
  db::Connection conn(db);
  std::string scan = SnapshotScanSql(Files(), table, empty);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + scan).value(), "0");
  auto described =
      conn.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + scan + ")")
          .Rows();
  std::vector<std::pair<std::string, std::string>> got, want;
  for (const auto& r : described) got.emplace_back(r[0].value(), r[1].value());
  for (const auto* list : {&table.columns, &table.partition_keys}) {
    for (const auto& c : *list) want.emplace_back(c.name, c.type);
  }
  EXPECT_EQ(got, want);
}

TEST_F(ExportTest, ACsvTableMountsItsFilesByNameWithTheCatalogsTypes) {
  // Two files of one CSV table, the second with an added column (a new table version).
  store_->WriteAll("raw/test/visits/day=1/a.csv", "id,amount\n1,2.50\n2,3.25\n");
  store_->WriteAll("raw/test/visits/day=2/b.csv", "id,amount,note\n3,1.00,\"x, y\"\n");
  Table table = RawCsvTable(
      "test", "visits",
      {{"id", "BIGINT", false}, {"amount", "DECIMAL(8,2)", true}, {"note", "VARCHAR", true}});
  Snapshot snapshot;
  snapshot.files = {{"raw/test/visits/day=1/a.csv", "day=1", 2, 0},
                    {"raw/test/visits/day=2/b.csv", "day=2", 1, 0}};
  db::Database db;
  db::Connection conn(db);
  std::string scan = SnapshotScanSql(Files(), table, snapshot);
  auto rows = conn.Query(
                      "SELECT id, amount, coalesce(note, '-'), day, typeof(amount), typeof(day)"
                      " FROM " +
                      scan + " ORDER BY id")
                  .Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][1].value(), "2.50");
  EXPECT_EQ(rows[2][2].value(), "x, y");
  EXPECT_EQ(rows[2][3].value(), "2");
  EXPECT_EQ(rows[0][4].value(), "DECIMAL(8,2)");
  EXPECT_EQ(rows[0][5].value(), "INTEGER");
}

TEST_F(ExportTest, ARawTableGivesEveryRecordWhicheverColumnsAQueryReads) {
  // A raw file as shops send them: CRLF, a windows-1252 byte (0xE9, no UTF-8), a short record
  // and a long one. With ignore_errors, count(*) and a query reading `name` disagreed.
  store_->WriteAll("raw/test/arrivals/day=1/a.csv",
                   "id,name,amount\r\n"
                   "1,caf\xE9,2.50\r\n"
                   "2,short\r\n"
                   "3,\"tea, green\",1.00\r\n"
                   "4,long,3.00,extra\r\n");
  Table table = RawCsvTable(
      "raw_test", "arrivals",
      {{"id", "BIGINT", true}, {"name", "VARCHAR", true}, {"amount", "DECIMAL(8,2)", true}});
  Snapshot snapshot;
  snapshot.files = {{"raw/test/arrivals/day=1/a.csv", "day=1", 4, 0}};
  ::shoplake::testing::TempFolder cache_folder("shoplake-catalog-text");
  lake::LocalCache cache(*store_, cache_folder.path());
  std::string scan = SnapshotScanSql(cache, table, snapshot);
  db::Database db;
  db::Connection conn(db);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + scan).value(), "4");
  for (const char* column : {"id", "name", "amount", "day"}) {
    // Counting what the query reads, NULLs too (the short record's amount).
    EXPECT_EQ(conn.QueryScalar("SELECT count(coalesce(CAST(" + std::string(column) +
                               " AS VARCHAR), '-')) FROM " + scan)
                  .value(),
              "4")
        << column;
  }
  auto rows = conn.Query("SELECT id, name, coalesce(amount::VARCHAR, '-'), day FROM " + scan +
                         " ORDER BY id")
                  .Rows();
  ASSERT_EQ(rows.size(), 4u);
  std::vector<std::string> got;
  for (const auto& r : rows) {
    got.push_back(r[0].value() + "|" + r[1].value() + "|" + r[2].value() + "|" + r[3].value());
  }
  // The undecodable byte reads as the \xNN a reject's raw_line shows; no \r ends a value.
  EXPECT_EQ(got, (std::vector<std::string>{"1|caf\\xE9|2.50|1", "2|short|-|1",
                                           "3|tea, green|1.00|1", "4|long|3.00|1"}));
  // The file in the lake is as it arrived; the copy lies in the cache.
  EXPECT_EQ(store_->ReadAll("raw/test/arrivals/day=1/a.csv").substr(16, 6), "1,caf\xE9");
  EXPECT_EQ(scan.find(folder_->path().string() + "/lake/raw/test/arrivals"), std::string::npos)
      << scan;
  EXPECT_NE(scan.find(RawTextFolder(cache).string()), std::string::npos) << scan;
}

TEST_F(ExportTest, ARemoteLakeMountsCopiesOfTheSnapshotsFilesFromTheCache) {
  // The same lake without local paths, as an S3 lake is: the scan reads copies in the cache,
  // fetched when mounted, and finds the same rows and typed partition keys.
  lake::FaultyStore remote(*store_);
  remote.HideLocalPaths();
  ::shoplake::testing::TempFolder cache_folder("shoplake-catalog-cache");
  lake::LocalCache cache(remote, cache_folder.path());
  Table table = OrderLines();
  Snapshot snapshot = catalog_->CurrentSnapshot(table.id).value();
  std::string scan = SnapshotScanSql(cache, table, snapshot);
  EXPECT_EQ(scan.find(folder_->path().string()), std::string::npos) << scan;
  for (const auto& f : snapshot.files) {
    EXPECT_NE(scan.find((cache_folder.path() / "objects" / f.key).string()), std::string::npos)
        << f.key;
  }
  EXPECT_EQ(remote.calls(lake::FaultyStore::Operation::kOpen),
            static_cast<int>(snapshot.files.size()));
  db::Database db;
  db::Connection conn(db);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) FROM " + scan).value(),
            std::to_string(snapshot.rows));
  EXPECT_EQ(conn.QueryScalar("SELECT DISTINCT typeof(year) FROM " + scan).value(), "INTEGER");
}

TEST_F(ExportTest, GlueTableInputHasCreateTablesShape) {
  Table table = OrderLines();
  nlohmann::json glue = GlueTableInput(table, "s3://shop-data/lake/");
  EXPECT_EQ(glue["DatabaseName"], "shop");
  const auto& input = glue["TableInput"];
  EXPECT_EQ(input["Name"], "order_lines");
  EXPECT_EQ(input["TableType"], "EXTERNAL_TABLE");
  EXPECT_EQ(input["Parameters"]["classification"], "parquet");
  EXPECT_EQ(input["PartitionKeys"], nlohmann::json::parse(R"([
      {"Name": "year", "Type": "int", "Comment": "the year of order_ts"},
      {"Name": "month", "Type": "int", "Comment": "the month of order_ts"}])"));
  EXPECT_EQ(input["Description"], table.description);
  const auto& sd = input["StorageDescriptor"];
  ASSERT_EQ(sd["Columns"].size(), table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) {
    EXPECT_EQ(sd["Columns"][i]["Name"], table.columns[i].name);
    EXPECT_EQ(sd["Columns"][i]["Type"], HiveType(table.columns[i].type));
  }
  EXPECT_EQ(sd["Location"], "s3://shop-data/lake/processed/shop/order_lines/");
  EXPECT_EQ(sd["InputFormat"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
  EXPECT_EQ(sd["OutputFormat"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
  EXPECT_EQ(sd["SerdeInfo"]["SerializationLibrary"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");

  table.format = "csv";
  glue = GlueTableInput(table, "s3://shop-data/lake");
  const auto& csv = glue["TableInput"];
  EXPECT_EQ(csv["Parameters"]["classification"], "csv");
  EXPECT_EQ(csv["Parameters"]["skip.header.line.count"], "1");
  EXPECT_EQ(csv["StorageDescriptor"]["InputFormat"], "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(csv["StorageDescriptor"]["OutputFormat"],
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  EXPECT_EQ(csv["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
            "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(csv["StorageDescriptor"]["SerdeInfo"]["Parameters"]["separatorChar"], ",");
  EXPECT_EQ(csv["StorageDescriptor"]["Location"],
            "s3://shop-data/lake/processed/shop/order_lines/");
}

TEST(HiveTypeTest, MapsDuckDbTypesToHiveTypes) {
  struct Case {
    std::string duckdb, hive;
    bool faithful;
  };
  const std::vector<Case> cases = {
      {"BIGINT", "bigint", true},
      {"INTEGER", "int", true},
      {"SMALLINT", "smallint", true},
      {"TINYINT", "tinyint", true},
      {"DECIMAL(12,2)", "decimal(12,2)", true},
      {"decimal(38, 10)", "decimal(38,10)", true},
      {"DOUBLE", "double", true},
      {"FLOAT", "float", true},
      {"REAL", "float", true},
      {"VARCHAR", "string", true},
      {"varchar", "string", true},
      {"BOOLEAN", "boolean", true},
      {"DATE", "date", true},
      {"TIMESTAMP", "timestamp", true},
      {"BLOB", "binary", true},
      {"HUGEINT", "string", false},
      {"UBIGINT", "string", false},
      {"INTERVAL", "string", false},
      {"TIMESTAMP WITH TIME ZONE", "string", false},
      {"STRUCT(a INTEGER)", "string", false},
      {"INTEGER[]", "string", false},
      {"DECIMAL(x,2)", "string", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HiveType(c.duckdb), c.hive) << c.duckdb;
    EXPECT_EQ(HasHiveType(c.duckdb), c.faithful) << c.duckdb;
  }
}

TEST(CreateTableDdlTest, CsvTablesUseOpenCsvSerdeAndUnmappedTypesSayWhatTheyWere) {
  Table table;
  table.database = "raw";
  table.name = "visits";
  table.location = "raw/shop/visits";
  table.format = "csv";
  table.version = 2;
  table.columns = {{"id", "BIGINT", false}, {"span", "INTERVAL", true}};
  EXPECT_EQ(CreateTableDdl(table, "s3://b/lake"),
            "CREATE EXTERNAL TABLE IF NOT EXISTS `raw`.`visits` (\n"
            "  `id` bigint,\n"
            "  `span` string COMMENT 'DuckDB type INTERVAL'\n"
            ")\n"
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n"
            "WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='\"', 'escapeChar'='\\\\')\n"
            "STORED AS TEXTFILE\n"
            "LOCATION 's3://b/lake/raw/shop/visits/'\n"
            "TBLPROPERTIES ('skip.header.line.count'='1', 'classification'='csv', "
            "'shoplake.version'='2');\n");
}

// A mapping's descriptions (docs/transform.md) reach Athena: each column's as its COMMENT
// (with the DuckDB type when Hive has no faithful one), the table's as its COMMENT, and
// the same in Glue's TableInput (Comment, Description); quotes are escaped.
TEST(CreateTableDdlTest, DescriptionsBecomeComments) {
  Table table;
  table.database = "shop";
  table.name = "order_lines";
  table.location = "processed/shop/order_lines/";
  table.version = 1;
  table.description = "One row per order line; the shop's \"completed\" ones are sales";
  table.columns = {{"order_id", "BIGINT", false, "The order's id"},
                   {"span", "INTERVAL", true, "Time to ship"},
                   {"note", "VARCHAR", true}};
  table.partition_keys = {{"year", "INTEGER", false, "the year of order_ts"}};
  EXPECT_EQ(CreateTableDdl(table, "/lake"),
            "CREATE EXTERNAL TABLE IF NOT EXISTS `shop`.`order_lines` (\n"
            "  `order_id` bigint COMMENT 'The order\\'s id',\n"
            "  `span` string COMMENT 'Time to ship (DuckDB type INTERVAL)',\n"
            "  `note` string\n"
            ")\n"
            "COMMENT 'One row per order line; the shop\\'s \"completed\" ones are sales'\n"
            "PARTITIONED BY (\n"
            "  `year` int COMMENT 'the year of order_ts'\n"
            ")\n"
            "STORED AS PARQUET\n"
            "LOCATION 'file:///lake/processed/shop/order_lines/'\n"
            "TBLPROPERTIES ('classification'='parquet', 'shoplake.version'='1');\n");
  auto glue = GlueTableInput(table, "s3://b/lake")["TableInput"];
  EXPECT_EQ(glue["Description"], table.description);
  EXPECT_EQ(glue["StorageDescriptor"]["Columns"][0]["Comment"], "The order's id");
  EXPECT_EQ(glue["StorageDescriptor"]["Columns"][1]["Comment"],
            "Time to ship (DuckDB type INTERVAL)");
  EXPECT_FALSE(glue["StorageDescriptor"]["Columns"][2].contains("Comment"));
  EXPECT_EQ(glue["PartitionKeys"][0]["Comment"], "the year of order_ts");
}

TEST(TableLocationUriTest, JoinsTheLakeRootAndTheTablesFolder) {
  Table table;
  table.location = "processed/shop/orders/";
  EXPECT_EQ(TableLocationUri(table, "s3://bucket/prefix"),
            "s3://bucket/prefix/processed/shop/orders/");
  EXPECT_EQ(TableLocationUri(table, "s3://bucket/prefix/"),
            "s3://bucket/prefix/processed/shop/orders/");
  EXPECT_EQ(TableLocationUri(table, "file:///srv/lake"), "file:///srv/lake/processed/shop/orders/");
  EXPECT_EQ(TableLocationUri(table, "/srv/lake"), "file:///srv/lake/processed/shop/orders/");
}

}  // namespace
}  // namespace shoplake::catalog
