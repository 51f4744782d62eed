// The DuckDB RAII wrapper: handle ownership, error mapping and value rendering.
#include "db/duckdb.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <mutex>
#include <set>

#include "common/environment.h"
#include "common/error.h"
#include "common/files.h"

namespace shoplake::db {
namespace {

// DuckDB's error categories, mapped to whose fault the failure is.
ErrorCode CodeOf(duckdb_error_type type) {
  switch (type) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_PERMISSION:
      return ErrorCode::kUsage;
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_MISMATCH_TYPE:
      return ErrorCode::kData;
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return ErrorCode::kIo;
    default:
      return ErrorCode::kInternal;
  }
}

template <typename T>
const T* Column(duckdb_data_chunk chunk, size_t column) {
  return static_cast<const T*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, column)));
}

std::string Int128ToString(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  unsigned __int128 magnitude = negative ? -static_cast<unsigned __int128>(value) : value;
  std::string digits;
  while (magnitude) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  if (negative) digits.push_back('-');
  return std::string(digits.rbegin(), digits.rend());
}

std::string DecimalToString(__int128 unscaled, uint8_t scale) {
  std::string digits = Int128ToString(unscaled < 0 ? -unscaled : unscaled);
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, ".");
  }
  return (unscaled < 0 ? "-" : "") + digits;
}

// Shortest text that reads back to the same value, in the value's own precision (a FLOAT
// 0.1 prints as 0.1, not as the double 0.10000000149011612).
template <typename Real>
std::string RealToString(Real value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

std::string DateToString(duckdb_date date) {
  auto parts = duckdb_from_date(date);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", parts.year, parts.month, parts.day);
  return buffer;
}

std::string TimestampToString(int64_t micros) {
  auto parts = duckdb_from_timestamp(duckdb_timestamp{micros});
  char buffer[48];
  int n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d", parts.date.year,
                        parts.date.month, parts.date.day, parts.time.hour, parts.time.min,
                        parts.time.sec);
  if (parts.time.micros != 0) {
    std::snprintf(buffer + n, sizeof buffer - n, ".%06d", parts.time.micros);
  }
  return buffer;
}

}  // namespace

bool IsNumericType(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
      return true;
    default:
      return false;
  }
}

std::string StatementLabel(std::string_view sql) {
  auto start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "SQL";
  sql.remove_prefix(start);
  auto line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80) return "SQL: " + std::string(line.substr(0, 77)) + "...";
  return "SQL: " + std::string(line);
}

std::string DuckDbVersion() { return duckdb_library_version(); }

std::optional<std::string> RegexProblem(const std::string& pattern) {
  // A database of its own that never spills: a pattern compiles without data.
  Database db(":memory:", {{"threads", "1"}, {"temp_directory", ""}});
  Connection connection(db);
  try {
    connection.Execute("SELECT regexp_full_match('', " + QuoteLiteral(pattern) + ")");
    return std::nullopt;
  } catch (const Error& e) {
    return e.message();
  }
}

// Database -------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

// The project's limits (UseDuckDbLimits), read by every Database as it opens.
struct InstalledLimits {
  std::mutex mutex;
  DuckDbSpec spec;
  fs::path root;
};

InstalledLimits& Installed() {
  static InstalledLimits* limits = new InstalledLimits;  // never destroyed: used at exit
  return *limits;
}

// Where spill folders go when the project names no temp_directory: $TMPDIR when set, else
// /var/tmp, which is on disk where /tmp is often memory (a spill to memory spills nothing).
fs::path DefaultSpillRoot() {
  if (auto tmpdir = EnvironmentVariable("TMPDIR")) return *tmpdir;
  std::error_code ec;
  if (fs::is_directory("/var/tmp", ec) && access("/var/tmp", W_OK) == 0) return "/var/tmp";
  return fs::temp_directory_path();
}

constexpr std::string_view kSpillPrefix = "shoplake-spill-";

// Removes the spill folders below `root` whose process is gone (killed before it could).
void SweepSpillFolders(const fs::path& root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kSpillPrefix)) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + kSpillPrefix.size()));
    if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

