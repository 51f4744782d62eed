// The crawler over a lake the pipeline built (simulate -> ingest -> transform): the raw
// CSV and the Parquet give the expected tables, columns, types and partitions; an added
// column makes a new version with its diff; a retyped one is reported and left out; a
// vanished folder marks its partition deleted; a re-crawl with nothing new reads nothing
// and writes nothing.
#include "crawl/crawler.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "db/duckdb.h"
#include "ingest/ingestor.h"
#include "lake/local_store.h"
#include "simulate/generator.h"
#include "support/temp_folder.h"
#include "transform/transform.h"

namespace shoplake::crawl {
namespace {
namespace fs = std::filesystem;
using catalog::Catalog;
using catalog::ColumnStats;
using db::QuoteLiteral;

const fs::path kMappings = fs::path(SHOPLAKE_SOURCE_DIR) / "pipeline" / "mappings";

class CrawlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(lake_path() / "_catalog");
    store_ = std::make_unique<lake::LocalStore>(lake_path());
    catalog_ = std::make_unique<Catalog>((lake_path() / "_catalog/catalog.db").string());
  }
  fs::path lake_path() const { return folder_.path() / "lake"; }

  // The pipeline up to the transform: 3 days of a clean shop.
  void BuildLake() {
    simulate::GeneratorOptions o;
    o.shop.seed = 3;
    o.shop.days = 3;
    o.shop.start = "2026-05-30";
    o.shop.orders = 1200;
    o.out = folder_.path() / "exports";
    o.progress = false;
    simulate::Generate(o);
    ingest::IngestLedger ledger((lake_path() / "_catalog/catalog.db").string());
    ingest::IngestOptions io;
    io.source_name = "shop";
    io.ingest_date = "2026-11-27";
    io.progress = false;
    auto source = ingest::OpenSource(o.out.string());
    ingest::Ingestor(*store_, ledger, io).Run(*source);
    transform::Transformer transformer(*store_, *catalog_);
    for (std::string dataset : {"products", "orders"}) {
      transformer.Run({dataset, "shop", dataset + "/*.csv", ""},
                      transform::LoadMapping(kMappings / (dataset + ".yaml")), {});
    }
  }

  CrawlReport Crawl(CrawlOptions options = {}) { return Crawler(*store_, *catalog_).Run(options); }

  std::map<std::string, std::string> TypesOf(const std::string& db, const std::string& table) {
    std::map<std::string, std::string> out;
    auto t = catalog_->FindTable(db, table);
    EXPECT_TRUE(t.has_value()) << db << "." << table;
    if (!t) return out;
    for (const auto& c : t->columns) out[c.name] = c.type;
    for (const auto& k : t->partition_keys) out["partition " + k.name] = k.type;
    return out;
  }

  // Writes `sql`'s rows as a Parquet file at lake key `key`.
  void WriteParquet(const std::string& key, const std::string& sql) {
    fs::create_directories((lake_path() / key).parent_path());
    db::Database db;
    db::Connection conn(db);
    conn.Execute("COPY (" + sql + ") TO " + QuoteLiteral((lake_path() / key).string()) +
                 " (FORMAT parquet)");
  }

