// QueryEngine over a hand-made catalog: a table committed with two Parquet files (and a
// leftover file its snapshot does not list) reads exactly the snapshot's rows; errors keep
// DuckDB's caret once and suggest the nearest catalog table.
#include "query/engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog.h"
#include "common/error.h"
#include "common/sqlite.h"
#include "lake/local_store.h"
#include "support/temp_folder.h"

namespace shoplake::query {
namespace {
namespace fs = std::filesystem;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path lake = folder_.path() / "lake";
    fs::create_directories(lake / "_catalog");
    fs::create_directories(lake / "processed/shop/items");
    store_ = std::make_unique<lake::LocalStore>(lake);
    catalog_ = std::make_unique<catalog::Catalog>((lake / "_catalog/catalog.db").string());
    // Three files: the snapshot lists two (3 + 2 rows); the third is a crashed run's leftover.
    Database db;
    Connection c(db);
    for (auto [name, from, to] : {std::tuple{"a", 1, 3}, {"b", 4, 5}, {"leftover", 6, 9}}) {
      c.Execute("COPY (SELECT range::BIGINT AS id, range::INTEGER * 10 AS qty FROM range(" +
                std::to_string(from) + ", " + std::to_string(to + 1) + ")) TO " +
                QuoteLiteral(
                    (lake / "processed/shop/items" / (std::string(name) + ".parquet")).string()) +
                " (FORMAT parquet)");
    }
    SqliteTransaction tx(catalog_->db());
    catalog::Table t;
    t.database = "shop";
    t.name = "items";
    t.location = "processed/shop/items/";
    t.owner = "transform";
    t.columns = {{"id", "BIGINT", false}, {"qty", "INTEGER", true}};
    t = catalog_->RegisterTable(t);
    snapshot_id_ = catalog_->CommitSnapshot(t.id, "run-1", "append",
                                            {{"processed/shop/items/a.parquet", "", 3, 1},
                                             {"processed/shop/items/b.parquet", "", 2, 1}});
    tx.Commit();
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-sql-engine"};
  std::unique_ptr<lake::LocalStore> store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  int64_t snapshot_id_ = 0;
};

TEST_F(EngineTest, ATableReadsExactlyItsSnapshotsFiles) {
  QueryEngine engine(*store_, *catalog_);
  auto rows = engine.Run("SELECT count(*), sum(qty) FROM shop.items").Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "5");
  EXPECT_EQ(rows[0][1], "150");
  ASSERT_EQ(engine.tables().size(), 1u);
  EXPECT_EQ(engine.tables()[0].snapshot_id, snapshot_id_);
}

TEST_F(EngineTest, TablesReadNamesTheQualifiedTablesInAnySpelling) {
  QueryEngine engine(*store_, *catalog_);
  EXPECT_EQ(engine.TablesRead("select * from \"SHOP\".\"Items\"").size(), 1u);
  EXPECT_EQ(engine.TablesRead("select * from shop.items_2").size(), 0u);
  EXPECT_EQ(engine.TablesRead("select 1").size(), 0u);
}

TEST_F(EngineTest, BadSqlIsAUsageErrorWithOneCaret) {
  QueryEngine engine(*store_, *catalog_);
  try {
    engine.Run("SELECT count(* FROM shop.items");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    std::string m = e.message();
    ASSERT_NE(m.find("LINE 1: SELECT count(* FROM shop.items\n"), std::string::npos) << m;
    EXPECT_EQ(m.find("LINE 1:"), m.rfind("LINE 1:")) << m;
  }
}

TEST_F(EngineTest, AnUnknownTableSuggestsTheNearestCatalogName) {
  QueryEngine engine(*store_, *catalog_);
  for (const char* sql : {"SELECT * FROM shop.item", "SELECT * FROM items"}) {
    try {
      engine.Run(sql);
      FAIL() << "no error for " << sql;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage);
      EXPECT_NE(e.hint().find("did you mean 'shop.items'?"), std::string::npos) << e.hint();
    }
  }
}

TEST_F(EngineTest, ARuntimeFailureIsNotAUsageError) {
  QueryEngine engine(*store_, *catalog_);
  try {
    engine.Run("SELECT CAST('x' || id AS INTEGER) FROM shop.items");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1) << e.what();
  }
}

}  // namespace
}  // namespace shoplake::query
