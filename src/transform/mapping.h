// Mapping: the declarative spec that turns a dataset's raw CSV into a typed table, one YAML
// file per dataset (pipeline/mappings/<dataset>.yaml), as Glue's ApplyMapping does, plus
// the rules a row must pass. The spec is checked when loaded: every mistake is an
// Error(kConfig) whose input is "file:line:column" and whose message names the key.
//
//   dataset: orders
//   database: shop
//   table: order_lines
//   csv: {delimiter: ",", quote: "\"", escape: "\"", header: true, encoding: utf-8,
//         null_strings: [""], header_match: exact}
//   on_new_columns: fail                      # or ignore: a column later files add
//   primary_key: [order_id, line_no]          # unique; duplicates dropped, latest wins
//   partition_by:
//     - {name: year, from: order_ts, part: year}
//     - {name: month, from: order_ts, part: month}
//   columns:
//     - {name: order_id, type: bigint, nullable: false, min: 1}
//     - {name: order_ts, type: timestamp, format: "%Y-%m-%d %H:%M:%S", nullable: false}
//     - {name: status, type: varchar, accepted_values: [completed, cancelled, returned]}
//     - {name: unit_price, type: "decimal(12,2)", min: 0}
//     - {name: tax, type: "decimal(12,2)", round: true}   # 0.125 -> 0.13, counted
//     - {name: customer_email, source: email, type: varchar, regex: "^[^@]+@[^@]+$",
//        max_length: 254}
//     - {name: product_id, type: bigint, references: {dataset: products, column: product_id}}
//     - {name: revenue, type: "decimal(14,4)", expr: "quantity * unit_price"}   # derived
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace shoplake::transform {

enum class ColumnType { kInt, kBigint, kDecimal, kDouble, kVarchar, kBoolean, kDate, kTimestamp };

//! Another dataset's key column a value must exist in (checked against its current table).
struct Reference {
  std::string dataset;
  std::string column;
};

struct ColumnSpec {
  std::string name;    //!< the target column
  std::string source;  //!< the CSV header's column; defaults to `name`
  //! A derived column: a scalar SQL expression over the other (read) columns, by their target
  //! names and typed, cast to `type` per row (a value that does not cast: rule "type"). Its
  //! `source` is then DerivedSource(name), no header's column.
  std::string expr;
  std::string description;  //!< what the column means (the catalog, Athena, the web app)
  ColumnType type = ColumnType::kVarchar;
  int precision = 0;   //!< decimal(p,s) only: 1..38
  int scale = 0;       //!< decimal(p,s) only: 0..p
  std::string format;  //!< date and timestamp: a strptime format; empty means ISO 8601
  bool nullable = true;
  //! Bounds as SQL literals of the column's type (kept as text so decimals stay exact);
  //! numbers, dates and timestamps only.
  std::optional<std::string> min;
  std::optional<std::string> max;
  std::vector<std::string> accepted_values;  //!< empty: any value
  std::optional<std::string> regex;          //!< varchar only: the whole value must match
  std::optional<int> max_length;             //!< varchar only: in characters
  std::optional<Reference> references;
  //! decimal only: a value with more decimals than `scale` is rounded half away from zero
  //! (and counted) instead of refused (rule "scale"): money never loses digits silently.
  bool round = false;
  int line = 0;  //!< where the column is declared in the spec (1-based)
};

//! How a header's names are matched to the mapping's sources (docs/transform.md).
enum class HeaderMatch {
  kExact,            //!< byte for byte (the default: a renamed column is noticed)
  kCaseInsensitive,  //!< "InvoiceNo" = "invoiceno"
  kNormalized,       //!< case, surrounding and repeated spaces, and _ - space alike
};

//! What a run does with a header column the run's first file did not have (exports grow).
enum class NewColumns { kFail, kIgnore };

struct CsvDialect {
  char delimiter = ',';
  char quote = '"';
  char escape = '"';
  bool header = true;
  //! utf-8, or any name glibc's iconv knows (windows-1252, utf-16, ...): the raw file is
  //! transcoded to UTF-8 before DuckDB reads it (transform/encoding.h)
  std::string encoding = "utf-8";
  std::vector<std::string> null_strings = {""};
  HeaderMatch header_match = HeaderMatch::kExact;
};

//! A Hive partition key derived from a column: year=2026/month=03 from order_ts.
struct PartitionSpec {
  enum class Part { kYear, kMonth, kDay, kValue };
  std::string name;  //!< the partition folder key
  std::string from;  //!< the column it is computed from
  Part part = Part::kValue;
};

struct Mapping {
  std::filesystem::path file;  //!< the spec it was loaded from
  std::string dataset;
  std::string database;
  std::string table;
  std::string description;  //!< what the table holds (the catalog, Athena, the web app)
  CsvDialect csv;
  std::vector<ColumnSpec> columns;          //!< in output order
  std::vector<std::string> primary_key;     //!< column names; empty: no dedup
  std::vector<PartitionSpec> partition_by;  //!< outermost first
  NewColumns on_new_columns = NewColumns::kFail;

  const ColumnSpec* Column(const std::string& name) const;
};

//! Loads and checks `file`: known keys only (unknown ones get a did-you-mean), types
//! that exist, rules that fit the column's type (regex on varchar, min on numbers, ...),
//! primary key and partition columns that are declared, no duplicate column names.
//! Throws Error(kConfig) with input "file:line:column"; Error(kNotFound) for a missing file.
Mapping LoadMapping(const std::filesystem::path& file);

//! Parses and checks YAML `text` as if read from `file` (for tests and error messages).
Mapping ParseMapping(const std::string& text, const std::filesystem::path& file);

//! The form of a header name that `match` compares: `name` itself (exact), lower-cased
//! (case_insensitive), or lower-cased with `_`, `-` and runs of spaces made one space and the
//! ends trimmed (normalized: "Invoice_No " = "invoice no" = "INVOICE-NO").
std::string HeaderKey(const std::string& name, HeaderMatch match);

//! The name `header_match` takes in a mapping: exact, case_insensitive, normalized.
std::string HeaderMatchName(HeaderMatch match);

//! The internal source of derived column `name`: its expression's value as text.
std::string DerivedSource(const std::string& name);

//! The SQL of the DuckDB macro `DerivedMacro(c)` that computes derived column `c` from the
//! typed values of the mapping's read columns, passed in their order (ReadColumns).
std::string DerivedMacroSql(const Mapping& mapping, const ColumnSpec& c);
std::string DerivedMacro(const ColumnSpec& c);
//! The mapping's columns read from the file (not derived), in order.
std::vector<const ColumnSpec*> ReadColumns(const Mapping& mapping);

//! The DuckDB type of a column: INTEGER, BIGINT, DECIMAL(p,s), DOUBLE, VARCHAR, BOOLEAN,
//! DATE, TIMESTAMP.
std::string SqlType(const ColumnSpec& column);

}  // namespace shoplake::transform
