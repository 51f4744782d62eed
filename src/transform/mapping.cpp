// LoadMapping: a dataset's mapping spec through YamlReader, checked key by key so that every
// mistake is reported before any data is read, as "file:line:column" with the key's path and
// what would be accepted instead.
#include "transform/mapping.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "common/numbers.h"
#include "common/yaml_reader.h"
#include "db/duckdb.h"
#include "transform/encoding.h"
#include "transform/rules.h"

namespace shoplake::transform {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopKeys = {"dataset",      "database", "table",
                                           "description",  "csv",      "primary_key",
                                           "partition_by", "columns",  "on_new_columns"};
const std::vector<std::string> kCsvKeys = {"delimiter", "quote",        "escape",      "header",
                                           "encoding",  "null_strings", "header_match"};
const std::vector<std::string> kHeaderMatches = {"exact", "case_insensitive", "normalized"};
const std::vector<std::string> kNewColumns = {"fail", "ignore"};
const std::vector<std::string> kPartitionKeys = {"name", "from", "part"};
const std::vector<std::string> kColumnKeys = {
    "name", "source",          "description", "type",       "format",     "nullable", "min",
    "max",  "accepted_values", "regex",       "max_length", "references", "round",    "expr"};
const std::vector<std::string> kReferenceKeys = {"dataset", "column"};
// What DuckDB's CSV reader decodes.
const std::vector<std::string> kParts = {"year", "month", "day", "value"};

struct TypeName {
  const char* name;
  ColumnType type;
};
// The spellings accepted for `type`, besides decimal(p,s) and numeric(p,s).
constexpr TypeName kTypeNames[] = {
    {"int", ColumnType::kInt},         {"integer", ColumnType::kInt},
    {"bigint", ColumnType::kBigint},   {"double", ColumnType::kDouble},
    {"float", ColumnType::kDouble},    {"varchar", ColumnType::kVarchar},
    {"string", ColumnType::kVarchar},  {"text", ColumnType::kVarchar},
    {"boolean", ColumnType::kBoolean}, {"bool", ColumnType::kBoolean},
    {"date", ColumnType::kDate},       {"timestamp", ColumnType::kTimestamp}};
constexpr int kMaxDecimalPrecision = 38;  // DuckDB's limit

// strptime directives DuckDB understands; those marked in kPaddingFree also take "%-x".
constexpr std::string_view kFormatDirectives = "aAwudbBhmyYGHIpMSgfnzZjUWVcxX%";
constexpr std::string_view kPaddingFree = "dmyHIMSj";

std::vector<std::string> KnownTypes() {
  std::vector<std::string> names;
  for (const auto& type : kTypeNames) names.push_back(type.name);
  names.insert(names.begin() + 3, {"decimal(p,s)", "numeric(p,s)"});
  return names;
}

std::string Trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

// [a-z_][a-z0-9_]*: a name DuckDB, Hive folders and Athena all take without quoting.
bool IsSqlName(std::string_view name) {
  if (name.empty()) return false;
  auto lower = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!lower(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return lower(c) || digit(c); });
}

// The nearest SQL-safe spelling of `name`, for the hint.
std::string SqlNameLike(const std::string& name) {
  std::string out;
  for (char c : Lower(name)) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    out += keep ? c : '_';
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out = "_" + out;
  return out;
}

bool ParseWhole(std::string_view text, int64_t& value) {
  auto parsed = ParseSigned(text);
  if (parsed) value = *parsed;
  return parsed.has_value();
}

bool ParseDigits(std::string_view text, int& value, size_t width) {
  if (text.size() != width) return false;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return true;
}

// YYYY-MM-DD, optionally followed by " HH:MM:SS" (or "T...") and up to six decimals.
bool IsTimestamp(std::string_view text) {
  if (!IsIsoDate(text.substr(0, 10))) return false;
  if (text.size() == 10) return true;
  if (text.size() < 19 || (text[10] != ' ' && text[10] != 'T') || text[13] != ':' ||
      text[16] != ':')
    return false;
  int hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text.substr(11, 2), hour, 2) || !ParseDigits(text.substr(14, 2), minute, 2) ||
      !ParseDigits(text.substr(17, 2), second, 2) || hour > 23 || minute > 59 || second > 59)
    return false;
  if (text.size() == 19) return true;
  int fraction = 0;
  auto digits = text.substr(20);
  return text[19] == '.' && !digits.empty() && digits.size() <= 6 &&
         ParseDigits(digits, fraction, digits.size());
}

