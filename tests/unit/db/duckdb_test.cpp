// The DuckDB wrapper: values of every rendered type, errors mapped to whose fault they
// are, prepared statements, and a Parquet round trip through a real file.
#include "db/duckdb.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"

namespace shoplake::db {
namespace {

using Row = std::vector<std::optional<std::string>>;

TEST(DuckDb, ReportsItsVersion) { EXPECT_EQ(DuckDbVersion(), "v1.4.4"); }

TEST(DuckDb, RendersEachTypeAsDuckDbPrintsIt) {
  Database db;
  Connection conn(db);
  auto result = conn.Query(
      "SELECT 42::TINYINT, -7::INTEGER, 9007199254740993::BIGINT, 18446744073709551615::UBIGINT,"
      " 170141183460469231731687303715884105727::HUGEINT, 1.5::DOUBLE, 0.1::FLOAT,"
      " 12.30::DECIMAL(10,2), -0.05::DECIMAL(4,2), 123456789012345678901.5::DECIMAL(38,1),"
      " DATE '2026-03-01', TIMESTAMP '2026-03-01 12:34:56', TIMESTAMP '2026-03-01 00:00:00.25',"
      " true, 'it''s', NULL::VARCHAR");
  ASSERT_EQ(result.column_count(), 16u);
  EXPECT_EQ(result.column_type_name(7), "DECIMAL(10,2)");
  EXPECT_EQ(result.column_type_name(10), "DATE");
  auto rows = result.Rows();
  ASSERT_EQ(rows.size(), 1u);
  Row expected = {"42",
                  "-7",
                  "9007199254740993",
                  "18446744073709551615",
                  "170141183460469231731687303715884105727",
                  "1.5",
                  "0.1",
                  "12.30",
                  "-0.05",
                  "123456789012345678901.5",
                  "2026-03-01",
                  "2026-03-01 12:34:56",
                  "2026-03-01 00:00:00.250000",
                  "true",
                  "it's",
                  std::nullopt};
  EXPECT_EQ(rows[0], expected);
}

TEST(DuckDb, AColumnNameGivenTwiceComesBackSuffixed) {
  Database db;
  Connection c(db);
  auto result = c.Query("SELECT 1 AS a, 2 AS a, 3 AS a_1, 4 AS a, 5 AS b");
  std::vector<std::string> names;
  for (size_t i = 0; i < result.column_count(); ++i) names.push_back(result.column_name(i));
  EXPECT_EQ(names, (std::vector<std::string>{"a", "a_2", "a_1", "a_3", "b"}));
}

TEST(DuckDb, ReadsManyChunksInOrder) {
  Database db;
  Connection conn(db);
  auto result = conn.Query("SELECT range AS i, range * 2 AS twice FROM range(10000)");
  EXPECT_EQ(result.column_name(1), "twice");
  int64_t expected = 0;
  size_t chunks = 0;
  while (auto chunk = result.NextChunk()) {
    ++chunks;
    for (size_t r = 0; r < chunk->row_count(); ++r, ++expected) {
      ASSERT_EQ(chunk->Int64(0, r), expected);
      ASSERT_EQ(chunk->Int64(1, r), 2 * expected);
    }
  }
  EXPECT_EQ(expected, 10000);
  EXPECT_GT(chunks, 1u);
}

TEST(DuckDb, MapsErrorsToWhoseFaultTheyAre) {
  Database db;
  Connection conn(db);
  auto code_of = [&](const char* sql) {
    try {
      conn.Query(sql);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("SQL: "), std::string::npos) << e.what();
      return e.code();
    }
    ADD_FAILURE() << "no error from " << sql;
    return ErrorCode::kInternal;
  };
  EXPECT_EQ(code_of("SELEC 1"), ErrorCode::kUsage);
  EXPECT_EQ(code_of("SELECT * FROM no_such_table"), ErrorCode::kUsage);
  EXPECT_EQ(code_of("SELECT 'abc'::INTEGER"), ErrorCode::kData);
  EXPECT_EQ(code_of("SELECT * FROM read_csv('/nonexistent/x.csv')"), ErrorCode::kIo);
}

TEST(DuckDb, PreparedStatementsBindEveryKind) {
  Database db;
  Connection conn(db);
  auto statement = conn.Prepare("SELECT $1::BIGINT + 1, $2 || '!', $3::DOUBLE * 2, $4, $5 IS NULL");
  auto rows = statement.Execute({41, "hi", 1.25, true, Parameter::Null()}).Rows();
  EXPECT_EQ(rows[0], (Row{"42", "hi!", "2.5", "true", "true"}));
  auto again = statement.Execute({1, "x", 0.0, false, 5}).Rows();
  EXPECT_EQ(again[0], (Row{"2", "x!", "0", "false", "false"}));
  EXPECT_THROW(conn.Prepare("SELECT FROM WHERE"), Error);
}

TEST(DuckDb, WritesAndReadsParquetThroughARealFile) {
  auto path = std::filesystem::temp_directory_path() /
              ("shoplake-duckdb-" + std::to_string(::getpid()) + ".parquet");
  {
    Database db;
    Connection conn(db);
    conn.Execute("COPY (SELECT range AS id, 'p' || range AS name FROM range(1000)) TO " +
                 QuoteLiteral(path.string()) + " (FORMAT parquet, COMPRESSION zstd)");
  }
  Database db;
  Connection conn(db);
  EXPECT_EQ(conn.QueryScalar("SELECT count(*) || ':' || sum(id) || ':' || max(name) FROM " +
                             QuoteLiteral(path.string())),
            "1000:499500:p999");
  std::filesystem::remove(path);
}

TEST(DuckDb, QuotesLiteralsAndIdentifiers) {
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteIdentifier("my \"t\""), "\"my \"\"t\"\"\"");
  Database db;
  Connection conn(db);
  EXPECT_EQ(conn.QueryScalar("SELECT " + QuoteLiteral("a'b") + " AS " + QuoteIdentifier("x\"y")),
            "a'b");
}

// DuckDB reads SQL as a C string: the text before a NUL byte would run alone.
TEST(DuckDb, RefusesSqlHoldingANulByte) {
  Database db;
  Connection conn(db);
  std::string sql("SELECT 1 WHERE false\0 OR true", 29);
  try {
    conn.Query(sql);
    FAIL() << "the SQL before the NUL byte ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("NUL byte"), std::string::npos) << e.message();
  }
  EXPECT_THROW(conn.Prepare(sql), Error);
}

}  // namespace
}  // namespace shoplake::db
