// The Athena SQL of the AWS bundle: the views' exact rounding (docs/query.md, "Rounding")
// reaches the named queries with the same arithmetic, DuckDB's `//` spelt as Trino's `/`,
// and no DOUBLE, REAL or FLOAT on a money path.
#include "pipeline/bundle_athena.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "common/project.h"
#include "pipeline/aws_bundle.h"
#include "query/sales_model.h"

namespace shoplake::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(AthenaSql, SpellsIntegerDivisionAsTrinoDoes) {
  EXPECT_EQ(AthenaSql("SELECT (2 * abs(n) + d) // (2 * d) AS q -- n // d\n"
                      "FROM t WHERE s <> 'a//b' AND \"x//y\" = 1 /* // */"),
            "SELECT (2 * abs(n) + d) / (2 * d) AS q -- n // d\n"
            "FROM t WHERE s <> 'a//b' AND \"x//y\" = 1 /* // */");
  EXPECT_EQ(AthenaSql("SELECT 'it''s' // 2, a//b"), "SELECT 'it''s' / 2, a/b");
  EXPECT_EQ(AthenaSql("SELECT 'open"), "SELECT 'open");  // unterminated: copied as it is
}

// The SQL outside comments, where a word like DOUBLE may be named in prose.
std::string WithoutComments(const std::string& sql) {
  return std::regex_replace(sql, std::regex("--[^\n]*"), "");
}

TEST(AwsBundle, NamedQueriesRoundMoneyAsTheViewsDo) {
  const fs::path source(SHOPLAKE_SOURCE_DIR);
  const Project project = LoadProject(source / "shoplake.yaml");
  const auto files = RenderAwsBundle(project, source / "infra" / "aws" / "template.yaml");
  const YAML::Node resources = YAML::Load(files.at("template.yaml"))["Resources"];
  // One rounding expression in every view: n / d to the unit, half away from zero, in
  // BIGINTs: sign(n) * sign(d) * ((2 * abs(n) + abs(d)) DIV (2 * abs(nullif(d, 0)))).
  auto rounding = [](const std::string& div) {
    return std::regex(R"(sign\(([^()]+)\) \* sign\(([^()]+)\)\s+\* \(\(2 \* abs\()" +
                      std::string(R"((10000 \* )?\(?\1\)?\) \+ abs\(\2\)\)\s+)") + div +
                      R"( \(2 \* abs\(nullif\(\2, 0\)\)\)\))");
  };
  const std::regex duckdb_rounding = rounding("//");
  const std::regex athena_rounding = rounding("/");
  const std::regex floating(R"(\b(DOUBLE|REAL|FLOAT\d*)\b)", std::regex::icase);
  const std::pair<std::string, std::string> money_views[] = {
      {"total_sales", "NamedQueryTotalSales"},
      {"profit", "NamedQueryProfit"},
      {"sales_by_branch", "NamedQuerySalesByBranch"},
      {"monthly_trend", "NamedQueryMonthlyTrend"},
      {"repeat_customer_rate", "NamedQueryRepeatCustomerRate"}};
  for (const auto& [name, resource] : money_views) {
    SCOPED_TRACE(name);
    const std::string query =
        WithoutComments(resources[resource]["Properties"]["QueryString"].as<std::string>());
    // The demo's views ship with shoplake, rendered for its sales model.
    const std::string shipped = query::ShippedView(project, name).sql;
    const std::string view = WithoutComments(shipped);
    EXPECT_TRUE(std::regex_search(view, duckdb_rounding)) << view;
    EXPECT_TRUE(std::regex_search(query, athena_rounding)) << query;
    EXPECT_EQ(query.find("//"), std::string::npos) << query;
    EXPECT_FALSE(std::regex_search(query, floating)) << query;
    EXPECT_FALSE(std::regex_search(view, floating)) << view;
    // The bundle's views/ folder holds what the named queries hold.
    EXPECT_EQ(files.at("views/" + name + ".sql"), AthenaSql(shipped));
  }
}

}  // namespace
}  // namespace shoplake::pipeline