// -123.45 with at most precision - scale digits before the point and scale after it.
bool IsDecimal(std::string_view text, int precision, int scale) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  auto point = text.find('.');
  auto whole = text.substr(0, point);
  auto fraction = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  auto all_digits = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction)) return false;
  if (point != std::string_view::npos && fraction.empty()) return false;
  whole.remove_prefix(std::min(whole.find_first_not_of('0'), whole.size()));
  fraction.remove_suffix(fraction.size() - (fraction.find_last_not_of('0') + 1));
  return whole.size() <= static_cast<size_t>(precision - scale) &&
         fraction.size() <= static_cast<size_t>(scale);
}

bool IsNumberType(ColumnType type) {
  return type == ColumnType::kInt || type == ColumnType::kBigint || type == ColumnType::kDecimal ||
         type == ColumnType::kDouble;
}

bool IsTimeType(ColumnType type) {
  return type == ColumnType::kDate || type == ColumnType::kTimestamp;
}

// Whether `text` is a literal of the column's type (numbers, dates and timestamps).
bool IsLiteralOf(const ColumnSpec& column, std::string_view text) {
  int64_t whole = 0;
  switch (column.type) {
    case ColumnType::kInt:
      return ParseWhole(text, whole) && whole >= std::numeric_limits<int32_t>::min() &&
             whole <= std::numeric_limits<int32_t>::max();
    case ColumnType::kBigint:
      return ParseWhole(text, whole);
    case ColumnType::kDecimal:
      return IsDecimal(text, column.precision, column.scale);
    case ColumnType::kDouble: {
      double value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
    }
    case ColumnType::kDate:
      return IsIsoDate(text);
    case ColumnType::kTimestamp:
      return IsTimestamp(text);
    case ColumnType::kBoolean:
      return text == "true" || text == "false";
    default:
      return false;
  }
}

// What IsLiteralOf accepts, for messages.
std::string LiteralKind(const ColumnSpec& column) {
  switch (column.type) {
    case ColumnType::kInt:
      return "a whole number that fits an INTEGER";
    case ColumnType::kBigint:
      return "a whole number that fits a BIGINT";
    case ColumnType::kDecimal:
      return "a number that fits " + SqlType(column) + " (at most " +
             std::to_string(column.precision - column.scale) + " digits before the point and " +
             std::to_string(column.scale) + " after)";
    case ColumnType::kDouble:
      return "a number";
    case ColumnType::kDate:
      return "a date YYYY-MM-DD";
    case ColumnType::kTimestamp:
      return "a timestamp YYYY-MM-DD HH:MM:SS";
    case ColumnType::kBoolean:
      return "true or false";
    default:
      return "a literal of the column's type";
  }
}

// True when bound `a` is greater than bound `b`; both already passed IsLiteralOf.
bool Greater(const ColumnSpec& column, const std::string& a, const std::string& b) {
  if (column.type == ColumnType::kInt || column.type == ColumnType::kBigint) {
    int64_t x = 0, y = 0;
    ParseWhole(a, x);
    ParseWhole(b, y);
    return x > y;
  }
  if (IsNumberType(column.type)) {
    double x = 0, y = 0;
    std::from_chars(a.data(), a.data() + a.size(), x);
    std::from_chars(b.data(), b.data() + b.size(), y);
    return x > y;
  }
  // ISO dates and timestamps order as text once 'T' and ' ' are the same.
  auto normal = [](std::string text) {
    std::replace(text.begin(), text.end(), 'T', ' ');
    return text;
  };
  return normal(a) > normal(b);
}

// Reads one mapping document; each method checks one part and fails at the offending node.
class MappingParser {
 public:
  explicit MappingParser(const fs::path& file) : reader_(file) {}

