// Verify over a real local lake and its catalog: an untouched lake verifies clean; bytes
// flipped inside a file, or a file removed, are named and fail the verification; files
// committed before checksums were recorded are unknown (not failed) until --record; the
// crawler records the checksums of what it commits; a catalog of schema 2 gains the column.
#include "catalog/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "crawl/crawler.h"
#include "db/duckdb.h"
#include "lake/local_store.h"
#include "support/temp_folder.h"

namespace shoplake::catalog {
namespace {
namespace fs = std::filesystem;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(lake_path() / "_catalog");
    store_ = std::make_unique<lake::LocalStore>(lake_path());
    catalog_ = std::make_unique<Catalog>(catalog_path());
  }
  fs::path lake_path() const { return folder_.path() / "lake"; }
  std::string catalog_path() const { return (lake_path() / "_catalog/catalog.db").string(); }

  // Writes `bytes` at lake key `key`; returns the file as a snapshot lists it, with its
  // checksum when `checksum`.
  SnapshotFile WriteFile(const std::string& key, const std::string& bytes, bool checksum = true) {
    fs::create_directories((lake_path() / key).parent_path());
    std::ofstream(lake_path() / key, std::ios::binary) << bytes;
    SnapshotFile f{key, "", 1, bytes.size()};
    if (checksum) f.sha256 = FileSha256(lake_path() / key);
    return f;
  }

  // Registers shop.<name> and commits a snapshot listing `files`.
  void Commit(const std::string& name, const std::vector<SnapshotFile>& files) {
    db::SqliteTransaction tx(catalog_->db());
    Table t;
    t.database = "shop";
    t.name = name;
    t.location = "processed/shop/" + name + "/";
    t.owner = "transform";
    t.columns = {{"id", "BIGINT", false}};
    t = catalog_->RegisterTable(t);
    catalog_->CommitSnapshot(t.id, "run-1", "append", files);
    tx.Commit();
  }

  // Overwrites 7 bytes in the middle of the lake file `key`, keeping its size.
  void FlipBytes(const std::string& key) {
    std::fstream file(lake_path() / key, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(lake_path() / key) / 2));
    file.write("\x13\x37\x42\x99\xAA\x55\x00", 7);
  }

  VerifyReport Run(VerifyOptions options = {}) { return Verify(*store_, *catalog_, options); }

  static std::vector<std::string> Problems(const VerifyReport& report) {
    std::vector<std::string> out;
    for (const auto& p : report.problems) out.push_back(p.problem + " " + p.key);
    return out;
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-verify"};
  std::unique_ptr<lake::LocalStore> store_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(VerifyTest, AnUntouchedLakeVerifiesCleanAndTheRunIsRecorded) {
  Commit("orders", {WriteFile("processed/shop/orders/a.parquet", std::string(5000, 'a')),
                    WriteFile("processed/shop/orders/b.parquet", "bbbb")});
  EXPECT_FALSE(catalog_->LastVerification().has_value());
  VerifyReport report = Run();
  EXPECT_FALSE(report.failed());
  EXPECT_TRUE(report.problems.empty());
  auto last = catalog_->LastVerification();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->id, report.verification.id);
  EXPECT_EQ(last->files_checked, 2u);
  EXPECT_EQ(last->files_failed, 0u);
  EXPECT_EQ(last->scope, "");
  EXPECT_EQ(last->failures, "[]");
}

TEST_F(VerifyTest, FlippedBytesAndARemovedFileAreNamedAndFail) {
  Commit("orders", {WriteFile("processed/shop/orders/a.parquet", std::string(5000, 'a')),
                    WriteFile("processed/shop/orders/b.parquet", std::string(3000, 'b')),
                    WriteFile("processed/shop/orders/c.parquet", "cccc")});
  FlipBytes("processed/shop/orders/a.parquet");
  fs::remove(lake_path() / "processed/shop/orders/c.parquet");
  VerifyReport report = Run();
  EXPECT_TRUE(report.failed());
  EXPECT_EQ(Problems(report),
            (std::vector<std::string>{"differs processed/shop/orders/a.parquet",
                                      "missing processed/shop/orders/c.parquet"}));
  EXPECT_EQ(report.problems[0].bytes, 5000u);  // same size, other bytes
  EXPECT_NE(report.problems[0].sha256, report.problems[0].committed);
  auto last = *catalog_->LastVerification();
  EXPECT_EQ(last.files_checked, 3u);
  EXPECT_EQ(last.files_failed, 2u);
  auto failures = nlohmann::json::parse(last.failures);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]["key"], "processed/shop/orders/a.parquet");
  EXPECT_EQ(failures[0]["table"], "shop.orders");
  EXPECT_EQ(failures[1]["problem"], "missing");
}

