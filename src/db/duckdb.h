// RAII over DuckDB's C API: Database, Connection, PreparedStatement, Result and
// DataChunk. Every stage that reads CSV, writes Parquet or runs SQL goes through these,
// so each DuckDB handle has exactly one owner and every failure becomes a shoplake::Error.
//
// Thread safety: a Database may be shared by threads; a Connection, and everything made
// from it, is used by one thread at a time (DuckDB's own rule).
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/project.h"

namespace shoplake::db {

//! The DuckDB library version, e.g. "v1.4.4".
std::string DuckDbVersion();

//! Installs the project's DuckDB limits (shoplake.yaml's `duckdb:`) for every Database the
//! process opens from now on; relative folders are taken under `root`. The CLI calls it once
//! it has read the project. Until then, and for what the project leaves unset, a Database
//! may use half the machine's memory and spills below $TMPDIR (else /var/tmp).
void UseDuckDbLimits(const DuckDbSpec& spec, const std::filesystem::path& root);

//! Half the machine's memory in MiB (at least 256): what a Database may use when the project
//! sets no memory_limit. DuckDB's own default, 80%, leaves little for the rest of the process
//! and for a second shoplake beside it.
uint64_t DefaultMemoryLimitMiB();

//! An open DuckDB database: in memory (path ":memory:") or a file.
//!
//! Each has a spill folder of its own, made when it opens and removed when it closes, below
//! the stage's temp_directory (never DuckDB's default `.tmp` in the current folder, which
//! a query could name); folders that a killed process left there are removed by the next.
class Database {
 public:
  //! Opens `path` with DuckDB `settings` (e.g. {"threads","2"}, {"memory_limit","2GB"}) and,
  //! where they do not name them, the memory limit and spill folder of `stage` ("transform",
  //! "query", ... as DuckDbStages() lists; "" for the project's own).
  //! On failure throws Error(kIo) with DuckDB's reason.
  explicit Database(const std::string& path = ":memory:",
                    const std::map<std::string, std::string>& settings = {},
                    const std::string& stage = "");
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  duckdb_database handle() { return database_; }

  //! The folder DuckDB spills to; empty when `settings` named its own temp_directory.
  const std::filesystem::path& spill_folder() const { return spill_folder_; }

 private:
  duckdb_database database_ = nullptr;
  std::filesystem::path spill_folder_;
};

class Result;

//! A value to bind to a prepared statement's parameter.
struct Parameter {
  enum class Kind { kNull, kBool, kInt64, kDouble, kString } kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string string_value;

  static Parameter Null() { return {}; }
  Parameter() = default;
  Parameter(bool v) : kind(Kind::kBool), bool_value(v) {}                        // NOLINT
  Parameter(int v) : kind(Kind::kInt64), int_value(v) {}                         // NOLINT
  Parameter(int64_t v) : kind(Kind::kInt64), int_value(v) {}                     // NOLINT
  Parameter(double v) : kind(Kind::kDouble), double_value(v) {}                  // NOLINT
  Parameter(std::string v) : kind(Kind::kString), string_value(std::move(v)) {}  // NOLINT
  Parameter(const char* v) : kind(Kind::kString), string_value(v) {}             // NOLINT
};

//! A statement parsed and planned once, run with different parameters.
class PreparedStatement {
 public:
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&& other) noexcept;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  //! Binds `parameters` to $1, $2, ... and runs the statement.
  //! On failure throws Error naming the SQL (see Connection::Query for the codes).
  Result Execute(const std::vector<Parameter>& parameters = {});

  //! What kind of statement it is (SELECT, INSERT, COPY, ...).
  duckdb_statement_type type() const { return duckdb_prepared_statement_type(statement_); }

 private:
  friend class Connection;
  PreparedStatement(duckdb_prepared_statement statement, std::string sql);
  duckdb_prepared_statement statement_ = nullptr;
  std::string sql_;
};

//! A connection: where SQL runs. Settings and temporary objects live per connection.
class Connection {
 public:
  explicit Connection(Database& database);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  //! Runs `sql` (one or more statements) and returns the last statement's result.
  //! On failure throws Error whose message is DuckDB's: kUsage for parser, binder and
  //! catalog errors (the SQL is wrong), kData for conversion and range errors (the data
  //! is), kIo for I/O, kInternal otherwise; the input names the statement.
  Result Query(std::string_view sql);

