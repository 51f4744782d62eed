// `shoplake query "SQL"`: SQL over the catalog's tables (query/engine.h), printed as an
// aligned table, CSV, JSON or Parquet, and saved under the lake's results/ as Athena's
// result location keeps every answer.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/context.h"
#include "common/clock.h"
#include "common/csv.h"
#include "common/error.h"
#include "common/files.h"
#include "common/numbers.h"
#include "db/query_watch.h"
#include "query/engine.h"

namespace shoplake::cli {
namespace {

struct QueryFlags {
  std::string sql;
  std::string file;  //!< -f FILE.sql
  std::string format = "table";
  std::string output;               //!< -o FILE; stdout when empty
  std::string as_of;                //!< --as-of SNAPSHOT|TIME; empty for the current snapshots
  std::optional<double> timeout_s;  //!< --query-timeout; unset: the project's, else none
};

// --as-of: digits are a snapshot id, anything else a time.
catalog::AsOf ParseAsOf(const std::string& text) {
  catalog::AsOf as_of;
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    auto id = ParseSigned(text);
    if (!id) {
      throw Error(ErrorCode::kUsage, "no snapshot has so large an id", "--as-of " + text,
                  "give a snapshot id from shoplake catalog history TABLE, or a time");
    }
    as_of.snapshot_id = *id;
  } else {
    as_of.time = text;
  }
  return as_of;
}

using Row = std::vector<std::optional<std::string>>;

// A NULL is an empty field.
std::string CsvField(const std::optional<std::string>& value) {
  return value ? shoplake::CsvField(*value) : std::string();
}

std::string CsvLine(const Row& row) {
  std::string line;
  for (size_t c = 0; c < row.size(); ++c) line += (c ? "," : "") + CsvField(row[c]);
  return line + "\n";
}

// How a result is printed: the column header, then rows as they stream, then the end.
class ResultPrinter {
 public:
  explicit ResultPrinter(std::ostream& out) : out_(out) {}
  virtual ~ResultPrinter() = default;
  virtual void Begin(const db::Result& result) = 0;
  virtual void Add(const Row& row) = 0;
  virtual void End(uint64_t rows) = 0;

 protected:
  std::ostream& out_;
};

class CsvPrinter : public ResultPrinter {
 public:
  using ResultPrinter::ResultPrinter;
  void Begin(const db::Result& result) override {
    Row header;
    for (size_t c = 0; c < result.column_count(); ++c) header.push_back(result.column_name(c));
    out_ << CsvLine(header);
  }
  void Add(const Row& row) override { out_ << CsvLine(row); }
  void End(uint64_t) override {}
};

// An array of objects, keys in column order; numbers and booleans as JSON's own.
class JsonPrinter : public ResultPrinter {
 public:
  using ResultPrinter::ResultPrinter;
  void Begin(const db::Result& result) override {
    for (size_t c = 0; c < result.column_count(); ++c) {
      names_.push_back(result.column_name(c));
      types_.push_back(result.column_type(c));
    }
    out_ << "[";
  }
  void Add(const Row& row) override {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t c = 0; c < row.size(); ++c) object[names_[c]] = Value(types_[c], row[c]);
    out_ << (first_ ? "\n" : ",\n")
         << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    first_ = false;
  }
  void End(uint64_t) override { out_ << (first_ ? "]\n" : "\n]\n"); }

 private:
  static nlohmann::ordered_json Value(duckdb_type type, const std::optional<std::string>& text) {
    if (!text) return nullptr;
    if (type == DUCKDB_TYPE_BOOLEAN) return *text == "true";
    if (db::IsNumericType(type)) {
      // inf and nan have no JSON spelling: they stay text.
      auto number = nlohmann::ordered_json::parse(*text, nullptr, false);
      if (number.is_number()) return number;
    }
    return *text;
  }
  std::vector<std::string> names_;
  std::vector<duckdb_type> types_;
  bool first_ = true;
};