  std::string ActionOf(const CrawlReport& report, const std::string& table) {
    for (const auto& t : report.tables) {
      if (t.table == table) return t.action + (t.detail.empty() ? "" : ": " + t.detail);
    }
    return "(absent)";
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-crawler"};
  std::unique_ptr<lake::LocalStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CrawlerTest, RawCsvAndTransformParquetGiveTheExpectedTables) {
  BuildLake();
  CrawlReport report = Crawl();
  EXPECT_EQ(ActionOf(report, "raw_shop.orders").rfind("created", 0), 0u)
      << ActionOf(report, "raw_shop.orders");
  EXPECT_EQ(ActionOf(report, "shop.order_lines").rfind("skipped", 0), 0u);

  auto raw = TypesOf("raw_shop", "orders");
  EXPECT_EQ(raw.size(), 18u + 1);
  EXPECT_EQ(raw["order_id"], "BIGINT");
  EXPECT_EQ(raw["order_ts"], "TIMESTAMP");
  EXPECT_EQ(raw["unit_price"], "DOUBLE");
  EXPECT_EQ(raw["product_name"], "VARCHAR");
  EXPECT_EQ(raw["partition ingest_date"], "DATE");
  auto raw_table = *catalog_->FindTable("raw_shop", "orders");
  EXPECT_EQ(raw_table.format, "csv");
  EXPECT_EQ(raw_table.location, "raw/shop/");
  auto raw_partitions = catalog_->Partitions(raw_table.id);
  ASSERT_EQ(raw_partitions.size(), 1u);
  EXPECT_EQ(raw_partitions[0].spec, "ingest_date=2026-11-27");
  EXPECT_EQ(raw_partitions[0].location, "raw/shop/ingest_date=2026-11-27/orders/");
  EXPECT_EQ(raw_partitions[0].files, 3u);

  // The transform's table, as the transform registered it: typed, with its partitions.
  auto lines = TypesOf("shop", "order_lines");
  EXPECT_EQ(lines["unit_price"], "DECIMAL(12,2)");
  EXPECT_EQ(lines["partition year"], "INTEGER");
  auto table = *catalog_->FindTable("shop", "order_lines");
  std::vector<std::string> specs;
  for (const auto& p : catalog_->Partitions(table.id)) specs.push_back(p.spec + " " + p.status);
  EXPECT_EQ(specs,
            (std::vector<std::string>{"year=2026/month=5 active", "year=2026/month=6 active"}));

  // The same Parquet, unregistered (copied under another name): the crawler infers the
  // same columns and types from the footers, and the partitions from the folders.
  auto original = *catalog_->CurrentSnapshot(table.id);
  for (const auto& f : original.files) {
    std::string key =
        "processed/sales/lines/" + f.key.substr(std::string("processed/shop/order_lines/").size());
    fs::create_directories((lake_path() / key).parent_path());
    fs::copy_file(lake_path() / f.key, lake_path() / key);
  }
  report = Crawl({{"processed/sales/"}});
  EXPECT_EQ(ActionOf(report, "sales.lines").rfind("created", 0), 0u)
      << ActionOf(report, "sales.lines");
  auto copy = TypesOf("sales", "lines");
  for (const auto& [name, type] : lines) EXPECT_EQ(copy[name], type) << name;
  auto copied = *catalog_->FindTable("sales", "lines");
  auto snapshot = catalog_->CurrentSnapshot(copied.id);
  EXPECT_EQ(snapshot->rows, original.rows);
  auto stats = catalog_->Stats(snapshot->id);
  auto quantity = std::find_if(stats.begin(), stats.end(),
                               [](const ColumnStats& s) { return s.column == "quantity"; });
  ASSERT_NE(quantity, stats.end());
  EXPECT_EQ(quantity->min, "1");
}

TEST_F(CrawlerTest, AnAddedColumnIsANewVersionAndARetypedOneIsLeftOut) {
  WriteParquet("processed/web/visits/day=1/part-0.parquet",
               "SELECT i AS visit_id, 'home' AS page FROM range(10) t(i)");
  Crawl();
  auto table = *catalog_->FindTable("web", "visits");
  EXPECT_EQ(table.version, 1);

  // A new day's file with one more column: compatible, version 2 with the diff.
  WriteParquet("processed/web/visits/day=2/part-0.parquet",
               "SELECT i AS visit_id, 'cart' AS page, 3.5::DOUBLE AS seconds FROM range(5) t(i)");
  CrawlReport report = Crawl();
  EXPECT_EQ(ActionOf(report, "web.visits"), "updated: added seconds DOUBLE; partitions +1 -0");
  table = *catalog_->FindTable("web", "visits");
  EXPECT_EQ(table.version, 2);
  auto versions = catalog_->Versions(table.id);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(versions[1].change)["added"],
            nlohmann::json::array({"seconds DOUBLE"}));
  EXPECT_EQ(versions[1].columns.back().name, "seconds");