TEST_F(VerifyTest, OneTableIsVerifiedAlone) {
  Commit("orders", {WriteFile("processed/shop/orders/a.parquet", "aaaa")});
  Commit("products", {WriteFile("processed/shop/products/p.parquet", "pppp")});
  FlipBytes("processed/shop/orders/a.parquet");
  VerifyReport products = Run({"products", false});
  EXPECT_FALSE(products.failed());
  EXPECT_EQ(products.verification.files_checked, 1u);
  EXPECT_EQ(catalog_->LastVerification()->scope, "shop.products");
  EXPECT_TRUE(Run({"shop.orders", false}).failed());
  try {
    Run({"order", false});
    FAIL() << "an unknown table verified";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("did you mean"), std::string::npos) << e.message();
  }
}

TEST_F(VerifyTest, FilesWithoutAChecksumAreUnknownUntilRecorded) {
  Commit("orders", {WriteFile("processed/shop/orders/old.parquet", "old bytes", false),
                    WriteFile("processed/shop/orders/new.parquet", "new bytes")});
  VerifyReport report = Run();
  EXPECT_FALSE(report.failed());
  EXPECT_EQ(Problems(report),
            (std::vector<std::string>{"unknown processed/shop/orders/old.parquet"}));
  EXPECT_EQ(report.verification.files_unknown, 1u);

  report = Run({"", true});
  EXPECT_EQ(Problems(report),
            (std::vector<std::string>{"recorded processed/shop/orders/old.parquet"}));
  EXPECT_EQ(report.verification.files_unknown, 0u);
  auto snapshot = *catalog_->CurrentSnapshot(catalog_->FindTable("shop", "orders")->id);
  EXPECT_EQ(snapshot.files[1].key, "processed/shop/orders/old.parquet");
  EXPECT_EQ(snapshot.files[1].sha256,
            FileSha256(lake_path() / "processed/shop/orders/old.parquet"));
  // Recorded now, checked from now on.
  EXPECT_TRUE(Run().problems.empty());
  FlipBytes("processed/shop/orders/old.parquet");
  EXPECT_EQ(Problems(Run({"", true})),
            (std::vector<std::string>{"differs processed/shop/orders/old.parquet"}));
}

TEST_F(VerifyTest, TheCrawlerRecordsTheChecksumsOfWhatItCommits) {
  std::string key = "processed/sales/lines/year=2026/part-0.parquet";
  fs::create_directories((lake_path() / key).parent_path());
  {
    db::Database db;
    db::Connection conn(db);
    conn.Execute("COPY (SELECT range AS id FROM range(1000)) TO " +
                 db::QuoteLiteral((lake_path() / key).string()) + " (FORMAT parquet)");
  }
  crawl::Crawler(*store_, *catalog_).Run({});
  auto snapshot = *catalog_->CurrentSnapshot(catalog_->FindTable("sales", "lines")->id);
  ASSERT_EQ(snapshot.files.size(), 1u);
  EXPECT_EQ(snapshot.files[0].sha256, FileSha256(lake_path() / key));
  EXPECT_TRUE(Run().problems.empty());
  // Rot changes the file's time, so the next crawl commits again: with the checksum of the
  // bytes first committed, not of the rotten ones.
  FlipBytes(key);
  crawl::Crawler(*store_, *catalog_).Run({});
  EXPECT_EQ(Problems(Run()), (std::vector<std::string>{"differs " + key}));
}

TEST_F(VerifyTest, ACatalogOfSchemaTwoGainsTheChecksumColumn) {
  catalog_.reset();
  fs::remove_all(lake_path() / "_catalog");
  fs::create_directories(lake_path() / "_catalog");
  {
    // What shoplake wrote before checksums: the file list without them, at schema 2.
    db::SqliteDatabase old(catalog_path());
    old.Execute(
        "CREATE TABLE shoplake_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);"
        "INSERT INTO shoplake_schema VALUES ('catalog', 2);"
        "CREATE TABLE catalog_snapshot_files (snapshot_id INTEGER NOT NULL, key TEXT NOT NULL,"
        " partition TEXT NOT NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL,"
        " PRIMARY KEY (snapshot_id, key));");
  }
  catalog_ = std::make_unique<Catalog>(catalog_path());
  Commit("orders", {WriteFile("processed/shop/orders/a.parquet", "aaaa")});
  auto snapshot = *catalog_->CurrentSnapshot(catalog_->FindTable("shop", "orders")->id);
  EXPECT_EQ(snapshot.files[0].sha256, FileSha256(lake_path() / "processed/shop/orders/a.parquet"));
  auto version =
      catalog_->db().Prepare("SELECT version FROM shoplake_schema WHERE component = 'catalog'");
  ASSERT_TRUE(version.Step());
  EXPECT_EQ(version.Int64(0), 4);  // brought up to the current schema
}

}  // namespace
}  // namespace shoplake::catalog