// A new spill folder of this process below `root`: "shoplake-spill-<pid>-XXXXXX".
fs::path MakeSpillFolder(const fs::path& root) {
  CreateFolders(root);
  SweepSpillFolders(root);
  std::string pattern =
      (root / (std::string(kSpillPrefix) + std::to_string(getpid()) + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) {
    throw Error(ErrorCode::kIo,
                std::string("cannot make DuckDB's spill folder: ") + std::strerror(errno),
                root.string(), "set duckdb.temp_directory in shoplake.yaml to a writable folder");
  }
  return pattern;
}

}  // namespace

uint64_t DefaultMemoryLimitMiB() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 1024;
  uint64_t mib = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 2 >> 20;
  return std::max<uint64_t>(mib, 256);
}

void UseDuckDbLimits(const DuckDbSpec& spec, const fs::path& root) {
  auto& installed = Installed();
  std::lock_guard lock(installed.mutex);
  installed.spec = spec;
  installed.root = root;
}

Database::Database(const std::string& path, const std::map<std::string, std::string>& settings,
                   const std::string& stage) {
  DuckDbSpec::Limits limits;
  fs::path root;
  {
    auto& installed = Installed();
    std::lock_guard lock(installed.mutex);
    limits = installed.spec.For(stage);
    root = installed.root;
  }
  auto all = settings;
  if (!all.count("memory_limit")) {
    all["memory_limit"] = limits.memory_limit.empty()
                              ? std::to_string(DefaultMemoryLimitMiB()) + "MiB"
                              : limits.memory_limit;
  }
  if (!all.count("temp_directory")) {
    fs::path temp =
        limits.temp_directory.empty() ? DefaultSpillRoot() : fs::path(limits.temp_directory);
    if (temp.is_relative()) temp = (root.empty() ? fs::current_path() : root) / temp;
    spill_folder_ = MakeSpillFolder(temp.lexically_normal());
    all["temp_directory"] = spill_folder_.string();
  }
  duckdb_config config = nullptr;
  Check(duckdb_create_config(&config) == DuckDBSuccess, "duckdb_create_config failed");
  for (const auto& [name, value] : all) {
    if (duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      std::error_code ec;
      if (!spill_folder_.empty()) fs::remove_all(spill_folder_, ec);
      throw Error(ErrorCode::kConfig, "DuckDB refuses the setting " + name + " = '" + value + "'",
                  path, "check the duckdb: section of shoplake.yaml (e.g. memory_limit: 2GB)");
    }
  }
  char* reason = nullptr;
  auto state = duckdb_open_ext(path.c_str(), &database_, config, &reason);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string message = reason ? reason : "unknown reason";
    duckdb_free(reason);
    std::error_code ec;
    if (!spill_folder_.empty()) fs::remove_all(spill_folder_, ec);
    throw Error(ErrorCode::kIo, "cannot open DuckDB database: " + message, path);
  }
}

Database::~Database() {
  duckdb_close(&database_);
  std::error_code ec;
  if (!spill_folder_.empty()) fs::remove_all(spill_folder_, ec);
}

// Connection -----------------------------------------------------------------------

Connection::Connection(Database& database) {
  if (duckdb_connect(database.handle(), &connection_) != DuckDBSuccess) {
    throw Error(ErrorCode::kIo, "cannot connect to DuckDB database");
  }
}

Connection::~Connection() { duckdb_disconnect(&connection_); }

namespace {

// DuckDB takes SQL as a C string: it would run the text before a NUL byte and silently
// drop the rest (a WHERE clause, a filter's condition).
void RefuseNulByte(std::string_view sql) {
  if (sql.find('\0') == std::string_view::npos) return;
  throw Error(ErrorCode::kUsage, "the SQL contains a NUL byte (\\0, %00 in a URL)",
              StatementLabel(sql.substr(0, sql.find('\0'))),
              "remove it: no SQL text or filter value may hold one");
}

}  // namespace