// Columns aligned for a terminal (numbers to the right), then the row count. Holds every
// row: widths are known only at the end.
class TablePrinter : public ResultPrinter {
 public:
  using ResultPrinter::ResultPrinter;
  void Begin(const db::Result& result) override {
    for (size_t c = 0; c < result.column_count(); ++c) {
      header_.push_back(result.column_name(c));
      numeric_.push_back(db::IsNumericType(result.column_type(c)));
    }
  }
  void Add(const Row& row) override {
    auto& cells = rows_.emplace_back();
    for (const auto& value : row) cells.push_back(value ? *value : "NULL");
  }
  void End(uint64_t rows) override {
    std::vector<size_t> widths;
    for (const auto& name : header_) widths.push_back(name.size());
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string text;
      for (size_t c = 0; c < cells.size(); ++c) {
        // The last text column is not padded: no trailing blanks.
        bool last = c + 1 == cells.size();
        text += c ? "  " : "";
        text += numeric_[c] ? fmt::format("{:>{}}", cells[c], widths[c])
                : last      ? cells[c]
                            : fmt::format("{:<{}}", cells[c], widths[c]);
      }
      out_ << text << "\n";
    };
    line(header_);
    std::vector<std::string> rule;
    for (size_t w : widths) rule.push_back(std::string(w, '-'));
    line(rule);
    for (const auto& row : rows_) line(row);
    out_ << fmt::format("({} row{})\n", rows, rows == 1 ? "" : "s");
  }

 private:
  std::vector<std::string> header_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

std::unique_ptr<ResultPrinter> MakePrinter(const std::string& format, std::ostream& out) {
  if (format == "csv") return std::make_unique<CsvPrinter>(out);
  if (format == "json") return std::make_unique<JsonPrinter>(out);
  return std::make_unique<TablePrinter>(out);
}

// Moves `from` to `to` whole: copied beside `to` first when they are on different disks.
void MoveOut(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (!ec) return;
  auto staged = to;
  staged += ".tmp";
  std::filesystem::copy_file(from, staged, std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) std::filesystem::rename(staged, to, ec);
  std::filesystem::remove(from);
  if (ec) throw Error(ErrorCode::kIo, "cannot write the result: " + ec.message(), to.string());
}

std::string ReadSql(const QueryFlags& flags) {
  if (flags.sql.empty() == flags.file.empty()) {
    throw Error(ErrorCode::kUsage, "give the SQL as an argument or with -f FILE, not both",
                "shoplake query", "shoplake query \"SELECT count(*) FROM shop.order_lines\"");
  }
  std::string sql = flags.file.empty() ? flags.sql : ReadFile(flags.file);
  if (sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
    throw Error(ErrorCode::kUsage, "the SQL is empty", flags.file.empty() ? "SQL" : flags.file);
  }
  return sql;
}

