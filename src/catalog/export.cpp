#include "catalog/export.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "common/uri.h"

namespace shoplake::catalog {
namespace {

constexpr const char* kParquetInputFormat =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
constexpr const char* kParquetOutputFormat =
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
constexpr const char* kParquetSerde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat =
    "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kCsvSerde = "org.apache.hadoop.hive.serde2.OpenCSVSerde";

// The type as DuckDB may spell it, upper case and without blanks: "DECIMAL(12,2)".
std::string Normalize(const std::string& type) {
  std::string out;
  for (char c : type) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// The Hive type when there is a faithful one. Unsigned and 128-bit integers, intervals,
// time zones, UUIDs and nested types have none: the exports fall back to string.
std::optional<std::string> FaithfulHiveType(const std::string& duckdb_type) {
  static const std::map<std::string, std::string> kSimple = {
      {"BIGINT", "bigint"},
      {"INT8", "bigint"},
      {"LONG", "bigint"},
      {"INTEGER", "int"},
      {"INT", "int"},
      {"INT4", "int"},
      {"SIGNED", "int"},
      {"SMALLINT", "smallint"},
      {"INT2", "smallint"},
      {"SHORT", "smallint"},
      {"TINYINT", "tinyint"},
      {"INT1", "tinyint"},
      {"DOUBLE", "double"},
      {"FLOAT8", "double"},
      {"FLOAT", "float"},
      {"FLOAT4", "float"},
      {"REAL", "float"},
      {"VARCHAR", "string"},
      {"TEXT", "string"},
      {"STRING", "string"},
      {"CHAR", "string"},
      {"BPCHAR", "string"},
      {"BOOLEAN", "boolean"},
      {"BOOL", "boolean"},
      {"LOGICAL", "boolean"},
      {"DATE", "date"},
      {"TIMESTAMP", "timestamp"},
      {"DATETIME", "timestamp"},
      {"TIMESTAMP_US", "timestamp"},
      {"TIMESTAMP_MS", "timestamp"},
      {"TIMESTAMP_S", "timestamp"},
      {"TIMESTAMP_NS", "timestamp"},
      {"BLOB", "binary"},
      {"BYTEA", "binary"},
  };
  std::string type = Normalize(duckdb_type);
  if (auto it = kSimple.find(type); it != kSimple.end()) return it->second;
  // VARCHAR(n): DuckDB ignores the length, and so does a Hive string.
  if (type.rfind("VARCHAR(", 0) == 0) return "string";
  for (const char* decimal : {"DECIMAL", "NUMERIC"}) {
    std::string prefix = decimal;
    if (type == prefix) return "decimal(18,3)";  // DuckDB's default precision and scale
    if (type.rfind(prefix + "(", 0) == 0 && type.back() == ')') {
      std::string args = type.substr(prefix.size() + 1, type.size() - prefix.size() - 2);
      bool digits = !args.empty() && std::all_of(args.begin(), args.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == ',';
      });
      if (digits) return "decimal(" + args + ")";
    }
  }
  return std::nullopt;
}

// `name` as a Hive identifier: `name`, a backtick doubled.
std::string Identifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

// `text` as a Hive string literal: 'text', with backslash escapes.
std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A column's comment: its description, and the DuckDB type when Hive has no faithful one
// ("Unit price (DuckDB type HUGEINT)"); empty when there is neither.
std::string ColumnComment(const Column& column) {
  if (HasHiveType(column.type)) return column.description;
  std::string type = "DuckDB type " + column.type;
  return column.description.empty() ? type : column.description + " (" + type + ")";
}

// One column as the DDL declares it: `name` type [COMMENT '...'].
std::string ColumnDdl(const Column& column) {
  std::string out = Identifier(column.name) + " " + HiveType(column.type);
  std::string comment = ColumnComment(column);
  if (!comment.empty()) out += " COMMENT " + Literal(comment);
  return out;
}

nlohmann::json ColumnJson(const Column& column) {
  nlohmann::json out = {{"Name", column.name}, {"Type", HiveType(column.type)}};
  std::string comment = ColumnComment(column);
  if (!comment.empty()) out["Comment"] = comment;
  return out;
}

bool IsCsv(const Table& table) { return table.format == "csv"; }

}  // namespace

std::string HiveType(const std::string& duckdb_type) {
  return FaithfulHiveType(duckdb_type).value_or("string");
}

bool HasHiveType(const std::string& duckdb_type) {
  return FaithfulHiveType(duckdb_type).has_value();
}

std::string TableLocationUri(const Table& table, const std::string& lake_uri) {
  std::string root =
      lake_uri.find("://") == std::string::npos ? ParseUri(lake_uri).ToString() : lake_uri;
  while (!root.empty() && root.back() == '/') root.pop_back();
  std::string location = table.location;
  while (!location.empty() && location.front() == '/') location.erase(0, 1);
  if (!location.empty() && location.back() != '/') location += '/';
  return root + "/" + location;
}

std::string CreateTableDdl(const Table& table, const std::string& lake_uri) {
  std::string out = "CREATE EXTERNAL TABLE IF NOT EXISTS " + Identifier(table.database) + "." +
                    Identifier(table.name) + " (\n";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    out += "  " + ColumnDdl(table.columns[i]) + (i + 1 < table.columns.size() ? ",\n" : "\n");
  }
  out += ")\n";
  if (!table.description.empty()) out += "COMMENT " + Literal(table.description) + "\n";
  if (!table.partition_keys.empty()) {
    out += "PARTITIONED BY (\n";
    for (size_t i = 0; i < table.partition_keys.size(); ++i) {
      out += "  " + ColumnDdl(table.partition_keys[i]) +
             (i + 1 < table.partition_keys.size() ? ",\n" : "\n");
    }
    out += ")\n";
  }
  if (IsCsv(table)) {
    out += "ROW FORMAT SERDE " + Literal(kCsvSerde) + "\n";
    out += "WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='\"', 'escapeChar'='\\\\')\n";
    out += "STORED AS TEXTFILE\n";
  } else {
    out += "STORED AS PARQUET\n";
  }
  out += "LOCATION " + Literal(TableLocationUri(table, lake_uri)) + "\n";
  if (IsCsv(table)) {
    out += "TBLPROPERTIES ('skip.header.line.count'='1', 'classification'='csv'";
  } else {
    out += "TBLPROPERTIES ('classification'='parquet'";
  }
  out += ", 'shoplake.version'=" + Literal(std::to_string(table.version)) + ");\n";
  return out;
}