Result Connection::Query(std::string_view sql) {
  RefuseNulByte(sql);
  std::string text(sql);
  duckdb_result raw;
  if (duckdb_query(connection_, text.c_str(), &raw) != DuckDBSuccess) {
    std::string message = duckdb_result_error(&raw) ? duckdb_result_error(&raw) : "query failed";
    auto code = CodeOf(duckdb_result_error_type(&raw));
    duckdb_destroy_result(&raw);
    throw Error(code, message, StatementLabel(sql));
  }
  return Result(raw);
}

void Connection::Execute(std::string_view sql) { Query(sql); }

PreparedStatement Connection::Prepare(std::string_view sql) {
  RefuseNulByte(sql);
  std::string text(sql);
  duckdb_prepared_statement statement = nullptr;
  if (duckdb_prepare(connection_, text.c_str(), &statement) != DuckDBSuccess) {
    std::string message =
        duckdb_prepare_error(statement) ? duckdb_prepare_error(statement) : "prepare failed";
    duckdb_destroy_prepare(&statement);
    // The prepare API gives no error category; a statement that does not prepare is
    // wrong SQL for all the cases users meet (syntax, unknown table or column).
    throw Error(ErrorCode::kUsage, message, StatementLabel(sql));
  }
  return PreparedStatement(statement, std::move(text));
}

std::optional<std::string> Connection::QueryScalar(std::string_view sql) {
  auto result = Query(sql);
  auto chunk = result.NextChunk();
  if (!chunk || chunk->row_count() == 0 || chunk->column_count() == 0) return std::nullopt;
  return chunk->Text(0, 0);
}

// PreparedStatement ----------------------------------------------------------------

PreparedStatement::PreparedStatement(duckdb_prepared_statement statement, std::string sql)
    : statement_(statement), sql_(std::move(sql)) {}

PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : statement_(other.statement_), sql_(std::move(other.sql_)) {
  other.statement_ = nullptr;
}

PreparedStatement::~PreparedStatement() {
  if (statement_) duckdb_destroy_prepare(&statement_);
}

Result PreparedStatement::Execute(const std::vector<Parameter>& parameters) {
  duckdb_clear_bindings(statement_);
  for (size_t i = 0; i < parameters.size(); ++i) {
    const auto& p = parameters[i];
    idx_t index = i + 1;
    duckdb_state state = DuckDBError;
    switch (p.kind) {
      case Parameter::Kind::kNull:
        state = duckdb_bind_null(statement_, index);
        break;
      case Parameter::Kind::kBool:
        state = duckdb_bind_boolean(statement_, index, p.bool_value);
        break;
      case Parameter::Kind::kInt64:
        state = duckdb_bind_int64(statement_, index, p.int_value);
        break;
      case Parameter::Kind::kDouble:
        state = duckdb_bind_double(statement_, index, p.double_value);
        break;
      case Parameter::Kind::kString:
        state = duckdb_bind_varchar_length(statement_, index, p.string_value.data(),
                                           p.string_value.size());
        break;
    }
    if (state != DuckDBSuccess) {
      throw Error(ErrorCode::kUsage, "cannot bind parameter $" + std::to_string(index),
                  StatementLabel(sql_), "check the number and types of the parameters");
    }
  }
  duckdb_result raw;
  if (duckdb_execute_prepared(statement_, &raw) != DuckDBSuccess) {
    std::string message =
        duckdb_result_error(&raw) ? duckdb_result_error(&raw) : "execution failed";
    auto code = CodeOf(duckdb_result_error_type(&raw));
    duckdb_destroy_result(&raw);
    throw Error(code, message, StatementLabel(sql_));
  }
  return Result(raw);
}

// Result ---------------------------------------------------------------------------

