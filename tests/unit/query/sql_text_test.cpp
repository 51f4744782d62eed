// SqlHead: the tokens at a statement's head, comments skipped as DuckDB skips them.
#include "query/sql_text.h"

#include <gtest/gtest.h>

#include <string>

namespace shoplake::query {
namespace {

// The head as "kind:text" pairs: w (word), q (quoted), m (mark), o (other).
std::string Spell(std::string_view sql, size_t limit = 16) {
  std::string out;
  for (const auto& t : SqlHead(sql, limit)) {
    const char* kind = t.kind == SqlToken::Kind::kWord     ? "w"
                       : t.kind == SqlToken::Kind::kQuoted ? "q"
                       : t.kind == SqlToken::Kind::kMark   ? "m"
                                                           : "o";
    out += (out.empty() ? "" : " ") + std::string(kind) + ":" + t.text;
  }
  return out;
}

// DuckDB nests block comments as PostgreSQL does (checked against DuckDB itself in
// EngineTest.DuckDbNestsBlockCommentsAsSqlHeadDoes): SqlHead must read them the same way, or
// an EXPLAIN ANALYZE could hide from it inside what it takes for a comment.
TEST(SqlHead, SkipsBlanksLineAndNestedBlockComments) {
  EXPECT_EQ(Spell(" \t\n-- a\n/* b /* c */ d */EXPLAIN/**/ANALYZE x", 3),
            "w:EXPLAIN w:ANALYZE w:x");
  EXPECT_EQ(Spell("-- only a comment"), "");
  EXPECT_EQ(Spell(""), "");
}

TEST(SqlHead, ReadsQuotedNamesMarksAndLiterals) {
  EXPECT_EQ(Spell(R"(CREATE VIEW "my ""shop""".v AS SELECT 'it''s', 1.5e3)"),
            R"(w:CREATE w:VIEW q:my "shop" m:. w:v w:AS w:SELECT o: m:, o:)");
  EXPECT_EQ(Spell("EXPLAIN (ANALYZE) SELECT"), "w:EXPLAIN m:( w:ANALYZE m:) w:SELECT");
}

TEST(SqlHead, StopsInsideWhatDoesNotEnd) {
  EXPECT_EQ(Spell("SELECT /* /* */ ANALYZE"), "w:SELECT");
  EXPECT_EQ(Spell("SELECT \"open"), "w:SELECT");
  EXPECT_EQ(Spell("a b c d", 2), "w:a w:b");
}

TEST(SqlHead, OffsetsPointIntoTheText) {
  std::string sql = "/* x */ EXPLAIN SELECT 1";
  auto head = SqlHead(sql, 2);
  ASSERT_EQ(head.size(), 2u);
  EXPECT_EQ(sql.substr(head[1].offset), "SELECT 1");
  EXPECT_TRUE(head[0].Is("explain"));
  EXPECT_FALSE(head[1].Is("explain"));
}

TEST(SqlHead, IsLinearOnAMegabyteOfComments) {
  std::string sql;
  while (sql.size() < (1u << 20)) sql += "/* c */ -- d\n";
  sql += "SELECT";
  EXPECT_EQ(Spell(sql), "w:SELECT");
}

}  // namespace
}  // namespace shoplake::query