  Mapping Parse(const std::string& text) {
    const YAML::Node doc = reader_.Parse(text);
    if (!doc.IsMap()) {
      reader_.Fail(doc, "a mapping spec must be a YAML mapping of keys to values",
                   "start from pipeline/mappings/orders.yaml: dataset, database, table, columns");
    }
    reader_.ExpectMap(doc, "", kTopKeys);
    Mapping mapping;
    mapping.file = reader_.file();
    mapping.dataset = reader_.String(Require(doc, "", "dataset"), "dataset");
    if (mapping.dataset.empty()) reader_.Fail(doc["dataset"], "'dataset' must not be empty");
    mapping.database = SqlName(Require(doc, "", "database"), "database");
    mapping.table = SqlName(Require(doc, "", "table"), "table");
    if (doc["description"]) mapping.description = reader_.String(doc["description"], "description");
    if (doc["csv"]) mapping.csv = ReadCsv(doc["csv"]);
    if (doc["on_new_columns"]) {
      mapping.on_new_columns = OneOf(doc["on_new_columns"], "on_new_columns", kNewColumns) == 0
                                   ? NewColumns::kFail
                                   : NewColumns::kIgnore;
    }
    ReadColumns(Require(doc, "", "columns"), mapping);
    if (doc["primary_key"]) ReadPrimaryKey(doc["primary_key"], mapping);
    if (doc["partition_by"]) ReadPartitions(doc["partition_by"], mapping);
    return mapping;
  }

 private:
  // map[key], failing "'path' needs a 'key'" at `map` when it is absent.
  YAML::Node Require(const YAML::Node& map, const std::string& path, const std::string& key) {
    YAML::Node node = map[key];
    if (!node) {
      reader_.Fail(map, path.empty() ? "missing required key '" + key + "'"
                                     : "'" + path + "' needs a '" + key + "'");
    }
    return node;
  }

  // The key node of map[key], so that "not allowed here" errors point at the key.
  YAML::Node KeyOf(const YAML::Node& map, const std::string& key) {
    for (const auto& entry : map) {
      if (entry.first.Scalar() == key) return entry.first;
    }
    return map;
  }

  std::string SqlName(const YAML::Node& node, const std::string& path) {
    auto name = reader_.String(node, path);
    if (!IsSqlName(name)) {
      reader_.Fail(node,
                   "'" + path + "' must be a SQL-safe name ([a-z_][a-z0-9_]*), not '" + name + "'",
                   "lower-case letters, digits and underscores, e.g. '" + SqlNameLike(name) + "'");
    }
    return name;
  }

  std::vector<std::string> StringList(const YAML::Node& node, const std::string& path) {
    if (!node.IsSequence()) {
      reader_.Fail(node, "'" + path + "' must be a list, not '" + YamlReader::Dump(node) + "'",
                   "write it as [a, b]");
    }
    std::vector<std::string> values;
    for (size_t i = 0; i < node.size(); ++i) {
      values.push_back(reader_.String(node[i], path + "[" + std::to_string(i) + "]"));
    }
    return values;
  }

  // The index in `choices` of the string at `node`, failing with a did-you-mean otherwise.
  size_t OneOf(const YAML::Node& node, const std::string& path,
               const std::vector<std::string>& choices) {
    auto value = reader_.String(node, path);
    auto at = std::find(choices.begin(), choices.end(), value);
    if (at == choices.end()) {
      reader_.Fail(node, "'" + path + "' is '" + value + "'" + DidYouMean(value, choices),
                   "one of: " + YamlReader::JoinAll(choices));
    }
    return static_cast<size_t>(at - choices.begin());
  }

  char Character(const YAML::Node& node, const std::string& path) {
    auto text = reader_.String(node, path);
    if (text.size() != 1) {
      reader_.Fail(node, "'" + path + "' must be a single character, not '" + text + "'",
                   "quote it, e.g. \",\" or \"\\t\"");
    }
    return text[0];
  }