Result::Result(duckdb_result result) : result_(std::make_unique<duckdb_result>(result)) {
  size_t columns = duckdb_column_count(result_.get());
  for (size_t c = 0; c < columns; ++c) {
    names_.emplace_back(duckdb_column_name(result_.get(), c));
    types_.push_back(duckdb_column_type(result_.get(), c));
    std::pair<uint8_t, uint8_t> decimal{0, 0};
    if (types_.back() == DUCKDB_TYPE_DECIMAL) {
      duckdb_logical_type type = duckdb_column_logical_type(result_.get(), c);
      decimal = {duckdb_decimal_width(type), duckdb_decimal_scale(type)};
      duckdb_destroy_logical_type(&type);
    }
    decimals_.push_back(decimal);
  }
  // A name given twice ("SELECT 1 AS a, 2 AS a") would lose a column wherever names are
  // keys (JSON rows, the web API): the later ones get DuckDB's own suffixes, a_1, a_2, ...
  std::set<std::string> taken(names_.begin(), names_.end());
  std::set<std::string> seen;
  for (auto& name : names_) {
    if (seen.insert(name).second) continue;
    std::string base = name;
    for (int n = 1; taken.count(name); ++n) name = base + "_" + std::to_string(n);
    taken.insert(name);
    seen.insert(name);
  }
}

Result::Result(Result&& other) noexcept
    : result_(std::move(other.result_)),
      names_(std::move(other.names_)),
      types_(std::move(other.types_)),
      decimals_(std::move(other.decimals_)) {}

Result::~Result() {
  if (result_) duckdb_destroy_result(result_.get());
}

std::string Result::column_type_name(size_t column) const {
  switch (types_[column]) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(decimals_[column].first) + "," +
             std::to_string(decimals_[column].second) + ")";
    default:
      return "OTHER";
  }
}

uint64_t Result::rows_changed() { return duckdb_rows_changed(result_.get()); }

std::optional<DataChunk> Result::NextChunk() {
  duckdb_data_chunk chunk = duckdb_fetch_chunk(*result_);
  if (!chunk) return std::nullopt;
  return DataChunk(chunk, &types_, &decimals_);
}

std::vector<std::vector<std::optional<std::string>>> Result::Rows() {
  std::vector<std::vector<std::optional<std::string>>> rows;
  while (auto chunk = NextChunk()) {
    for (size_t r = 0; r < chunk->row_count(); ++r) {
      auto& row = rows.emplace_back();
      for (size_t c = 0; c < chunk->column_count(); ++c) row.push_back(chunk->Text(c, r));
    }
  }
  return rows;
}

// DataChunk ------------------------------------------------------------------------

DataChunk::DataChunk(duckdb_data_chunk chunk, const std::vector<duckdb_type>* types,
                     const std::vector<std::pair<uint8_t, uint8_t>>* decimals)
    : chunk_(chunk), types_(types), decimals_(decimals) {}

DataChunk::DataChunk(DataChunk&& other) noexcept
    : chunk_(other.chunk_), types_(other.types_), decimals_(other.decimals_) {
  other.chunk_ = nullptr;
}

DataChunk::~DataChunk() {
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

size_t DataChunk::row_count() const { return duckdb_data_chunk_get_size(chunk_); }
size_t DataChunk::column_count() const { return duckdb_data_chunk_get_column_count(chunk_); }

bool DataChunk::IsNull(size_t column, size_t row) const {
  uint64_t* validity = duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, column));
  return validity != nullptr && !duckdb_validity_row_is_valid(validity, row);
}

int64_t DataChunk::Int64(size_t column, size_t row) const {
  switch ((*types_)[column]) {
    case DUCKDB_TYPE_BOOLEAN:
      return Column<bool>(chunk_, column)[row] ? 1 : 0;
    case DUCKDB_TYPE_TINYINT:
      return Column<int8_t>(chunk_, column)[row];
    case DUCKDB_TYPE_SMALLINT:
      return Column<int16_t>(chunk_, column)[row];
    case DUCKDB_TYPE_INTEGER:
      return Column<int32_t>(chunk_, column)[row];
    case DUCKDB_TYPE_BIGINT:
      return Column<int64_t>(chunk_, column)[row];
    case DUCKDB_TYPE_UTINYINT:
      return Column<uint8_t>(chunk_, column)[row];
    case DUCKDB_TYPE_USMALLINT:
      return Column<uint16_t>(chunk_, column)[row];
    case DUCKDB_TYPE_UINTEGER:
      return Column<uint32_t>(chunk_, column)[row];
    case DUCKDB_TYPE_UBIGINT:
      return static_cast<int64_t>(Column<uint64_t>(chunk_, column)[row]);
    default:
      throw Error(ErrorCode::kUsage, "column " + std::to_string(column) + " is not an integer", {},
                  "cast it to BIGINT in SQL");
  }
}

