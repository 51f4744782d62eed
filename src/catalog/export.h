// Export: a catalog table as the systems that query a lake in the cloud describe it: the
// Athena/Hive `CREATE EXTERNAL TABLE` statement and the AWS Glue CreateTable request.
// Both name the table's current columns and partition keys with their Hive types and the
// table's folder under the lake root, so Athena (or Spark, or Trino) reads the same files.
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "catalog/catalog.h"

namespace shoplake::catalog {

//! The Hive type of a DuckDB type name: BIGINT -> bigint, INTEGER -> int, SMALLINT ->
//! smallint, TINYINT -> tinyint, DECIMAL(p,s) -> decimal(p,s), DOUBLE -> double, FLOAT ->
//! float, VARCHAR -> string, BOOLEAN -> boolean, DATE -> date, TIMESTAMP -> timestamp,
//! BLOB -> binary. Case-insensitive. Any other type (HUGEINT, INTERVAL, nested types, ...)
//! has no faithful Hive equivalent and becomes string; HasHiveType says so.
std::string HiveType(const std::string& duckdb_type);

//! False when HiveType(duckdb_type) is only a fallback to string; the exports then carry
//! the DuckDB type in the column's comment.
bool HasHiveType(const std::string& duckdb_type);

//! Where `table`'s files live as a URI: `lake_uri` (file:///abs/lake, s3://bucket/prefix,
//! or a plain path, made a file URI) joined with the table's location, ending in '/'.
std::string TableLocationUri(const Table& table, const std::string& lake_uri);

//! The Athena/Hive statement that declares `table` over its folder:
//!   CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`table` (`col` type, ...)
//!   PARTITIONED BY (`key` type, ...) STORED AS PARQUET LOCATION '...' TBLPROPERTIES (...)
//! A "csv" table gets the OpenCSVSerde row format, STORED AS TEXTFILE and
//! skip.header.line.count=1. Ends with ";\n".
std::string CreateTableDdl(const Table& table, const std::string& lake_uri);

//! The body of an AWS Glue CreateTable request for `table`:
//! {"DatabaseName", "TableInput": {"Name", "TableType": "EXTERNAL_TABLE", "Parameters",
//! "PartitionKeys", "StorageDescriptor": {"Columns", "Location", "InputFormat",
//! "OutputFormat", "SerdeInfo"}}}, with the Hive Parquet (or text and OpenCSVSerde) classes.
nlohmann::json GlueTableInput(const Table& table, const std::string& lake_uri);

}  // namespace shoplake::catalog