  //! Runs `sql` for its effect only.
  void Execute(std::string_view sql);

  //! Prepares one statement. On failure throws as Query does.
  PreparedStatement Prepare(std::string_view sql);

  //! The first column of the first row as text (NULL -> nullopt); handy for scalars.
  std::optional<std::string> QueryScalar(std::string_view sql);

  //! Asks a running query on this connection to stop (from another thread).
  void Interrupt() { duckdb_interrupt(connection_); }

  duckdb_connection handle() { return connection_; }

 private:
  duckdb_connection connection_ = nullptr;
};

//! One chunk of a result: up to duckdb_vector_size() rows, column-major.
class DataChunk {
 public:
  ~DataChunk();
  DataChunk(DataChunk&& other) noexcept;
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;

  size_t row_count() const;
  size_t column_count() const;

  bool IsNull(size_t column, size_t row) const;
  //! Integer columns of any width and sign, and booleans. REQUIRES: not NULL.
  int64_t Int64(size_t column, size_t row) const;
  //! FLOAT, DOUBLE, DECIMAL and integer columns. REQUIRES: not NULL.
  double Double(size_t column, size_t row) const;
  //! VARCHAR and BLOB columns as stored. REQUIRES: not NULL.
  std::string_view StringView(size_t column, size_t row) const;
  //! Any supported column rendered as text the way DuckDB prints it (dates as
  //! YYYY-MM-DD, timestamps as YYYY-MM-DD HH:MM:SS[.ffffff], decimals with their scale);
  //! nullopt for NULL. Throws Error(kUsage) for nested types: cast them in SQL.
  std::optional<std::string> Text(size_t column, size_t row) const;

 private:
  friend class Result;
  explicit DataChunk(duckdb_data_chunk chunk, const std::vector<duckdb_type>* types,
                     const std::vector<std::pair<uint8_t, uint8_t>>* decimals);
  duckdb_data_chunk chunk_ = nullptr;
  const std::vector<duckdb_type>* types_;
  const std::vector<std::pair<uint8_t, uint8_t>>* decimals_;  //!< (width, scale) or (0,0)
};

//! The result of a statement: column names and types, then chunks in order.
class Result {
 public:
  ~Result();
  Result(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  size_t column_count() const { return names_.size(); }
  //! The column's name, unique within the result: a name the statement gives twice comes
  //! back as name, name_1, name_2, ... (as DuckDB names a subquery's repeated columns).
  const std::string& column_name(size_t column) const { return names_[column]; }
  duckdb_type column_type(size_t column) const { return types_[column]; }
  //! The column's type as SQL spells it ("BIGINT", "DECIMAL(18,2)", "VARCHAR").
  std::string column_type_name(size_t column) const;
  //! Rows changed by an INSERT/UPDATE/DELETE/COPY.
  uint64_t rows_changed();

  //! The next chunk, or nullopt when the result is exhausted.
  std::optional<DataChunk> NextChunk();

  //! Every remaining row as text (NULL -> nullopt). For small results only.
  std::vector<std::vector<std::optional<std::string>>> Rows();

 private:
  friend class Connection;
  friend class PreparedStatement;
  explicit Result(duckdb_result result);
  std::unique_ptr<duckdb_result> result_;
  std::vector<std::string> names_;
  std::vector<duckdb_type> types_;
  std::vector<std::pair<uint8_t, uint8_t>> decimals_;
};

//! True for the integer, floating and decimal types (numbers align right, print bare in JSON).
bool IsNumericType(duckdb_type type);

//! Why DuckDB (RE2) cannot compile `pattern` as a regular expression, or nullopt when it
//! can: mappings check their rules' patterns when they load, not halfway through a run.
std::optional<std::string> RegexProblem(const std::string& pattern);

//! How errors name a statement: "SQL: " and its first line, shortened.
std::string StatementLabel(std::string_view sql);

//! `text` as a SQL string literal: 'it''s'. For identifiers use QuoteIdentifier.
std::string QuoteLiteral(std::string_view text);
//! `name` as a SQL identifier: "my ""table""".
std::string QuoteIdentifier(std::string_view name);

}  // namespace shoplake::db
