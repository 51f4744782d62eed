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

// Whether the text `v` reads as a number at all (a decimal's cast failing on it means it is
// too large for the precision, not that it is no number).
std::string IsNumber(const std::string& v) {
  return "coalesce(NOT isnan(TRY_CAST(" + v + " AS DOUBLE)), false)";
}

// How many decimals the number written `v` has, as SQL: the place of its last digit that is
// not zero, through an exponent, whatever the zeros after it (1.2500 has 2, 1.2345e2 has 2,
// 1.5E-05 has 6, 100 has -2, 0.000 has 0). Exact for any length, where a cast to a wider
// DECIMAL would round past its own scale. REQUIRES: `v` casts to a DECIMAL (DuckDB's syntax:
// spaces, a sign, digits with `_` between them, a point, an exponent).
std::string DecimalsExpr(const std::string& v) {
  // m.i: the digits before the point, m.f: after it, m.e: the exponent.
  const std::string digits = "replace(m.i || m.f, '_', '')";
  return "list_transform([regexp_extract(" + v +
         ", '^\\s*[+-]?([0-9_]*)\\.?([0-9_]*)(?:[eE]([+-]?[0-9]+))?\\s*$', ['i', 'f', "
         "'e'])], m -> CASE WHEN rtrim(" +
         digits + ", '0') = '' THEN 0 ELSE strlen(rtrim(" + digits +
         ", '0')) - strlen(replace(m.i, '_', '')) - coalesce(TRY_CAST(nullif(m.e, '') AS "
         "BIGINT), 0) END)[1]";
}

// What the rejects say of a value with more decimals than its column's scale, as SQL: the
// column, the value, the scale and the two ways out.
std::string ScaleMessage(const ColumnSpec& c, const std::string& text) {
  std::string d = DecimalsExpr(text);
  return QuoteLiteral(c.name + ": ") + " || " + text + " || ' has ' || " + d + " || " +
         QuoteLiteral(" decimals, more than the scale of " + SqlType(c) + " (" +
                      std::to_string(c.scale) + "): widen the type (e.g. decimal(") +
         " || least(38, " + std::to_string(c.precision - c.scale) + " + " + d + ") || ',' || " + d +
         " || " + QuoteLiteral(")) or set round: true on the column");
}

// What the rejects say of a number too large for its decimal column.
std::string PrecisionMessage(const ColumnSpec& c, const std::string& text) {
  std::string hint = c.precision < 38 ? "widen the type (e.g. decimal(" +
                                            std::to_string(c.precision < 18 ? 18 : 38) + "," +
                                            std::to_string(c.scale) + "))"
                                      : "DECIMAL(38," + std::to_string(c.scale) +
                                            ") is the widest: use a smaller scale or a double";
  return QuoteLiteral(c.name + ": ") + " || " + text + " || " +
         QuoteLiteral(
             " is too large for " + SqlType(c) + " (at most " +
             std::to_string(c.precision - c.scale) + " digits before the point" +
             (c.round ? ", once rounded to " + std::to_string(c.scale) + " decimals" : "") +
             "): " + hint);
}

}  // namespace

std::string ExtraDecimalsExpr(const ColumnSpec& c, const ColumnExprs& e) {
  // Most values have no more decimals than the scale, and a cheap test tells them: a value
  // written in 15 characters or fewer has at most 15 significant digits, as its rounding to
  // the scale has, and two such numbers that differ are different DOUBLEs. Only a value that
  // differs as a DOUBLE, or a long one, has its decimals counted from its text. A value
  // proved exact (e.exact) is not even tested so.
  const std::string& v = e.source;
  std::string s = std::to_string(c.scale);
  std::string unproved = e.exact.empty() ? "" : e.exact + " IS NULL AND ";
  return "CASE WHEN " + unproved + e.typed + " IS NOT NULL AND (strlen(" + v +
         ") > 15 OR TRY_CAST(" + v + " AS DOUBLE) <> CAST(" + e.typed + " AS DOUBLE)) THEN " +
         DecimalsExpr(v) + " > " + s + " ELSE false END";
}

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
    // `rule_sql` and `message_sql`: SQL, for a rule or message that depends on the value.
    auto add_sql = [&](const std::string& rule_sql, const std::string& condition,
                       const std::string& message_sql) {
      checks.push_back({condition, "struct_pack(\"column\" := " + QuoteLiteral(c.name) +
                                       ", rule := " + rule_sql + ", message := " + message_sql +
                                       ", value := " + e.text + ")"});
    };
    auto add = [&](const std::string& rule, const std::string& condition,
                   const std::string& message) {
      add_sql(QuoteLiteral(rule), condition, QuoteLiteral(message));
    };
    if (!c.nullable) add("not_null", e.source + " IS NULL", "a value is required");
    std::string failed_cast = e.source + " IS NOT NULL AND " + e.typed + " IS NULL";
    if (e.cast_in_sql && c.type == ColumnType::kDecimal) {
      // A number that does not cast is too large for the precision: a rule of its own, told
      // apart only for the rows refused.
      std::string number = IsNumber(e.source);
      add_sql("CASE WHEN " + number + " THEN 'precision' ELSE 'type' END", failed_cast,
              "CASE WHEN " + number + " THEN " + PrecisionMessage(c, e.text) + " ELSE " +
                  QuoteLiteral(TypeMessage(c)) + " END");
      // More decimals than the scale: refused, unless the column says to round them.
      if (!c.round) add_sql("'scale'", ExtraDecimalsExpr(c, e), ScaleMessage(c, e.text));
    } else if (e.cast_in_sql) {
      add("type", failed_cast, TypeMessage(c));
    }
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