  CsvDialect ReadCsv(const YAML::Node& node) {
    reader_.ExpectMap(node, "csv", kCsvKeys);
    CsvDialect csv;
    if (node["delimiter"]) csv.delimiter = Character(node["delimiter"], "csv.delimiter");
    if (node["quote"]) csv.quote = Character(node["quote"], "csv.quote");
    if (node["escape"]) csv.escape = Character(node["escape"], "csv.escape");
    const YAML::Node delimiter = node["delimiter"] ? node["delimiter"] : node["quote"];
    if (csv.delimiter == csv.quote) {
      reader_.Fail(delimiter, "'csv.delimiter' must differ from the quote character");
    }
    if (csv.delimiter == '\n' || csv.delimiter == '\r') {
      reader_.Fail(delimiter, "'csv.delimiter' cannot be a line end");
    }
    if (node["header"])
      csv.header = reader_.Get<bool>(node["header"], "csv.header", "true or false");
    if (node["encoding"]) {
      csv.encoding = reader_.String(node["encoding"], "csv.encoding");
      if (!KnownEncoding(csv.encoding)) {
        reader_.Fail(node["encoding"],
                     "'csv.encoding' is '" + csv.encoding + "', which iconv does not know" +
                         DidYouMean(csv.encoding, kCommonEncodings),
                     "common ones: " + YamlReader::JoinAll(kCommonEncodings) +
                         "; 'iconv -l' lists every name");
      }
    }
    if (node["null_strings"])
      csv.null_strings = StringList(node["null_strings"], "csv.null_strings");
    if (node["header_match"]) {
      csv.header_match =
          static_cast<HeaderMatch>(OneOf(node["header_match"], "csv.header_match", kHeaderMatches));
    }
    return csv;
  }

  void ReadColumns(const YAML::Node& node, Mapping& mapping) {
    if (!node.IsSequence() || node.size() == 0) {
      reader_.Fail(node, "'columns' must be a non-empty list of columns",
                   "for example: columns: [{name: order_id, type: bigint}]");
    }
    for (size_t i = 0; i < node.size(); ++i) {
      ColumnSpec column = ReadColumn(node[i], "columns[" + std::to_string(i) + "]");
      if (const ColumnSpec* first = mapping.Column(column.name)) {
        reader_.Fail(node[i]["name"], "duplicate column '" + column.name + "'",
                     "it is already declared at line " + std::to_string(first->line));
      }
      CheckSourceReadOnce(node[i], column, mapping);
      mapping.columns.push_back(std::move(column));
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const ColumnSpec& c = mapping.columns[i];
      if (c.expr.empty()) continue;
      if (auto problem = ExprProblem(mapping, c)) {
        reader_.Fail(node[i]["expr"], "'columns." + c.name + ".expr' " + *problem,
                     "a scalar SQL expression over the other columns, by their names (not the "
                     "CSV header's), e.g. quantity * unit_price; no subquery or table function");
      }
    }
  }

  // What is wrong with derived column `c`'s expression, checked by DuckDB itself: it must
  // parse as one scalar expression (no subquery, no table function: it must not read
  // anything but its row) and bind over the read columns, typed, with a type that casts to
  // the column's.
  static std::optional<std::string> ExprProblem(const Mapping& mapping, const ColumnSpec& c) {
    db::Database db(":memory:", {{"threads", "1"}, {"temp_directory", ""}});
    db::Connection conn(db);
    // The parse tree (DuckDB's own): one SELECT, no FROM, no subquery anywhere.
    auto tree = conn.Query(
                        "SELECT t->>'error_message', json_array_length(t->'statements'), "
                        "t->'statements'->0->'node'->'from_table'->>'type', "
                        "contains(t::VARCHAR, '\"class\":\"SUBQUERY\"'), "
                        "json_array_length(t->'statements'->0->'node'->'select_list') FROM "
                        "(SELECT json_serialize_sql(" +
                        db::QuoteLiteral("SELECT (" + c.expr + ")") + ")::JSON AS t)")
                    .Rows()
                    .at(0);
    if (tree[0] && !tree[0]->empty()) return "does not parse: " + *tree[0];
    if (tree[1].value_or("") != "1" || tree[2].value_or("") != "EMPTY" ||
        tree[4].value_or("") != "1") {
      return "is not one scalar expression";
    }
    if (tree[3].value_or("") == "true") return "holds a subquery, which may read other tables";
    std::vector<std::string> nulls;
    for (const ColumnSpec* r : transform::ReadColumns(mapping))
      nulls.push_back("CAST(NULL AS " + SqlType(*r) + ")");
    try {
      conn.Execute(DerivedMacroSql(mapping, c));
      conn.Query("DESCRIBE SELECT CAST(" + DerivedMacro(c) + "(" + Join(nulls, ", ") + ") AS " +
                 SqlType(c) + ")");
    } catch (const Error& e) {
      std::vector<std::string> names;
      for (const ColumnSpec* r : transform::ReadColumns(mapping)) names.push_back(r->name);
      // Its first line: the rest points into the macro's SQL, not the mapping's.
      std::string message = e.message().substr(0, e.message().find('\n'));
      return "is refused by DuckDB: " + message + " (the columns it may use: " + Join(names, ", ") +
             ")";
    }
    return std::nullopt;
  }

