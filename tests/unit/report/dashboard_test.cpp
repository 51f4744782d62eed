// The dashboard definition: a folder of invalid cases (each states where and what the error
// is), the dashboard shipped with shoplake read panel by panel for the demo's sales model and
// for one that lacks roles, the SQL the filters become, and the page's escaping of data it
// inlines.
#include "report/dashboard.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/files.h"
#include "common/project.h"
#include "report/report.h"
#include "support/invalid_cases.h"

namespace shoplake::report {
namespace {
namespace fs = std::filesystem;

TEST(Dashboard, EveryInvalidCaseNamesFileLineAndProblem) {
  int cases =
      ::shoplake::testing::CheckInvalidCases(fs::path(SHOPLAKE_TEST_DATA) / "report" / "invalid",
                                             [](const fs::path& file) { LoadDashboard(file); });
  EXPECT_GE(cases, 14);
}

TEST(Dashboard, ReadsTheShippedDashboardForTheDemo) {
  // The demo has a sales model and no dashboard file: it gets the one shoplake ships.
  const Project demo = LoadProject(fs::path(SHOPLAKE_SOURCE_DIR) / "shoplake.yaml");
  auto spec = LoadProjectDashboard(demo);
  EXPECT_EQ(spec.file, fs::path("shipped") / "dashboard.yaml");
  EXPECT_EQ(spec.title, "Shop sales");
  ASSERT_TRUE(spec.filters);
  EXPECT_EQ(spec.filters->source, "shop.sales");
  EXPECT_EQ(spec.filters->date, "order_date");
  std::vector<std::string> ids, types;
  for (const auto& p : spec.panels) {
    ids.push_back(p.id);
    types.push_back(p.type);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"kpis", "top_products", "top_customers",
                                           "sales_by_branch", "monthly_trend", "out_of_stock"}));
  EXPECT_EQ(types, (std::vector<std::string>{"kpi", "bar", "bar", "bar", "line", "table"}));
  const Panel& kpis = spec.panels[0];
  ASSERT_EQ(kpis.tiles.size(), 4u);
  EXPECT_EQ(kpis.tiles[3].field, "margin_pct");
  EXPECT_EQ(kpis.tiles[3].format, "percent");
  EXPECT_TRUE(kpis.filtered());
  // The demo names no cancellation role: that tile is left out, and said so.
  ASSERT_EQ(spec.skipped.size(), 1u);
  EXPECT_EQ(spec.skipped[0].id, "kpis.cancelled_orders");
  EXPECT_EQ(spec.skipped[0].note,
            "needs the sales model's cancellation (sales.cancellation in shoplake.yaml)");
  // YAML scalars become the JSON Vega-Lite expects: strings, null, and the default mark.
  const Panel& top = spec.panels[1];
  EXPECT_EQ(top.encoding["y"]["sort"], "-x");
  EXPECT_TRUE(top.encoding["y"]["title"].is_null());
  EXPECT_EQ(top.encoding["tooltip"][1]["format"], ",.2f");
  EXPECT_EQ(top.mark, "bar");
  EXPECT_EQ(spec.panels[3].encoding["color"]["field"], "branch_type");
  EXPECT_EQ(spec.panels[4].mark["type"], "line");
  EXPECT_EQ(spec.panels[4].mark["point"], true);
  const Panel& stock = spec.panels[5];
  EXPECT_EQ(stock.view, "shop.out_of_stock_products");
  EXPECT_FALSE(stock.filtered());
  EXPECT_EQ(stock.columns.size(), 6u);
}

TEST(Dashboard, LeavesOutWhatTheSalesModelLacks) {
  // Only the required roles and a customer: no product, branch, cost or stock panels.
  const Project project = ParseProject(
      "name: store\nsales:\n  table: lines\n  order: id\n  time: day\n  revenue: amount\n"
      "  customer: buyer\n  cancellation: amount < 0\n",
      "/p/shoplake.yaml");
  auto spec = LoadProjectDashboard(project);
  EXPECT_EQ(spec.filters->source, "store.sales");
  std::vector<std::string> shown, skipped;
  for (const auto& p : spec.panels) shown.push_back(p.id);
  for (const auto& s : spec.skipped) skipped.push_back(s.id + ": " + s.note);
  EXPECT_EQ(shown, (std::vector<std::string>{"kpis", "top_customers", "monthly_trend"}));
  EXPECT_EQ(skipped,
            (std::vector<std::string>{
                "kpis.margin_pct: needs the sales model's cost (sales.cost or sales.profit in "
                "shoplake.yaml)",
                "top_products: needs the sales model's product (sales.product in shoplake.yaml)",
                "sales_by_branch: needs the sales model's branch (sales.branch in shoplake.yaml)",
                "out_of_stock: needs the sales model's stock (sales.stock in shoplake.yaml)"}));
  std::vector<std::string> tiles;
  for (const auto& t : spec.panels[0].tiles) tiles.push_back(t.field);
  EXPECT_EQ(tiles,
            (std::vector<std::string>{"revenue", "orders", "avg_order_value", "cancelled_orders"}));
}