void RunQuery(Context& context, const QueryFlags& flags) {
  std::string sql = ReadSql(flags);
  if (flags.format == "parquet" && flags.output.empty()) {
    throw Error(ErrorCode::kUsage, "--format parquet writes a file", "--format parquet",
                "name it with -o FILE.parquet");
  }
  catalog::Catalog catalog(context.catalog_path(lake::CatalogFile::Access::kRead));
  lake::Store& lake = context.lake();
  query::EngineOptions options;
  if (!flags.as_of.empty()) options.as_of = ParseAsOf(flags.as_of);
  query::QueryEngine engine(lake, catalog, options);

  std::string id = NewRunId();
  std::string started_at = UtcNowIso();
  auto start = std::chrono::steady_clock::now();
  auto tables = engine.TablesRead(sql);
  std::optional<db::Result> result;
  db::QueryWatch watch(
      [&engine] { engine.Interrupt(); },
      db::QueryTimeout(flags.timeout_s, context.project().query.timeout_seconds, {}));
  if (flags.format == "parquet") {
    // DuckDB writes only inside the lake (or its cache): the file is made there, then moved
    // to -o.
    std::string path = engine.ResultFile(".tmp-" + id + ".parquet");
    result.emplace(
        watch.Run([&] { return engine.RunToParquet(sql, path); }, db::StatementLabel(sql)));
    MoveOut(path, flags.output);
  } else {
    result.emplace(watch.Run([&] { return engine.Run(sql); }, db::StatementLabel(sql)));
  }

  std::ofstream file;
  if (!flags.output.empty() && flags.format != "parquet") {
    file.open(flags.output, std::ios::binary | std::ios::trunc);
    if (!file) throw Error(ErrorCode::kIo, "cannot write the result", flags.output);
  }
  std::ostream& out = file.is_open() ? static_cast<std::ostream&>(file) : std::cout;
  std::unique_ptr<ResultPrinter> printer;
  if (flags.format != "parquet") printer = MakePrinter(flags.format, out);

  // Athena's result location: every answer as CSV, with what produced it beside it. A lake
  // that cannot be written (its catalog opened read-only) is read as it is: nothing saved.
  std::string csv_key = "results/" + id + ".csv";
  std::unique_ptr<lake::Writer> saved;
  if (!catalog.db().read_only()) saved = lake.Create(csv_key);
  Row header;
  for (size_t c = 0; c < result->column_count(); ++c) header.push_back(result->column_name(c));
  if (saved) saved->Append(CsvLine(header));
  if (printer) printer->Begin(*result);
  uint64_t rows = 0;
  while (auto chunk = result->NextChunk()) {
    std::string lines;
    for (size_t r = 0; r < chunk->row_count(); ++r) {
      Row row;
      for (size_t c = 0; c < chunk->column_count(); ++c) row.push_back(chunk->Text(c, r));
      lines += CsvLine(row);
      if (printer) printer->Add(row);
      ++rows;
    }
    if (saved) saved->Append(lines);
  }
  if (printer) printer->End(rows);
  out.flush();
  if (file.is_open() && !file) throw Error(ErrorCode::kIo, "cannot write the result", flags.output);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!saved) {
    fmt::print(stderr, "query {}: {} rows in {:.3f}s; not saved: the lake is read-only\n", id, rows,
               seconds);
    return;
  }
  saved->Publish();

  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (size_t c = 0; c < result->column_count(); ++c) {
    columns.push_back({{"name", result->column_name(c)}, {"type", result->column_type_name(c)}});
  }
  nlohmann::ordered_json read = nlohmann::ordered_json::array();
  for (const auto& t : tables) {
    read.push_back(
        {{"table", t.name},
         {"snapshot_id", t.snapshot_id ? nlohmann::ordered_json(t.snapshot_id) : nullptr},
         {"rows", t.rows},
         {"bytes", t.bytes}});
  }
  nlohmann::ordered_json record = {
      {"query_id", id},
      {"sql", sql},
      {"started_at", started_at},
      {"duration_seconds", seconds},
      {"rows", rows},
      {"columns", columns},
      {"as_of",
       flags.as_of.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(flags.as_of)},
      {"tables", read},
      {"result", csv_key}};
  lake.WriteAll("results/" + id + ".json", record.dump(1) + "\n");
  fmt::print(stderr, "query {}: {} rows in {:.3f}s; result {}\n", id, rows, seconds, csv_key);
}

}  // namespace

void AddQueryCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<QueryFlags>();
  auto* verb = app.add_subcommand("query", "Run SQL over the catalog's tables");
  verb->footer(
      "Each catalog table is the view <database>.<table> over its current snapshot, beside\n"
      "the views of shoplake views apply, e.g.\n"
      "  shoplake query \"SELECT count(*) FROM shop.order_lines\"\n"
      "  shoplake query \"SELECT * FROM shop.top10_customers\"\n"
      "  shoplake query --as-of 2026-11-27T05:00:00Z \"SELECT count(*) FROM shop.order_lines\"\n"
      "Queries are read-only: one SELECT at a time, reading nothing outside the lake.\n"
      "Every result is also saved as results/<query id>.csv in the lake, with a .json beside\n"
      "it (the SQL, duration, rows, tables and snapshots read). Guide: docs/query.md");
  verb->add_option("SQL", flags->sql, "One SQL statement");
  verb->add_option("-f,--file", flags->file, "Read the SQL from FILE")->type_name("FILE");
  verb->add_option("--format", flags->format, "table (aligned, the default), csv, json, parquet")
      ->check(CLI::IsMember({"table", "csv", "json", "parquet"}))
      ->default_str("table");
  verb->add_flag_callback(
      "--json", [flags] { flags->format = "json"; }, "Same as --format json");
  verb->add_option("-o,--output", flags->output, "Write the result to FILE, not stdout")
      ->type_name("FILE");
  verb->add_option("--as-of", flags->as_of,
                   "Read each table as it was at snapshot ID, or at TIME (ISO 8601, UTC)")
      ->type_name("ID|TIME");
  verb->add_option("--query-timeout", flags->timeout_s,
                   "Seconds the query may run before it is stopped; 0: no limit [default: "
                   "shoplake.yaml's query.timeout_seconds, else none]")
      ->type_name("SECONDS");
  verb->callback([&context, flags] { RunQuery(context, *flags); });
}

}  // namespace shoplake::cli
