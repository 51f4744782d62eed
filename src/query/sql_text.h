// SqlHead: the first words of a SQL statement, read the way DuckDB's parser reads them, in
// one linear pass. It lets the engine refuse a statement by its head (EXPLAIN ANALYZE) and
// lets views read their CREATE line without a backtracking regex, which overflowed the stack
// on a long run of blanks or comments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::query {

//! One token of a statement's head.
struct SqlToken {
  enum class Kind {
    kWord,    //!< a keyword or bare identifier: letters, digits, '_' and '$'
    kQuoted,  //!< a "quoted identifier"; text is its name, quotes and "" escapes undone
    kMark,    //!< one punctuation character: ( ) . , ; and the like
    kOther,   //!< anything else (a string literal, a number): text is empty
  };
  Kind kind = Kind::kOther;
  std::string text;
  size_t offset = 0;  //!< where it starts in the statement

  //! True for a kWord spelt `keyword` in any case.
  bool Is(std::string_view keyword) const;
};

//! The most SQL one statement may hold (a query, a view file): 1 MiB.
inline constexpr size_t kMaxStatementBytes = size_t{1} << 20;

//! Throws Error(kUsage) naming `where` when `sql` is longer than kMaxStatementBytes.
void CheckStatementSize(std::string_view sql, const std::string& where);

//! The first `limit` tokens of `sql`, skipping blanks and comments as DuckDB does (`--` to
//! the end of the line, `/* */` nested). Stops early at the end of the text or inside an
//! unterminated comment, string or identifier. Linear in the text it reads; never throws.
std::vector<SqlToken> SqlHead(std::string_view sql, size_t limit);

}  // namespace shoplake::query
