// The catalog store: descriptions from a mapping are kept with each schema version, a
// change of description is a new version (as Glue versions a table on any update), and a
// catalog written before descriptions existed (schema 3) opens and gains them.
#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include "db/sqlite.h"
#include "support/temp_folder.h"

namespace shoplake::catalog {
namespace {

Table OrderLines(const std::string& description, const std::string& column_description) {
  Table t;
  t.database = "shop";
  t.name = "order_lines";
  t.location = "processed/shop/order_lines/";
  t.owner = "transform";
  t.description = description;
  t.columns = {{"order_id", "BIGINT", false, column_description}, {"note", "VARCHAR", true}};
  t.partition_keys = {{"year", "INTEGER", false, "the year of order_ts"}};
  return t;
}

TEST(CatalogTest, DescriptionsAreKeptPerSchemaVersion) {
  ::shoplake::testing::TempFolder folder{"shoplake-catalog"};
  Catalog catalog((folder.path() / "catalog.db").string());
  Table first = catalog.RegisterTable(OrderLines("Order lines", "The order"));
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(catalog.RegisterTable(OrderLines("Order lines", "The order")).version, 1)
      << "the same descriptions: no new version";
  auto found = catalog.FindTable("shop", "order_lines");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->description, "Order lines");
  EXPECT_EQ(found->columns[0].description, "The order");
  EXPECT_EQ(found->columns[1].description, "");
  EXPECT_EQ(found->partition_keys[0].description, "the year of order_ts");

  EXPECT_EQ(catalog.RegisterTable(OrderLines("Order lines", "The order's id")).version, 2);
  EXPECT_EQ(catalog.RegisterTable(OrderLines("Sale lines", "The order's id")).version, 3);
  auto versions = catalog.Versions(found->id);
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].columns[0].description, "The order");
  EXPECT_EQ(catalog.FindTable("shop", "order_lines")->description, "Sale lines");
}

TEST(CatalogTest, ACatalogFromBeforeDescriptionsOpensAndGainsThem) {
  ::shoplake::testing::TempFolder folder{"shoplake-catalog"};
  std::string path = (folder.path() / "catalog.db").string();
  {
    Catalog catalog(path);
    Table t = OrderLines("", "");
    catalog.RegisterTable(t);
  }
  {
    // What schema 3 had: no description column.
    db::SqliteDatabase db(path);
    db.Execute("ALTER TABLE catalog_table_versions DROP COLUMN description");
    db.Execute("UPDATE shoplake_schema SET version = 3 WHERE component = 'catalog'");
  }
  Catalog catalog(path);
  auto old = catalog.FindTable("shop", "order_lines");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->description, "");
  EXPECT_EQ(catalog.RegisterTable(OrderLines("Order lines", "The order")).version, 2);
  EXPECT_EQ(catalog.FindTable("shop", "order_lines")->description, "Order lines");
}

}  // namespace
}  // namespace shoplake::catalog