  // Each CSV column is read by one mapping column, and DuckDB's reader tells names apart
  // without their case (nor does csv.header_match, when normalized, tell "a b" from "a_b"):
  // two columns cannot share one.
  void CheckSourceReadOnce(const YAML::Node& node, const ColumnSpec& column,
                           const Mapping& mapping) {
    HeaderMatch match = mapping.csv.header_match == HeaderMatch::kNormalized
                            ? HeaderMatch::kNormalized
                            : HeaderMatch::kCaseInsensitive;
    for (const auto& other : mapping.columns) {
      if (HeaderKey(other.source, match) != HeaderKey(column.source, match)) continue;
      std::string same = other.source == column.source ? ""
                         : match == HeaderMatch::kNormalized
                             ? " (as csv.header_match: normalized compares them)"
                             : " (case does not count)";
      reader_.Fail(node["source"] ? node["source"] : node["name"],
                   "'columns." + column.name + "' reads the CSV column '" + column.source +
                       "', which column '" + other.name + "' (line " + std::to_string(other.line) +
                       ") already reads" + same,
                   "each CSV column is read by one mapping column; give "
                   "this column its own source, or derive the second value in a query");
    }
  }

  ColumnSpec ReadColumn(const YAML::Node& node, const std::string& where) {
    if (!node.IsMap()) reader_.Fail(node, "'" + where + "' must be a mapping of keys to values");
    ColumnSpec column;
    column.line = node.Mark().line + 1;
    column.name = SqlName(Require(node, where, "name"), where + ".name");
    const std::string path = "columns." + column.name;
    // The type first: an unquoted decimal(12,2) in a flow mapping splits into odd keys.
    if (node["type"]) ReadType(node["type"], path + ".type", column);
    reader_.ExpectMap(node, path, kColumnKeys);

    column.source = column.name;
    if (node["expr"]) {
      if (node["source"]) {
        reader_.Fail(KeyOf(node, "expr"), "'" + path + "' has both a source and an expr",
                     "a column is read from the file (source) or derived (expr), not both");
      }
      column.expr = reader_.String(node["expr"], path + ".expr");
      if (column.expr.empty()) reader_.Fail(node["expr"], "'" + path + ".expr' is empty");
      column.source = DerivedSource(column.name);
    }
    if (node["source"]) {
      column.source = reader_.String(node["source"], path + ".source");
      if (column.source.empty()) reader_.Fail(node["source"], "'" + path + ".source' is empty");
    }
    if (node["description"]) {
      column.description = reader_.String(node["description"], path + ".description");
    }
    if (node["nullable"]) {
      column.nullable = reader_.Get<bool>(node["nullable"], path + ".nullable", "true or false");
    }
    const std::string type = SqlType(column);
    auto only_for = [&](const char* key, bool allowed, const char* which) {
      if (node[key] && !allowed) {
        reader_.Fail(KeyOf(node, key),
                     "'" + path + "." + key + "' applies to " + which + " columns only; '" +
                         column.name + "' is " + type,
                     std::string("remove '") + key + "' or change the column's type");
      }
    };
    bool is_time = IsTimeType(column.type);
    bool is_varchar = column.type == ColumnType::kVarchar;
    bool is_ordered = IsNumberType(column.type) || is_time;
    only_for("format", is_time, "date and timestamp");
    only_for("regex", is_varchar, "varchar");
    only_for("max_length", is_varchar, "varchar");
    only_for("min", is_ordered, "number, date and timestamp");
    only_for("max", is_ordered, "number, date and timestamp");
    only_for("round", column.type == ColumnType::kDecimal, "decimal");

    if (node["format"]) column.format = ReadFormat(node["format"], path + ".format");
    for (const char* key : {"min", "max"}) {
      if (!node[key]) continue;
      auto bound = Literal(node[key], path + "." + key, column);
      (std::string_view(key) == "min" ? column.min : column.max) = bound;
    }
    if (column.min && column.max && Greater(column, *column.min, *column.max)) {
      reader_.Fail(node["max"], "'" + path + ".max' (" + *column.max + ") is below its min (" +
                                    *column.min + ")");
    }
    if (node["accepted_values"]) {
      auto values_node = node["accepted_values"];
      column.accepted_values = StringList(values_node, path + ".accepted_values");
      if (column.accepted_values.empty()) {
        reader_.Fail(values_node, "'" + path + ".accepted_values' is empty",
                     "list the values, or remove the key to accept any value");
      }
      // Values are compared as the column's type (numbers as numbers, dates as dates), so
      // each must be one of it.
      if (!is_varchar) {
        for (size_t i = 0; i < values_node.size(); ++i) {
          Literal(values_node[i], path + ".accepted_values[" + std::to_string(i) + "]", column);
        }
      }
    }
    if (node["regex"]) {
      column.regex = reader_.String(node["regex"], path + ".regex");
      if (column.regex->empty()) reader_.Fail(node["regex"], "'" + path + ".regex' is empty");
      if (auto problem = db::RegexProblem(*column.regex)) {
        reader_.Fail(node["regex"], "'" + path + ".regex' is not a valid pattern: " + *problem,
                     "write it in RE2's syntax (as DuckDB's regexp_full_match reads it)");
      }
    }
    if (node["max_length"]) {
      column.max_length = reader_.Get<int>(node["max_length"], path + ".max_length",
                                           "a whole number of characters");
      if (*column.max_length < 1) {
        reader_.Fail(node["max_length"], "'" + path + ".max_length' must be at least 1");
      }
    }
    if (node["references"]) column.references = ReadReference(node["references"], path);
    if (node["round"])
      column.round = reader_.Get<bool>(node["round"], path + ".round", "true or false");
    return column;
  }

