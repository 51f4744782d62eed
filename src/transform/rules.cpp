// The mapping's rules as SQL (see rules.h).
#include "transform/rules.h"

#include "db/duckdb.h"

namespace shoplake::transform {
namespace {

using db::QuoteIdentifier;
using db::QuoteLiteral;

// A bound of the column's type, from its text (kept as text so decimals stay exact).
std::string Literal(const ColumnSpec& c, const std::string& text) {
  return "CAST(" + QuoteLiteral(text) + " AS " + SqlType(c) + ")";
}

}  // namespace

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
  return out;
}

std::string CastExpr(const ColumnSpec& c) {
  std::string v = QuoteIdentifier(c.source);
  switch (c.type) {
    case ColumnType::kVarchar:
      return v;
    case ColumnType::kTimestamp:
      if (!c.format.empty()) return "TRY_STRPTIME(" + v + ", " + QuoteLiteral(c.format) + ")";
      break;
    case ColumnType::kDate:
      if (!c.format.empty()) {
        return "CAST(TRY_STRPTIME(" + v + ", " + QuoteLiteral(c.format) + ") AS DATE)";
      }
      break;
    default:
      break;
  }
  return "TRY_CAST(" + v + " AS " + SqlType(c) + ")";
}

std::string TypeMessage(const ColumnSpec& c) {
  return "not a valid " + SqlType(c) + (c.format.empty() ? "" : " in the format " + c.format);
}
std::string ReferenceMessage(const ColumnSpec& c) {
  return "not a known " + c.references->dataset + "." + c.references->column;
}

ColumnExprs TextExprs(const ColumnSpec& c) {
  std::string v = QuoteIdentifier(c.source);
  return {v, v, CastExpr(c), c.type != ColumnType::kVarchar};
}

ColumnExprs ParseExprs(const ColumnSpec& c, bool by_reader) {
  if (!by_reader) return TextExprs(c);
  std::string v = QuoteIdentifier(c.source);
  return {v, c.type == ColumnType::kVarchar ? v : "CAST(" + v + " AS VARCHAR)", v, false};
}

std::vector<Check> Checks(const Mapping& mapping, const std::function<ColumnExprs(size_t)>& exprs,
                          const std::map<std::string, std::string>& reference_tables,
                          bool with_references) {
  std::vector<Check> checks;
  for (size_t i = 0; i < mapping.columns.size(); ++i) {
    const ColumnSpec& c = mapping.columns[i];
    ColumnExprs e = exprs(i);
    auto add = [&](const std::string& rule, const std::string& condition,
                   const std::string& message) {
      checks.push_back({condition, "struct_pack(\"column\" := " + QuoteLiteral(c.name) +
                                       ", rule := " + QuoteLiteral(rule) + ", message := " +
                                       QuoteLiteral(message) + ", value := " + e.text + ")"});
    };
    if (!c.nullable) add("not_null", e.source + " IS NULL", "a value is required");
    if (e.cast_in_sql)
      add("type", e.source + " IS NOT NULL AND " + e.typed + " IS NULL", TypeMessage(c));
    if (c.min) add("min", e.typed + " < " + Literal(c, *c.min), "below the minimum " + *c.min);
    if (c.max) add("max", e.typed + " > " + Literal(c, *c.max), "above the maximum " + *c.max);
    if (!c.accepted_values.empty()) {
      // Compared as the column's type: 02 is the int 2, 1 the decimal 1.0; text as written.
      bool as_text = c.type == ColumnType::kVarchar;
      std::vector<std::string> values;
      for (const auto& a : c.accepted_values)
        values.push_back(as_text ? QuoteLiteral(a) : Literal(c, a));
      // Not `NOT IN (...)`: DuckDB plans a long IN list as a join, and a join would cost the
      // parse its order.
      add("accepted_values",
          "NOT list_contains([" + Join(values, ", ") + "], " + (as_text ? e.source : e.typed) + ")",
          "not one of: " + Join(c.accepted_values, ", "));
    }
    if (c.regex) {
      add("regex", "NOT regexp_full_match(" + e.source + ", " + QuoteLiteral(*c.regex) + ")",
          "does not match " + *c.regex);
    }
    if (c.max_length) {
      // A value has no more characters than bytes: the byte count (free) rules out almost
      // every value before the characters are counted.
      std::string n = std::to_string(*c.max_length);
      add("max_length", "strlen(" + e.source + ") > " + n + " AND length(" + e.source + ") > " + n,
          "longer than " + n + " characters");
    }
    if (c.references && with_references) {
      add("references", e.typed + " NOT IN (SELECT k FROM " + reference_tables.at(c.name) + ")",
          ReferenceMessage(c));
    }
  }
  return checks;
}

std::string OkExpr(const std::vector<Check>& checks) {
  if (checks.empty()) return "true";
  std::vector<std::string> broken;
  for (const auto& c : checks) broken.push_back("coalesce(" + c.condition + ", false)");
  return "NOT (" + Join(broken, "\n    OR ") + ")";
}

std::string ViolationsExpr(const std::vector<Check>& checks) {
  // No rule: an empty list, typed as the violations are, so that a query taking their fields
  // apart binds (an untyped `[]` has no fields to take).
  if (checks.empty()) {
    return "CAST([] AS STRUCT(\"column\" VARCHAR, rule VARCHAR, message VARCHAR, value "
           "VARCHAR)[])";
  }
  std::vector<std::string> items;
  for (const auto& c : checks)
    items.push_back("CASE WHEN " + c.condition + " THEN " + c.violation + " END");
  return "list_filter([" + Join(items, ",\n    ") + "], x -> x IS NOT NULL)";
}

}  // namespace shoplake::transform