TEST(Dashboard, AProjectFileReplacesTheShippedOne) {
  const fs::path dir = fs::temp_directory_path() / "shoplake-dashboard-own";
  fs::create_directories(dir / "pipeline");
  WriteFileAtomically(dir / "pipeline" / "dashboard.yaml",
                      "title: Mine\npanels:\n  - {id: a, type: table, title: A, view: s.t, "
                      "needs: [stock]}\n  - {id: b, type: table, title: B, view: s.u}\n");
  const Project project = ParseProject(
      "name: s\nsales: {table: t, order: o, time: d, revenue: r}\n", dir / "shoplake.yaml");
  auto spec = LoadProjectDashboard(project);
  EXPECT_EQ(spec.title, "Mine");
  ASSERT_EQ(spec.panels.size(), 1u);
  EXPECT_EQ(spec.panels[0].id, "b");
  ASSERT_EQ(spec.skipped.size(), 1u);
  EXPECT_EQ(spec.skipped[0].id, "a");
  fs::remove_all(dir);
}

TEST(Dashboard, QuotedScalarsStayStrings) {
  auto spec = ParseDashboard(
      "title: T\npanels:\n  - id: a\n    type: bar\n    title: A\n    view: shop.x\n"
      "    encoding: {x: {field: '2026', type: quantitative, bin: true, stack: null}, y: {field: "
      "n}}\n"
      "    mark: {type: bar, opacity: 0.5}\n",
      "inline.yaml");
  const auto& e = spec.panels[0].encoding;
  EXPECT_TRUE(e["x"]["field"].is_string());
  EXPECT_EQ(e["x"]["bin"], true);
  EXPECT_TRUE(e["x"]["stack"].is_null());
  EXPECT_DOUBLE_EQ(spec.panels[0].mark["opacity"].get<double>(), 0.5);
}

TEST(Filters, BecomeOneSubqueryWithLiteralsQuoted) {
  FilterSpec spec{"shop.sales", "order_date", "branch_name", "category"};
  EXPECT_EQ(FilteredSource(spec, {}), "shop.sales");
  EXPECT_EQ(FilteredSource(spec, {"2026-01-01", "2026-01-31", "", ""}),
            "(SELECT * FROM shop.sales WHERE \"order_date\" >= DATE '2026-01-01' AND "
            "\"order_date\" <= DATE '2026-01-31')");
  EXPECT_EQ(
      FilteredSource(spec, {"", "", "O'Brien's'); DROP TABLE x; --", ""}),
      "(SELECT * FROM shop.sales WHERE \"branch_name\" = 'O''Brien''s''); DROP TABLE x; --')");
  try {
    FilteredSource(spec, {"", "2026-02-30", "", ""});
    FAIL() << "a date that does not exist was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_EQ(e.input(), "2026-02-30");
  }
  EXPECT_THROW(FilteredSource(spec, {"2026-01-01' OR 1=1 --", "", "", ""}), Error);
}

TEST(Page, DataCannotCloseItsScriptElement) {
  nlohmann::ordered_json data = {{"title", "<b>Shop</b>"},
                                 {"panels", {{{"title", "</script><script>alert(1)</script>"}}}}};
  WebAssets assets{"/*vega*/", "/*vl*/", "/*embed*/", "/*page*/", "/*css*/"};
  std::string html = DashboardHtml(data, assets);
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"), std::string::npos);
  // The page's own script may hold the text too (in a string): it cannot end its element.
  assets.script = "const end = '</SCRIPT>'; // <!-- x";
  html = DashboardHtml(data, assets);
  EXPECT_NE(html.find("const end = '<\\/SCRIPT>'; // <\\!-- x"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;b&gt;Shop&lt;/b&gt;</title>"), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
}

}  // namespace
}  // namespace shoplake::report