double DataChunk::Double(size_t column, size_t row) const {
  switch ((*types_)[column]) {
    case DUCKDB_TYPE_FLOAT:
      return Column<float>(chunk_, column)[row];
    case DUCKDB_TYPE_DOUBLE:
      return Column<double>(chunk_, column)[row];
    case DUCKDB_TYPE_DECIMAL: {
      auto text = Text(column, row);
      return std::stod(*text);
    }
    default:
      return static_cast<double>(Int64(column, row));
  }
}

std::string_view DataChunk::StringView(size_t column, size_t row) const {
  auto type = (*types_)[column];
  if (type != DUCKDB_TYPE_VARCHAR && type != DUCKDB_TYPE_BLOB) {
    throw Error(ErrorCode::kUsage, "column " + std::to_string(column) + " is not text", {},
                "cast it to VARCHAR in SQL");
  }
  // duckdb_string_t_data returns a pointer into the vector for both inline and heap
  // strings, so it needs the element itself, not a copy.
  auto* strings = const_cast<duckdb_string_t*>(Column<duckdb_string_t>(chunk_, column));
  duckdb_string_t& value = strings[row];
  return {duckdb_string_t_data(&value), duckdb_string_t_length(value)};
}

std::optional<std::string> DataChunk::Text(size_t column, size_t row) const {
  if (IsNull(column, row)) return std::nullopt;
  switch ((*types_)[column]) {
    case DUCKDB_TYPE_BOOLEAN:
      return Column<bool>(chunk_, column)[row] ? "true" : "false";
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
      return std::to_string(Int64(column, row));
    case DUCKDB_TYPE_UBIGINT:
      return std::to_string(Column<uint64_t>(chunk_, column)[row]);
    case DUCKDB_TYPE_HUGEINT: {
      auto v = Column<duckdb_hugeint>(chunk_, column)[row];
      return Int128ToString((static_cast<__int128>(v.upper) << 64) | v.lower);
    }
    case DUCKDB_TYPE_FLOAT:
      return RealToString(Column<float>(chunk_, column)[row]);
    case DUCKDB_TYPE_DOUBLE:
      return RealToString(Column<double>(chunk_, column)[row]);
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      return std::string(StringView(column, row));
    case DUCKDB_TYPE_DATE:
      return DateToString(Column<duckdb_date>(chunk_, column)[row]);
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return TimestampToString(Column<duckdb_timestamp>(chunk_, column)[row].micros);
    case DUCKDB_TYPE_DECIMAL: {
      auto [width, scale] = (*decimals_)[column];
      __int128 unscaled;
      if (width <= 4)
        unscaled = Column<int16_t>(chunk_, column)[row];
      else if (width <= 9)
        unscaled = Column<int32_t>(chunk_, column)[row];
      else if (width <= 18)
        unscaled = Column<int64_t>(chunk_, column)[row];
      else {
        auto v = Column<duckdb_hugeint>(chunk_, column)[row];
        unscaled = (static_cast<__int128>(v.upper) << 64) | v.lower;
      }
      return DecimalToString(unscaled, scale);
    }
    default:
      throw Error(ErrorCode::kUsage,
                  "column " + std::to_string(column) + " has a type shoplake does not render", {},
                  "cast it to VARCHAR in SQL");
  }
}

// Quoting --------------------------------------------------------------------------

namespace {
std::string Quote(std::string_view text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}
}  // namespace

std::string QuoteLiteral(std::string_view text) { return Quote(text, '\''); }
std::string QuoteIdentifier(std::string_view name) { return Quote(name, '"'); }

}  // namespace shoplake::db
