// The sales model: `<database>.sales` written from the roles, the shipped views a model
// supports (and the notes for those it does not), a views-folder file replacing a shipped
// view, and `views copy`'s lookups. What the views compute is checked end to end
// (e2e.query_views_test over the simulated shop, e2e.init_test over two public exports).
#include "query/sales_model.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/files.h"

namespace shoplake::query {
namespace {
namespace fs = std::filesystem;

Project Parse(const std::string& yaml, const fs::path& root = "/p") {
  return ParseProject(yaml, root / "shoplake.yaml");
}

std::vector<std::string> Names(const std::vector<catalog::View>& views) {
  std::vector<std::string> names;
  for (const auto& v : views) names.push_back(v.database + "." + v.name);
  return names;
}

TEST(SalesModel, GeneratesTheSalesViewFromTheRoles) {
  const Project project = Parse(
      "name: Store\nsales:\n  table: lines\n  where: kind <> 'test'\n  order: id\n"
      "  time: day\n  revenue: amount\n  customer: buyer\n  profit: margin\n");
  const catalog::View view = SalesView(project);
  EXPECT_EQ(view.database, "store");
  EXPECT_EQ(view.name, "sales");
  const std::string& sql = view.sql;
  EXPECT_NE(
      sql.find("CREATE OR REPLACE VIEW store.sales AS\nSELECT\n  (id) AS order_id,\n"
               "  CAST((day) AS TIMESTAMP) AS order_ts,\n  CAST((day) AS DATE) AS order_date,\n"
               "  (buyer) AS customer_id,\n  CAST((buyer) AS VARCHAR) AS customer_name,\n"),
      std::string::npos)
      << sql;
  // No product: typed NULLs; gross is revenue, no discount; profit gives cost.
  EXPECT_NE(sql.find("  CAST(NULL AS VARCHAR) AS product_id,\n"), std::string::npos) << sql;
  EXPECT_NE(sql.find("  (amount) AS gross,\n  0 AS discount,\n  (amount) AS revenue,\n"
                     "  ((amount) - (margin)) AS cost,\n"
                     "  coalesce(false, false) AS is_cancellation,\n"
                     "  coalesce(true, false) AS is_product\n"
                     "FROM store.lines\nWHERE kind <> 'test'\n"),
            std::string::npos)
      << sql;
  // Every column of the contract, in order.
  size_t at = 0;
  for (const auto& column : SalesColumns()) {
    at = sql.find(" AS " + column + (column == "is_product" ? "\n" : ",\n"), at);
    EXPECT_NE(at, std::string::npos) << column;
  }
}

TEST(SalesModel, ShipsTheViewsItsRolesSupportAndSaysWhyNotTheOthers) {
  const Project project = Parse(
      "name: store\nsales:\n  table: shop.lines\n  order: id\n  time: day\n  revenue: amount\n"
      "  customer: buyer\n");
  auto loaded = LoadProjectViews(project, "/p/no-such-folder");
  // `table` names its database: the views live there.
  EXPECT_EQ(
      Names(loaded.views),
      (std::vector<std::string>{"shop.sales", "shop.repeat_customer_rate", "shop.top10_customers",
                                "shop.total_sales", "shop.monthly_trend"}));
  EXPECT_EQ(loaded.notes,
            (std::vector<std::string>{
                "shop.out_of_stock_products skipped: it needs the sales model's product "
                "(sales.product in shoplake.yaml)",
                "shop.profit skipped: it needs the sales model's cost (sales.cost or sales.profit "
                "in shoplake.yaml)",
                "shop.sales_by_branch skipped: it needs the sales model's branch (sales.branch in "
                "shoplake.yaml)",
                "shop.top10_seller_products skipped: it needs the sales model's product "
                "(sales.product in shoplake.yaml)"}));
  // Without a cancellation role the views have no cancellation columns.
  const std::string cancelled_columns = "cancelled_orders,\n  cancelled_revenue\nFROM per_grain";
  for (const auto& view : loaded.views) {
    EXPECT_EQ(view.sql.find("{{"), std::string::npos) << view.name;
    EXPECT_EQ(view.sql.find(cancelled_columns), std::string::npos) << view.name;
  }
  const Project cancelling = Parse(
      "name: store\nsales: {table: lines, order: id, time: day, revenue: amount, "
      "cancellation: \"id LIKE 'C%'\"}\n");
  EXPECT_NE(ShippedView(cancelling, "total_sales").sql.find(cancelled_columns), std::string::npos);
}

TEST(SalesModel, AFileOfTheViewsFolderReplacesTheShippedView) {
  const fs::path dir = fs::temp_directory_path() / "shoplake-sales-model-views";
  fs::remove_all(dir);
  fs::create_directories(dir / "views");
  WriteFileAtomically(dir / "views" / "total_sales.sql",
                      "CREATE OR REPLACE VIEW s.total_sales AS SELECT 1 AS one\n");
  WriteFileAtomically(dir / "views" / "extra.sql",
                      "CREATE OR REPLACE VIEW s.extra AS SELECT * FROM s.total_sales\n");
  const Project project = Parse("name: s\nsales: {table: t, order: o, time: d, revenue: r}\n", dir);
  auto loaded = LoadProjectViews(project, dir / "views");
  EXPECT_EQ(Names(loaded.views),
            (std::vector<std::string>{"s.sales", "s.total_sales", "s.extra", "s.monthly_trend"}));
  EXPECT_EQ(loaded.views[1].file, "views/total_sales.sql");
  EXPECT_EQ(loaded.views[3].file, "shipped/views/monthly_trend.sql");
  fs::remove_all(dir);
}

TEST(SalesModel, ShippedViewNamesTheViewsAndRefusesWhatTheModelLacks) {
  const Project project = Parse("name: s\nsales: {table: t, order: o, time: d, revenue: r}\n");
  EXPECT_EQ(ShippedViewNames().size(), 8u);
  try {
    ShippedView(project, "top10_customer");
    FAIL() << "an unknown view";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.message().find("did you mean 'top10_customers'?"), std::string::npos)
        << e.message();
  }
  try {
    ShippedView(project, "profit");
    FAIL() << "a view whose role is missing";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(e.message().find("needs the sales model's cost"), std::string::npos) << e.message();
  }
  // Without a sales model there is nothing shipped to copy.
  EXPECT_THROW(ShippedView(Parse("name: s\n"), "total_sales"), Error);
}

}  // namespace
}  // namespace shoplake::query