  // int, integer, bigint, decimal(p,s), numeric(p,s), double, float, varchar, string, text,
  // boolean, bool, date, timestamp, in any case.
  void ReadType(const YAML::Node& node, const std::string& path, ColumnSpec& column) {
    const auto text = reader_.String(node, path);
    const auto type = Lower(Trim(text));
    const auto known = KnownTypes();
    const std::string known_list = "known types: " + YamlReader::JoinAll(known);
    auto open = type.find('(');
    const auto base = Trim(std::string_view(type).substr(0, open));
    if (base == "decimal" || base == "numeric") {
      const std::string usage = "write " + base + "(precision,scale), e.g. " + base + "(12,2)";
      if (open == std::string::npos) {
        reader_.Fail(node, "'" + path + "': " + base + " needs a precision and a scale", usage);
      }
      auto close = type.find(')', open);
      auto comma = type.find(',', open);
      int precision = 0, scale = 0;
      auto number = [&](size_t from, size_t to, int& value) {
        auto digits = Trim(std::string_view(type).substr(from, to - from));
        int64_t whole = 0;
        if (!ParseWhole(digits, whole) || whole < 0 || whole > 1000) return false;
        value = static_cast<int>(whole);
        return true;
      };
      if (close != type.size() - 1 || comma == std::string::npos || comma > close ||
          !number(open + 1, comma, precision) || !number(comma + 1, close, scale)) {
        reader_.Fail(
            node, "'" + path + "': '" + text + "' is not a valid decimal type",
            usage + "; inside { } quote it, or the comma splits it: \"" + base + "(12,2)\"");
      }
      if (precision < 1 || precision > kMaxDecimalPrecision || scale > precision) {
        reader_.Fail(node,
                     "'" + path + "': '" + text + "' needs precision 1.." +
                         std::to_string(kMaxDecimalPrecision) + " and scale 0..precision",
                     usage);
      }
      column.type = ColumnType::kDecimal;
      column.precision = precision;
      column.scale = scale;
      return;
    }
    for (const auto& name : kTypeNames) {
      if (base != name.name) continue;
      if (open != std::string::npos) {
        reader_.Fail(node, "'" + path + "': " + base + " takes no arguments: '" + text + "'",
                     base == "varchar" || base == "string" || base == "text"
                         ? "limit the length with max_length: N"
                         : known_list);
      }
      column.type = name.type;
      return;
    }
    std::vector<std::string> candidates;
    for (const auto& name : kTypeNames) candidates.push_back(name.name);
    candidates.insert(candidates.end(), {"decimal", "numeric"});
    reader_.Fail(node, "'" + path + "': unknown type '" + text + "'" +
                           DidYouMean(base, candidates) + " (" + known_list + ")");
  }