  // A file where visit_id is text: incompatible, reported, the table stays at version 2.
  WriteParquet(
      "processed/web/visits/day=3/part-0.parquet",
      "SELECT 'v' || i AS visit_id, 'home' AS page, 1.0::DOUBLE AS seconds FROM range(3) t(i)");
  report = Crawl();
  EXPECT_EQ(
      ActionOf(report, "web.visits")
          .rfind("incompatible: incompatible schema change (retyped visit_id BIGINT -> VARCHAR)",
                 0),
      0u)
      << ActionOf(report, "web.visits");
  EXPECT_EQ(catalog_->FindTable("web", "visits")->version, 2);
  EXPECT_EQ(catalog_->Partitions(table.id).size(), 2u)
      << "the incompatible folder is not registered";
  // Until asked to apply it.
  CrawlOptions apply;
  apply.update_incompatible = true;
  report = Crawl(apply);
  EXPECT_EQ(catalog_->FindTable("web", "visits")->version, 3);
  EXPECT_EQ(catalog_->Partitions(table.id).size(), 3u);
}

TEST_F(CrawlerTest, AVanishedFolderMarksItsPartitionDeleted) {
  WriteParquet("processed/web/visits/day=1/part-0.parquet", "SELECT 1 AS visit_id");
  WriteParquet("processed/web/visits/day=2/part-0.parquet", "SELECT 2 AS visit_id");
  Crawl();
  store_->Delete("processed/web/visits/day=1/part-0.parquet");
  CrawlReport report = Crawl();
  EXPECT_EQ(report.partitions_deleted, 1);
  auto table = *catalog_->FindTable("web", "visits");
  std::vector<std::string> specs;
  for (const auto& p : catalog_->Partitions(table.id)) specs.push_back(p.spec + " " + p.status);
  EXPECT_EQ(specs, (std::vector<std::string>{"day=1 deleted", "day=2 active"}));
  EXPECT_EQ(catalog_->CurrentSnapshot(table.id)->files.size(), 1u);
}

TEST_F(CrawlerTest, ARecrawlWithNothingNewReadsAndWritesNothing) {
  BuildLake();
  Crawl();
  auto changes = [&] {
    auto row = catalog_->db().Prepare("SELECT total_changes()");
    row.Step();
    return row.Int64(0);
  };
  int64_t before = changes();
  CrawlReport again = Crawl();
  EXPECT_EQ(again.files_read, 0);
  for (const auto& t : again.tables) {
    EXPECT_TRUE(t.action == "unchanged" || t.action == "skipped") << t.table << " " << t.action;
  }
  EXPECT_EQ(changes(), before) << "a re-crawl with nothing new wrote to the catalog";
}

TEST_F(CrawlerTest, ASecondCrawlWaitsItsTurnAndThenSaysWhoHoldsTheLock) {
  WriteParquet("processed/web/visits/day=1/part-0.parquet", "SELECT 1 AS visit_id");
  auto held = store_->Acquire("catalog-crawl", std::chrono::seconds(1));
  CrawlOptions options;
  options.lock_wait = std::chrono::milliseconds(50);
  try {
    Crawl(options);
    FAIL() << "crawled while another crawl held the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE((std::string(e.what()) + e.hint()).find("pid " + std::to_string(::getpid())),
              std::string::npos)
        << e.what() << " / " << e.hint();
  }
  EXPECT_FALSE(catalog_->FindTable("web", "visits").has_value());
  held.reset();
  Crawl(options);
  EXPECT_TRUE(catalog_->FindTable("web", "visits").has_value());
}

}  // namespace
}  // namespace shoplake::crawl
