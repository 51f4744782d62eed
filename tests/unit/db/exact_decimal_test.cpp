// ExactDecimalFunction on a real DuckDB connection: a value only when the text holds no
// decimal beyond the scale and fits, then the same value as DuckDB's TRY_CAST; NULL for
// everything else, whatever integer DuckDB keeps the DECIMAL in.
#include "db/exact_decimal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoplake::db {
namespace {

using Row = std::vector<std::optional<std::string>>;

// Each text of `texts` through ExactDecimalFunction(precision, scale), and DuckDB's TRY_CAST
// of it, as rendered.
std::vector<Row> ReadBoth(Connection& conn, int precision, int scale,
                          const std::vector<std::string>& texts) {
  RegisterExactDecimal(conn, precision, scale);
  std::string values;
  for (size_t i = 0; i < texts.size(); ++i) {
    values += (i ? ", (" : "(") + std::to_string(i) + ", " + QuoteLiteral(texts[i]) + ")";
  }
  std::string type = "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  return conn
      .Query("SELECT " + ExactDecimalFunction(precision, scale) + "(v), TRY_CAST(v AS " + type +
             ") FROM (VALUES " + values + ") t(i, v) ORDER BY i")
      .Rows();
}

TEST(ExactDecimal, ReadsPlainValuesWithinTheScaleAsTryCastDoes) {
  Database db;
  Connection conn(db);
  auto rows = ReadBoth(conn, 12, 2,
                       {"1.25", "1.250000", "-0.5", "7", "0", "-0.00", "0000000001.5",
                        "9999999999.99", "-9999999999.99", "1234567890"});
  std::vector<std::string> expected = {"1.25",           "1.25",         "-0.50", "7.00",
                                       "0.00",           "0.00",         "1.50",  "9999999999.99",
                                       "-9999999999.99", "1234567890.00"};
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], expected[i]) << i;
    EXPECT_EQ(rows[i][0], rows[i][1]) << i;
  }
}

TEST(ExactDecimal, LeavesEveryOtherTextNull) {
  Database db;
  Connection conn(db);
  // A decimal beyond the scale (which TRY_CAST rounds), a number too large, and every way of
  // writing a number that is not the plain one: the caller's slow way takes those.
  auto rows = ReadBoth(conn, 12, 2,
                       {"1.255", "0.001", "0.30000000000000004", "12345678901", "1e2", " 1", "1 ",
                        "+1", ".5", "5.", "1_000", "-", "", "abc", "1.2.3", "--1"});
  for (const auto& row : rows) EXPECT_EQ(row[0], std::nullopt) << row[1].value_or("NULL");
  EXPECT_EQ(rows[0][1], "1.26");  // what the function is for: TRY_CAST rounds silently
  EXPECT_EQ(conn.QueryScalar("SELECT " + ExactDecimalFunction(12, 2) + "(NULL)"), std::nullopt);
}

TEST(ExactDecimal, WritesEachWidthDuckDbKeepsDecimalsIn) {
  Database db;
  Connection conn(db);
  // DECIMAL(4,1) in an int16, (9,3) in an int32, (18,0) and (18,18) in an int64.
  EXPECT_EQ(ReadBoth(conn, 4, 1, {"-999.9", "1000"}),
            (std::vector<Row>{{"-999.9", "-999.9"}, {std::nullopt, std::nullopt}}));
  EXPECT_EQ(ReadBoth(conn, 9, 3, {"123456.789", "0.0001"}),
            (std::vector<Row>{{"123456.789", "123456.789"}, {std::nullopt, "0.000"}}));
  EXPECT_EQ(ReadBoth(conn, 18, 0, {"999999999999999999", "-5.0"}),
            (std::vector<Row>{{"999999999999999999", "999999999999999999"}, {"-5", "-5"}}));
  EXPECT_EQ(ReadBoth(conn, 18, 18, {"0.123456789012345678", "1"}),
            (std::vector<Row>{{"0.123456789012345678", "0.123456789012345678"},
                              {std::nullopt, std::nullopt}}));
}

TEST(ExactDecimal, RegistersOncePerConnection) {
  Database db;
  Connection conn(db);
  RegisterExactDecimal(conn, 12, 2);
  RegisterExactDecimal(conn, 12, 2);
  EXPECT_EQ(conn.QueryScalar("SELECT " + ExactDecimalFunction(12, 2) + "('3.10')"), "3.10");
}

}  // namespace
}  // namespace shoplake::db