nlohmann::json GlueTableInput(const Table& table, const std::string& lake_uri) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : table.columns) columns.push_back(ColumnJson(c));
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : table.partition_keys) keys.push_back(ColumnJson(k));

  bool csv = IsCsv(table);
  nlohmann::json parameters = {{"classification", csv ? "csv" : "parquet"},
                               {"EXTERNAL", "TRUE"},
                               {"shoplake.version", std::to_string(table.version)}};
  nlohmann::json serde;
  if (csv) {
    parameters["skip.header.line.count"] = "1";
    serde = {{"SerializationLibrary", kCsvSerde},
             {"Parameters", {{"separatorChar", ","}, {"quoteChar", "\""}, {"escapeChar", "\\"}}}};
  } else {
    serde = {{"SerializationLibrary", kParquetSerde},
             {"Parameters", {{"serialization.format", "1"}}}};
  }
  nlohmann::json input = {{"Name", table.name},
                          {"TableType", "EXTERNAL_TABLE"},
                          {"Parameters", parameters},
                          {"PartitionKeys", keys},
                          {"StorageDescriptor",
                           {{"Columns", columns},
                            {"Location", TableLocationUri(table, lake_uri)},
                            {"InputFormat", csv ? kTextInputFormat : kParquetInputFormat},
                            {"OutputFormat", csv ? kTextOutputFormat : kParquetOutputFormat},
                            {"Compressed", false},
                            {"SerdeInfo", serde}}}};
  if (!table.owner.empty()) input["Owner"] = table.owner;
  if (!table.description.empty()) input["Description"] = table.description;
  return {{"DatabaseName", table.database}, {"TableInput", input}};
}

}  // namespace shoplake::catalog