  // A strptime format DuckDB can apply: only directives it knows.
  std::string ReadFormat(const YAML::Node& node, const std::string& path) {
    auto format = reader_.String(node, path);
    bool any = false;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') continue;
      auto next = [&](size_t k) { return i + k < format.size() ? format[i + k] : '\0'; };
      if (next(1) == '-' && next(2) != '\0' &&
          kPaddingFree.find(next(2)) != std::string_view::npos) {
        i += 2;
      } else if (next(1) != '\0' && kFormatDirectives.find(next(1)) != std::string_view::npos) {
        i += 1;
      } else {
        reader_.Fail(node,
                     "'" + path + "' has an unknown directive '" + format.substr(i, 2) + "' in '" +
                         format + "'",
                     "use strptime directives such as %Y-%m-%d %H:%M:%S");
      }
      any = true;
    }
    if (!any) {
      reader_.Fail(node, "'" + path + "' has no % directive: '" + format + "'",
                   "for example: \"%d/%m/%Y\"");
    }
    return format;
  }

  std::string Literal(const YAML::Node& node, const std::string& path, const ColumnSpec& column) {
    auto text = reader_.String(node, path);
    if (!IsLiteralOf(column, text)) {
      reader_.Fail(node, "'" + path + "' must be " + LiteralKind(column) + ", not '" + text + "'");
    }
    return text;
  }

  Reference ReadReference(const YAML::Node& node, const std::string& column_path) {
    const std::string path = column_path + ".references";
    reader_.ExpectMap(node, path, kReferenceKeys);
    Reference reference;
    reference.dataset = reader_.String(Require(node, path, "dataset"), path + ".dataset");
    if (reference.dataset.empty()) {
      reader_.Fail(node["dataset"], "'" + path + ".dataset' must not be empty");
    }
    reference.column = SqlName(Require(node, path, "column"), path + ".column");
    return reference;
  }

  std::vector<std::string> ColumnNames(const Mapping& mapping) {
    std::vector<std::string> names;
    for (const auto& column : mapping.columns) names.push_back(column.name);
    return names;
  }

  void ReadPrimaryKey(const YAML::Node& node, Mapping& mapping) {
    mapping.primary_key = StringList(node, "primary_key");
    for (size_t i = 0; i < mapping.primary_key.size(); ++i) {
      const auto& name = mapping.primary_key[i];
      if (!mapping.Column(name)) {
        reader_.Fail(node[i],
                     "'primary_key' names undeclared column '" + name + "'" +
                         DidYouMean(name, ColumnNames(mapping)),
                     "declare it under 'columns:' or fix the name");
      }
      if (std::find(mapping.primary_key.begin(), mapping.primary_key.begin() + i, name) !=
          mapping.primary_key.begin() + i) {
        reader_.Fail(node[i], "'primary_key' lists '" + name + "' twice");
      }
    }
  }

  void ReadPartitions(const YAML::Node& node, Mapping& mapping) {
    if (!node.IsSequence()) {
      reader_.Fail(node, "'partition_by' must be a list of {name, from, part}",
                   "for example: partition_by: [{name: year, from: order_ts, part: year}]");
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string where = "partition_by[" + std::to_string(i) + "]";
      reader_.ExpectMap(item, where, kPartitionKeys);
      PartitionSpec partition;
      partition.name = SqlName(Require(item, where, "name"), where + ".name");
      partition.from = reader_.String(Require(item, where, "from"), where + ".from");
      const ColumnSpec* from = mapping.Column(partition.from);
      if (!from) {
        reader_.Fail(item["from"],
                     "'" + where + ".from' names undeclared column '" + partition.from + "'" +
                         DidYouMean(partition.from, ColumnNames(mapping)),
                     "declare it under 'columns:' or fix the name");
      }
      auto part = reader_.String(Require(item, where, "part"), where + ".part");
      auto found = std::find(kParts.begin(), kParts.end(), part);
      if (found == kParts.end()) {
        reader_.Fail(item["part"],
                     "'" + where + ".part' is '" + part + "'" + DidYouMean(part, kParts),
                     "one of: " + YamlReader::JoinAll(kParts));
      }
      partition.part = static_cast<PartitionSpec::Part>(found - kParts.begin());
      if (partition.part != PartitionSpec::Part::kValue && !IsTimeType(from->type)) {
        reader_.Fail(item["part"],
                     "'" + where + ".part' " + part + " needs a date or timestamp column; '" +
                         from->name + "' is " + SqlType(*from),
                     "use part: value, or partition by a date column");
      }
      // Partition keys become columns when the table is read back: they must not collide.
      for (const auto& other : mapping.partition_by) {
        if (other.name == partition.name) {
          reader_.Fail(item["name"], "duplicate partition name '" + partition.name + "'");
        }
      }
      bool own_value =
          partition.part == PartitionSpec::Part::kValue && partition.from == partition.name;
      if (mapping.Column(partition.name) && !own_value) {
        reader_.Fail(item["name"],
                     "partition name '" + partition.name + "' is already a column's name",
                     "rename the partition, e.g. '" + partition.name + "_" + part + "'");
      }
      mapping.partition_by.push_back(partition);
    }
  }

  YamlReader reader_;
};

}  // namespace

