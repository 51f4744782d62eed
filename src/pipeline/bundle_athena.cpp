// The DuckDB spellings Athena lacks, and the warning that names each in a view.
#include "pipeline/bundle_athena.h"

#include <spdlog/spdlog.h>

#include <regex>
#include <vector>

#include "common/names.h"

namespace shoplake::pipeline {
namespace {

// DuckDB spellings Athena (Trino) does not take, and what it takes instead: a view that uses
// one renders, but its named query fails there. What no spelling shows (Trino divides
// integers as integers, and decimals as decimals) the views settle by dividing only BIGINTs,
// exactly (AthenaSql).
struct NotOnAthena {
  std::regex duckdb;
  const char* shown;   // the DuckDB spelling, as the warning names it
  const char* athena;  // what to write instead
};

const std::vector<NotOnAthena>& NotOnAthenaSpellings() {
  static const std::vector<NotOnAthena> spellings = [] {
    auto rx = [](const char* pattern) { return std::regex(pattern, std::regex::icase); };
    return std::vector<NotOnAthena>{
        {rx(R"(\barg_max\s*\()"), "arg_max(", "max_by("},
        {rx(R"(\barg_min\s*\()"), "arg_min(", "min_by("},
        {rx(R"(::)"), "::", "CAST(value AS type)"},
        {rx(R"(\bstrftime\s*\()"), "strftime(", "date_format("},
        {rx(R"(\bqualify\b)"), "QUALIFY", "a WHERE on the window's column, in an outer query"},
        {rx(R"(\bilike\b)"), "ILIKE", "lower(value) LIKE"},
        {rx(R"(\bregexp_matches\s*\()"), "regexp_matches(",
         "regexp_like( (or what both engines take: LIKE, substr, BETWEEN)"},
        {rx(R"(\*\s*exclude\b)"), "* EXCLUDE", "the columns, named"},
        {rx(R"(\blist_\w+\s*\()"), "list_...(", "the array functions (array_*, transform, filter)"},
        {rx(R"(\bstruct_pack\s*\()"), "struct_pack(", "CAST(ROW(...) AS ROW(...))"},
    };
  }();
  return spellings;
}

}  // namespace

void WarnOfSpellingsAthenaLacks(const std::string& file, const std::string& text) {
  std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line(lines[i].substr(0, lines[i].find("--")));  // a comment may name anything
    for (const auto& s : NotOnAthenaSpellings()) {
      if (std::regex_search(line, s.duckdb)) {
        spdlog::warn(
            "{}:{}: '{}' is DuckDB's; Athena would refuse this view's named query: write {}", file,
            i + 1, s.shown, s.athena);
      }
    }
  }
}

std::string AthenaSql(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    size_t end = i;  // the last character of a comment, string or name copied as it is
    if (c == '-' && next == '-') {
      end = text.find('\n', i);
    } else if (c == '/' && next == '*') {
      end = text.find("*/", i + 2);
      if (end != std::string::npos) ++end;
    } else if (c == '\'' || c == '"') {
      end = text.find(c, i + 1);  // a doubled quote inside is two strings in a row: the same
    } else if (c == '/' && next == '/') {
      out += '/';
      ++i;
      continue;
    }
    if (end == std::string::npos) end = text.size() - 1;
    out.append(text, i, end - i + 1);
    i = end;
  }
  return out;
}

}  // namespace shoplake::pipeline
