// SqlHead: a linear scan of a statement's first tokens.
#include "query/sql_text.h"

#include <cctype>

#include "common/error.h"
#include "common/names.h"

namespace shoplake::query {
namespace {

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }

bool IsWordPart(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// The offset just past the blanks and comments at `at`, or npos inside an unterminated
// block comment.
size_t SkipBlanksAndComments(std::string_view sql, size_t at) {
  while (at < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[at]))) {
      ++at;
    } else if (sql.compare(at, 2, "--") == 0) {
      size_t end = sql.find('\n', at);
      at = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.compare(at, 2, "/*") == 0) {
      // Block comments nest in DuckDB (as in PostgreSQL): count the depth.
      int depth = 0;
      do {
        if (at + 1 >= sql.size()) return std::string_view::npos;
        if (sql.compare(at, 2, "/*") == 0) {
          ++depth;
          at += 2;
        } else if (sql.compare(at, 2, "*/") == 0) {
          --depth;
          at += 2;
        } else {
          ++at;
        }
      } while (depth > 0);
    } else {
      break;
    }
  }
  return at;
}

// The offset just past the quoted run opened at `at` by `quote` (a doubled quote is one
// quote inside it), or npos when it does not close. Its content goes to `text`.
size_t SkipQuoted(std::string_view sql, size_t at, char quote, std::string& text) {
  for (size_t i = at + 1; i < sql.size(); ++i) {
    if (sql[i] != quote) {
      text += sql[i];
    } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
      text += quote;
      ++i;
    } else {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool SqlToken::Is(std::string_view keyword) const {
  return kind == Kind::kWord && Lower(text) == Lower(keyword);
}

void CheckStatementSize(std::string_view sql, const std::string& where) {
  if (sql.size() <= kMaxStatementBytes) return;
  throw Error(ErrorCode::kUsage,
              "the statement is " + std::to_string(sql.size()) + " bytes; at most " +
                  std::to_string(kMaxStatementBytes) + " are accepted",
              where, "shorten it: move long constants into a table, or comments out of it");
}

std::vector<SqlToken> SqlHead(std::string_view sql, size_t limit) {
  std::vector<SqlToken> tokens;
  size_t at = 0;
  while (tokens.size() < limit) {
    at = SkipBlanksAndComments(sql, at);
    if (at == std::string_view::npos || at >= sql.size()) break;
    SqlToken token;
    token.offset = at;
    char c = sql[at];
    if (IsWordStart(c)) {
      token.kind = SqlToken::Kind::kWord;
      size_t end = at;
      while (end < sql.size() && IsWordPart(sql[end])) ++end;
      token.text = std::string(sql.substr(at, end - at));
      at = end;
    } else if (c == '"' || c == '\'') {
      token.kind = c == '"' ? SqlToken::Kind::kQuoted : SqlToken::Kind::kOther;
      at = SkipQuoted(sql, at, c, token.text);
      if (at == std::string_view::npos) break;
      if (token.kind == SqlToken::Kind::kOther) token.text.clear();
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (at < sql.size() && (IsWordPart(sql[at]) || sql[at] == '.')) ++at;
    } else {
      token.kind = SqlToken::Kind::kMark;
      token.text = std::string(1, c);
      ++at;
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace shoplake::query