const ColumnSpec* Mapping::Column(const std::string& name) const {
  for (const auto& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

Mapping ParseMapping(const std::string& text, const fs::path& file) {
  return MappingParser(file).Parse(text);
}

Mapping LoadMapping(const fs::path& file) { return ParseMapping(ReadFile(file), file); }

std::string DerivedSource(const std::string& name) { return "__expr_" + name; }

std::string DerivedMacro(const ColumnSpec& c) { return db::QuoteIdentifier("__derived_" + c.name); }

std::vector<const ColumnSpec*> ReadColumns(const Mapping& mapping) {
  std::vector<const ColumnSpec*> read;
  for (const auto& c : mapping.columns) {
    if (c.expr.empty()) read.push_back(&c);
  }
  return read;
}

std::string DerivedMacroSql(const Mapping& mapping, const ColumnSpec& c) {
  // A macro's parameters are bound by name in its body: the expression sees the read columns
  // by their target names, whatever the query around it holds.
  std::vector<std::string> parameters;
  for (const ColumnSpec* r : transform::ReadColumns(mapping))
    parameters.push_back(db::QuoteIdentifier(r->name));
  return "CREATE OR REPLACE TEMP MACRO " + DerivedMacro(c) + "(" + Join(parameters, ", ") +
         ") AS (" + c.expr + ")";
}

std::string HeaderKey(const std::string& name, HeaderMatch match) {
  if (match == HeaderMatch::kExact) return name;
  std::string lower = Lower(name);
  if (match == HeaderMatch::kCaseInsensitive) return lower;
  std::string key;
  bool gap = false;
  for (char ch : lower) {
    if (ch == ' ' || ch == '_' || ch == '-' || ch == '\t') {
      gap = !key.empty();
      continue;
    }
    if (gap) key += ' ';
    gap = false;
    key += ch;
  }
  return key;
}

std::string HeaderMatchName(HeaderMatch match) {
  return kHeaderMatches[static_cast<size_t>(match)];
}

std::string SqlType(const ColumnSpec& column) {
  switch (column.type) {
    case ColumnType::kInt:
      return "INTEGER";
    case ColumnType::kBigint:
      return "BIGINT";
    case ColumnType::kDecimal:
      return "DECIMAL(" + std::to_string(column.precision) + "," + std::to_string(column.scale) +
             ")";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kVarchar:
      return "VARCHAR";
    case ColumnType::kBoolean:
      return "BOOLEAN";
    case ColumnType::kDate:
      return "DATE";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
  }
  return "VARCHAR";
}

}  // namespace shoplake::transform
