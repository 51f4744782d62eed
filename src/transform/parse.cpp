// The parse of a transform run (see parse.h).
#include "transform/parse.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "db/exact_decimal.h"
#include "transform/raw_lines.h"
#include "transform/rules.h"

namespace shoplake::transform {
namespace {

using db::QuoteIdentifier;
using db::QuoteLiteral;

// How the work file is compressed: not at all. It is written once and read a few times
// within the run, from the page cache; compressing it costs more CPU than it saves.
constexpr const char* kWorkCompression = "uncompressed";

std::string CharLiteral(char c) { return QuoteLiteral(std::string(1, c)); }

// True when the parse reads column `c` (read as text: not `by_reader`) through
// ExactDecimalFunction first: a decimal of a source, in an int64. Almost every value is then
// proved exact in one pass, and only the others are cast and have their decimals counted
// the slow way (see CopySql).
bool ReadsExactFirst(const ColumnSpec& c, bool by_reader) {
  return !by_reader && c.type == ColumnType::kDecimal && c.expr.empty() &&
         c.precision <= db::kExactDecimalMaxPrecision;
}

uint64_t ToU64(const std::optional<std::string>& text) { return text ? std::stoull(*text) : 0; }

// "TOO MANY COLUMNS" -> "csv:too_many_columns".
std::string CsvRule(std::string type) {
  for (auto& ch : type)
    ch = ch == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "csv:" + type;
}

// True when DuckDB writes the rows of `copy` (a COPY statement) in the order its query
// yields them: a BATCH_COPY_TO_FILE plan. The line numbers rest on it.
bool KeepsOrder(db::Connection& conn, const std::string& copy) {
  for (const auto& r : conn.Query("EXPLAIN " + copy).Rows()) {
    for (const auto& cell : r) {
      if (cell && cell->find("BATCH_COPY_TO_FILE") != std::string::npos) return true;
    }
  }
  return false;
}

// One error the reader found in a record.
struct CsvError {
  uint64_t byte = 0;   // where DuckDB places the record (on its first line)
  std::string column;  // the source column; empty for whole-record errors
  std::string type;    // DuckDB's error type: CAST, TOO MANY COLUMNS, ...
  std::string message;
  uint64_t line_breaks = 0;  // in the record: the physical lines it spans, less one
  // The reject's raw_line when it is not the record's lines read from the file: a record
  // that runs to the file's end (its first MiB). Empty otherwise: DuckDB's own text of a
  // record (csv_line) writes "?" for bytes that do not decode, and is UTF-8 whatever the
  // file's encoding.
  std::string raw_line;
};

// The records the reader refused (a record may carry several errors), as its rejects table
// `table` (and `table`_scans) has them: by file and record (1-based).
std::map<std::string, std::map<uint64_t, std::vector<CsvError>>> RefusedByReader(
    db::Connection& conn, const std::string& table, bool header) {
  std::map<std::string, std::map<uint64_t, std::vector<CsvError>>> errors;
  for (const auto& r :
       conn.Query("SELECT s.file_path, e.line, e.line_byte_position, e.column_name,"
                  " CAST(e.error_type AS VARCHAR), e.error_message, e.csv_line FROM " +
                  table + " e JOIN " + table + "_scans s USING (scan_id, file_id)")
           .Rows()) {
    uint64_t line = ToU64(r[1]), byte = ToU64(r[2]);
    std::string raw = r[6].value_or("");
    // In a CRLF file DuckDB (1.4) starts every refused record's text and byte position at
    // the "\n" of the "\r\n" before it (in an LF file, at the record itself). A record starts
    // with no line break, so that one is not the record's: counted, it made each refused
    // record two lines, and the lines after it drift.
    size_t lead = std::min(raw.find_first_not_of("\r\n"), raw.size());
    raw.erase(0, lead);
    byte += lead;
    errors[r[0].value_or("")][header ? line - 1 : line].push_back(
        {byte, r[3].value_or(""), r[4].value_or(""), r[5].value_or(""), CountNewlines(raw), ""});
  }
  return errors;
}

// RefusedByReader over each of `tables` (the rejects tables of the reads of one statement).
std::map<std::string, std::map<uint64_t, std::vector<CsvError>>> RefusedByReaders(
    db::Connection& conn, const std::vector<std::string>& tables, bool header) {
  std::map<std::string, std::map<uint64_t, std::vector<CsvError>>> errors;
  for (const auto& table : tables) errors.merge(RefusedByReader(conn, table, header));
  return errors;
}

// The records the reader refused, by record (1-based), with the extra lines each spans.
std::map<uint64_t, uint64_t> RefusedRecords(
    const std::map<uint64_t, std::vector<CsvError>>& errors) {
  std::map<uint64_t, uint64_t> refused;
  for (const auto& [record, record_errors] : errors) {
    for (const auto& e : record_errors) refused[record] = std::max(refused[record], e.line_breaks);
  }
  return refused;
}

// The most of a record running to the file's end that its reject keeps.
constexpr size_t kMostRejectText = 1 << 20;

// A file whose last record opens a quote that never closes: DuckDB's reader (1.4) refuses
// that record when the scan of the file's last piece is a bounded one (a parallel read of
// that file), and drops it without a word otherwise (a serial read, and often a parallel
// one over several files). Either way, that record is refused here, alike: `errors` of the file
// (by record) take it, in place of what the reader said of it, when the reader refused it
// or when it is the one record the reader's `rows_read` (rows and refused) lack. True when
// `errors` changed; a record lost elsewhere is left to CheckEveryRecordRead.
bool RefuseUnclosedLastRecord(const InputFile& file, const CsvDialect& csv, const LineScan& scan,
                              uint64_t rows_read,
                              std::map<uint64_t, std::vector<CsvError>>& errors) {
  uint64_t header = csv.header ? 1 : 0;
  if (!scan.ends_inside_quote || scan.records <= header) return false;
  // Its index among the records, and as DuckDB numbers it (blank lines count: LineMap).
  uint64_t records = scan.records - header;
  uint64_t last = LineMap(csv.header, {}, {}, scan.blank_lines).RecordOfGood(records);
  bool refused = errors.count(last) > 0;
  bool lost =
      !refused && rows_read + 1 == records && (errors.empty() || errors.rbegin()->first < last);
  if (!refused && !lost) return false;
  spdlog::debug("{}: the last record opens a quote that never closes; the reader {} it",
                file.raw_key, refused ? "refused" : "dropped");
  FileEnd end = ReadToEnd(file.path, scan.last_record_offset, kMostRejectText);
  std::string message = "unterminated quote: the record runs to the end of the file";
  if (!end.whole) {
    message += fmt::format(" ({} bytes; the first {} are kept)", end.size, end.text.size());
  }
  errors[last] = {CsvError{scan.last_record_offset, "", "UNQUOTED VALUE", message, end.line_breaks,
                           RawTextAsUtf8(end.text, csv.encoding)}};
  return true;
}

// The mapping's column read from the CSV column `source`; null when none is.
const ColumnSpec* ColumnOfSource(const Mapping& mapping, const std::string& source) {
  for (const auto& c : mapping.columns) {
    if (c.source == source) return &c;
  }
  return nullptr;
}

// The target column a reject of the reader's error `e` names: an error in one value (a cast,
// bytes that are not text) names its column; a structural one (too many or missing columns,
// a broken quote, an overlong line) names none, wherever DuckDB noticed it.
std::string CsvErrorColumn(const Mapping& mapping, const CsvError& e) {
  if (e.type != "CAST" && e.type != "INVALID ENCODING") return "";
  const ColumnSpec* c = ColumnOfSource(mapping, e.column);
  return c ? c->name : "";
}

// True when every error the reader found in a record lies on `first_line`, the line worked
// out for it (its byte positions are of the file it read: the raw file, or its UTF-8 copy);
// warns of each that does not.
bool OnItsLine(const InputFile& file, const std::vector<CsvError>& errors, uint64_t line,
               const RawLine& first_line) {
  bool on_it = true;
  for (const auto& e : errors) {
    if (e.byte < first_line.offset || e.byte > first_line.offset + first_line.text.size() + 1) {
      spdlog::warn("{}: the reader's error at byte {} is not on line {}", file.raw_key, e.byte,
                   line);
      on_it = false;
    }
  }
  return on_it;
}

// The first byte of lines [line, end_line] of `file` that does not decode in its encoding:
// as the transcoding found it (a UTF-8 copy), or the first that is no UTF-8 in the raw lines
// (a UTF-8 file, read as it is). A copy's line past the lines the transcoding kept is left
// to the reader's own error.
std::optional<UndecodableByte> FirstUndecodable(const InputFile& file,
                                                const std::map<uint64_t, RawLine>& raw_lines,
                                                uint64_t line, uint64_t end_line) {
  for (uint64_t l = line; l <= end_line; ++l) {
    if (!file.raw_path.empty()) {
      auto it = file.undecodable.find(l);
      if (it != file.undecodable.end()) return it->second;
      continue;
    }
    auto it = raw_lines.find(l);
    if (it == raw_lines.end()) continue;
    if (auto at = FirstInvalidUtf8(it->second.text)) {
      return UndecodableByte{it->second.offset + *at,
                             static_cast<unsigned char>(it->second.text[*at])};
    }
  }
  return std::nullopt;
}

// The reject of a record holding `bad`, a byte that does not decode: rule `encoding`, on the
// column the reader names for it (none when it named none).
Reject UndecodableReject(const Mapping& mapping, const InputFile& file, uint64_t line,
                         uint64_t end_line, const UndecodableByte& bad,
                         const std::vector<CsvError>& errors, std::string raw_line) {
  std::string column;
  for (const auto& e : errors) {
    if (e.type == "INVALID ENCODING") column = CsvErrorColumn(mapping, e);
  }
  return {file.raw_key,
          line,
          end_line,
          column,
          "encoding",
          fmt::format("byte 0x{:02X} at byte {} of the file does not decode as {}", bad.value,
                      bad.byte, mapping.csv.encoding),
          "",
          std::move(raw_line)};
}

// One rule a parsed row breaks.
struct RuleViolation {
  std::string column, rule, message, value;
};

}  // namespace

std::string RoundedColumn(const ColumnSpec& c) { return "__rounded_" + c.name; }

std::string UnmappedColumn(size_t i) { return "__unmapped_" + std::to_string(i + 1); }

void Parse::CheckEveryRecordRead(const InputFile& file, uint64_t file_records,
                                 uint64_t rows_read) const {
  uint64_t records = mapping_.csv.header && file_records > 0 ? file_records - 1 : file_records;
  if (records == rows_read) return;
  throw Error(ErrorCode::kData,
              fmt::format("the CSV reader gave {} records (rows and rejects) where the file holds "
                          "{}: {} would go unaccounted for (a record longer than DuckDB's "
                          "largest line, tens of MB, is one way to lose it)",
                          rows_read, records,
                          records > rows_read ? records - rows_read : rows_read - records),
              file.raw_key,
              "nothing was published; fix or re-export the file, or set it aside with "
              "'shoplake ledger quarantine " +
                  file.raw_key + "' and run again");
}

void InsertRows(db::Connection& conn, const std::string& table, size_t width,
                const std::vector<db::Parameter>& values) {
  constexpr size_t kRowsPerStatement = 256;
  auto statement = [&](size_t rows) {
    std::string sql = "INSERT INTO " + table + " VALUES ";
    for (size_t r = 0, n = 1; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (size_t c = 0; c < width; ++c, ++n) sql += (c ? ", $" : "$") + std::to_string(n);
      sql += ")";
    }
    return conn.Prepare(sql);
  };
  size_t rows = values.size() / width;
  std::optional<db::PreparedStatement> full;
  conn.Execute("BEGIN");
  for (size_t done = 0; done < rows;) {
    size_t n = std::min(kRowsPerStatement, rows - done);
    auto first = values.begin() + static_cast<std::ptrdiff_t>(done * width);
    std::vector<db::Parameter> batch(first, first + static_cast<std::ptrdiff_t>(n * width));
    if (n == kRowsPerStatement) {
      if (!full) full.emplace(statement(n));
      full->Execute(batch);
    } else {
      statement(n).Execute(batch);
    }
    done += n;
  }
  conn.Execute("COMMIT");
}

// A refused record read back from its raw text: a row a rule refused (a violator), or a
// record the reader refused for a cast error alone.
struct Parse::RereadRecord {
  const InputFile* file = nullptr;
  uint64_t line = 0, end_line = 0;
  uint64_t rid = 0;  // violators: the row's place in the parse
  bool violator = false;
  std::string text;                       // the raw record
  std::vector<CsvError> cast_errors;      // records refused for a cast
  std::vector<RuleViolation> violations;  // violators: what the parse found
};

Parse::Parse(const Mapping& mapping, std::vector<InputFile> files,
             std::map<std::string, std::string> reference_tables, std::string work_folder,
             int64_t csv_buffer_size)
    : mapping_(mapping),
      read_csv_(mapping.csv),
      files_(std::move(files)),
      reference_tables_(std::move(reference_tables)),
      work_folder_(std::move(work_folder)),
      parsed_path_(work_folder_ + "/parsed.parquet"),
      csv_buffer_size_(csv_buffer_size) {
  read_csv_.encoding = "utf-8";
  // Files whose headers put the sources in the same places are read by one read_csv.
  for (size_t i = 0; i < files_.size(); ++i) {
    auto same = std::find_if(groups_.begin(), groups_.end(), [&](const std::vector<size_t>& g) {
      return ReadNamesOf(files_[g.front()]) == ReadNamesOf(files_[i]);
    });
    if (same == groups_.end()) {
      groups_.push_back({i});
    } else {
      same->push_back(i);
    }
  }
  for (const auto& f : files_) {
    for (size_t i = 0; i < f.columns.size(); ++i) {
      unread_columns_ = unread_columns_ || f.columns[i] == UnmappedColumn(i);
    }
  }
  // The reader casts a column itself unless it cannot as the mapping says: a timestamp
  // (date) whose format is not the one read_csv takes for all of them (the first formatted
  // one's), or a source two columns share. Those are read as text and cast in SQL, where a
  // failed cast is a rule of its own ("type"). So is a decimal: the reader's cast rounds
  // 1.255 to 1.26 without a word, where the text tells a value with more decimals than the
  // scale ("scale", or rounded and counted with `round: true`).
  std::map<std::string, int> uses;
  for (const auto& c : mapping_.columns) ++uses[c.source];
  bool timestamp_chosen = false, date_chosen = false;
  for (const auto& c : mapping_.columns) {
    if (c.format.empty()) continue;
    if (c.type == ColumnType::kTimestamp && !timestamp_chosen) {
      timestamp_format_ = c.format;
      timestamp_chosen = true;
    } else if (c.type == ColumnType::kDate && !date_chosen) {
      date_format_ = c.format;
      date_chosen = true;
    }
  }
  for (const auto& c : mapping_.columns) {
    bool reader = uses[c.source] == 1 && c.type != ColumnType::kDecimal && c.expr.empty();
    if (c.type == ColumnType::kTimestamp) reader = reader && c.format == timestamp_format_;
    if (c.type == ColumnType::kDate) reader = reader && c.format == date_format_;
    by_reader_.push_back(reader);
    reader_types_.push_back(reader ? SqlType(c) : "VARCHAR");
    typed_columns_.push_back((reader ? QuoteIdentifier(c.source) : CastExpr(c)) + " AS " +
                             QuoteIdentifier(c.name));
  }

  // The refused rows: those breaking a rule, and those naming an unknown key, with only the
  // columns that say which and why (every column of every row would cost more to read).
  std::vector<std::string> reference_columns, reference_fails;
  for (const auto& c : mapping_.columns) {
    if (!c.references) continue;
    reference_columns.push_back(QuoteIdentifier(c.name));
    reference_fails.push_back(QuoteIdentifier(c.name) + " NOT IN (SELECT k FROM " +
                              reference_tables_.at(c.name) + ")");
  }
  refused_sql_ =
      "CREATE OR REPLACE TEMP TABLE refused AS SELECT __file_index, __rid, __violations, __hash";
  for (const auto& c : reference_columns) refused_sql_ += ", " + c;
  refused_sql_ += " FROM parsed WHERE NOT __ok";
  for (const auto& f : reference_fails) refused_sql_ += " OR " + f;

  // What each refused row breaks, in the order of the mapping's rules, references last.
  violations_sql_ =
      "SELECT __file_index, __rid, i, v.\"column\", v.rule, v.message, v.value FROM (SELECT "
      "__file_index, __rid, generate_subscripts(__violations, 1) AS i, unnest(__violations) AS v "
      "FROM refused)";
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    const ColumnSpec& c = mapping_.columns[i];
    if (!c.references) continue;
    std::string name = QuoteIdentifier(c.name);
    violations_sql_ += " UNION ALL SELECT __file_index, __rid, " + std::to_string(1000000 + i) +
                       ", " + QuoteLiteral(c.name) + ", 'references', " +
                       QuoteLiteral(ReferenceMessage(c)) + ", CAST(" + name +
                       " AS VARCHAR) FROM refused WHERE " + name + " NOT IN (SELECT k FROM " +
                       reference_tables_.at(c.name) + ")";
  }
  violations_sql_ += " ORDER BY __file_index, __rid, i";
}

size_t Parse::GroupOf(std::ptrdiff_t file) const {
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (std::find(groups_[g].begin(), groups_[g].end(), static_cast<size_t>(file)) !=
        groups_[g].end())
      return g;
  }
  throw Error(ErrorCode::kInternal, "file " + std::to_string(file) + " is in no read");
}

std::vector<std::string> Parse::ReadNamesOf(const InputFile& file) const {
  if (!file.columns.empty()) return file.columns;
  std::vector<std::string> names;
  for (const ColumnSpec* c : ReadColumns(mapping_)) names.push_back(c->source);
  return names;
}

std::string Parse::ReadCsv(const std::string& from, const std::vector<std::string>& names,
                           const std::vector<std::string>& types, bool parallel,
                           const std::string& rejects) const {
  // A column the mapping does not read is read as text and left out of every select: the
  // reader still splits the record at it, but keeps nothing of it.
  std::vector<std::string> columns, nulls;
  for (const auto& name : names) {
    std::string type = "VARCHAR";
    for (size_t i = 0; i < mapping_.columns.size(); ++i) {
      if (mapping_.columns[i].source == name) type = types[i];
    }
    columns.push_back(QuoteLiteral(name) + ": " + QuoteLiteral(type));
  }
  for (const auto& n : mapping_.csv.null_strings) nulls.push_back(QuoteLiteral(n));
  std::string sql = "read_csv(" + from + ", columns = {" + Join(columns, ", ") +
                    "}, header = " + (mapping_.csv.header ? "true" : "false") +
                    ", delim = " + CharLiteral(mapping_.csv.delimiter) +
                    ", quote = " + CharLiteral(mapping_.csv.quote) +
                    ", escape = " + CharLiteral(mapping_.csv.escape) + ", nullstr = [" +
                    Join(nulls, ", ") + "], encoding = " + QuoteLiteral(read_csv_.encoding);
  if (!timestamp_format_.empty()) sql += ", timestampformat = " + QuoteLiteral(timestamp_format_);
  if (!date_format_.empty()) sql += ", dateformat = " + QuoteLiteral(date_format_);
  if (csv_buffer_size_ > 0) sql += ", buffer_size = " + std::to_string(csv_buffer_size_);
  return sql +
         ", auto_detect = false, strict_mode = true, null_padding = false,"
         " hive_partitioning = false, parallel = " +
         (parallel ? "true" : "false") +
         ", store_rejects = true, rejects_table = " + QuoteLiteral(rejects) +
         ", rejects_scan = " + QuoteLiteral(rejects + "_scans") + ")";
}

std::string Parse::CopySql(bool parallel, const std::string& rejects) const {
  // A column cast in SQL is cast once, beside the read (its cast named "__cast_<name>"), and
  // its rules, its value and the hash take that cast: a cast written in each would run each.
  // A derived column is cast a layer above the read columns' casts, which its expression
  // takes.
  // A decimal read exactly first (ReadsExactFirst, named "__exact_<name>", a layer below the
  // casts) is cast only where that is NULL; its scale rule tests only those values.
  std::vector<std::string> exacts, casts, derived_casts, typed, typed_columns;
  std::vector<ColumnExprs> exprs;
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    const ColumnSpec& c = mapping_.columns[i];
    exprs.push_back(ParseExprs(c, by_reader_[i]));
    std::string cast = CastExpr(c);
    if (ReadsExactFirst(c, by_reader_[i])) {
      exprs.back().exact = QuoteIdentifier("__exact_" + c.name);
      exacts.push_back(", " + db::ExactDecimalFunction(c.precision, c.scale) + "(" +
                       exprs.back().source + ") AS " + exprs.back().exact);
      cast = "coalesce(" + exprs.back().exact + ", " + cast + ")";
    }
    if (!by_reader_[i]) {
      exprs.back().typed = QuoteIdentifier("__cast_" + c.name);
      (c.expr.empty() ? casts : derived_casts).push_back(", " + cast + " AS " + exprs.back().typed);
    }
    typed.push_back(exprs.back().typed);
    typed_columns.push_back(typed.back() + " AS " + QuoteIdentifier(c.name));
  }
  std::vector<Check> checks = Checks(
      mapping_, [&](size_t i) { return exprs[i]; }, reference_tables_, false);
  // A column that rounds says, per row, whether it rounded: the run counts them (RoundedColumn).
  std::string rounded;
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    const ColumnSpec& c = mapping_.columns[i];
    if (c.round) {
      rounded += ", " + ExtraDecimalsExpr(c, exprs[i]) + " AS " + QuoteIdentifier(RoundedColumn(c));
    }
  }
  // Only a refused row keeps what it breaks, and a hash of its typed values to recognize it
  // by when its line is read back.
  // A row's file is its index in the run's list (DuckDB's file_index): a path on every row
  // costs a tenth of the parse.
  // A line break inside quotes in a column the mapping does not read is in no value kept:
  // counted per row, for the lines (MultiLineRows).
  std::string unread = unread_columns_ ? ", __unread_breaks" : "";
  std::string read = Read(parallel, rejects);
  if (!exacts.empty()) read = "(SELECT *" + Join(exacts, "") + " FROM " + read + ")";
  read = "(SELECT *" + Join(casts, "") + " FROM " + read + ")";
  if (!derived_casts.empty()) {
    read = "(SELECT *" + Join(derived_casts, "") + " FROM " +
           WithDerived(read, [&](size_t i) { return exprs[i].typed; }) + ")";
  }
  return "COPY (SELECT __file_index, " + Join(typed_columns, ", ") + rounded + unread +
         ", __ok, CASE WHEN __ok THEN NULL ELSE " + ViolationsExpr(checks) +
         " END AS __violations, CASE WHEN __ok THEN NULL ELSE hash(" + Join(typed, ", ") +
         ") END AS __hash FROM (SELECT *, " + OkExpr(checks) + " AS __ok FROM " + read + ")) TO " +
         QuoteLiteral(parsed_path_) + " (FORMAT parquet, COMPRESSION " + kWorkCompression + ")";
}

std::string Parse::WithDerived(const std::string& relation,
                               const std::function<std::string(size_t)>& typed) const {
  std::vector<std::string> arguments, values;
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    if (mapping_.columns[i].expr.empty()) arguments.push_back(typed(i));
  }
  for (const auto& c : mapping_.columns) {
    if (c.expr.empty()) continue;
    values.push_back(", CAST(" + DerivedMacro(c) + "(" + Join(arguments, ", ") +
                     ") AS VARCHAR) AS " + QuoteIdentifier(c.source));
  }
  if (values.empty()) return relation;
  return "(SELECT *" + Join(values, "") + " FROM " + relation + ")";
}

std::vector<std::string> Parse::DerivedMacros() const {
  std::vector<std::string> macros;
  for (const auto& c : mapping_.columns) {
    if (!c.expr.empty()) macros.push_back(DerivedMacroSql(mapping_, c));
  }
  return macros;
}

std::string Parse::GroupRejects(const std::string& rejects, size_t group) const {
  return groups_.size() == 1 ? rejects : rejects + "_" + std::to_string(group + 1);
}

std::string Parse::Read(bool parallel, const std::string& rejects) const {
  std::vector<std::string> reads;
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<std::string> paths, indexes;
    for (size_t i : groups_[g]) {
      paths.push_back(QuoteLiteral(files_[i].path));
      indexes.push_back(std::to_string(i));
    }
    const std::vector<std::string> names = ReadNamesOf(files_[groups_[g][0]]);
    std::string read = ReadCsv("[" + Join(paths, ", ") + "]", names, reader_types_, parallel,
                               GroupRejects(rejects, g));
    std::vector<std::string> breaks;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != UnmappedColumn(i)) continue;
      std::string u = QuoteIdentifier(names[i]);
      breaks.push_back("coalesce(length(" + u + ") - length(replace(" + u + ", chr(10), '')), 0)");
    }
    if (breaks.empty()) breaks.push_back("0");
    std::string unread =
        unread_columns_ ? ", CAST(" + Join(breaks, " + ") + " AS BIGINT) AS __unread_breaks" : "";
    if (groups_.size() == 1) {
      return "(SELECT *, file_index AS __file_index" + unread + " FROM " + read + ")";
    }
    // Files with other headers are other reads, one after the other; a row's file is still its
    // index in the run's list.
    std::vector<std::string> sources;
    for (const ColumnSpec* c : ReadColumns(mapping_)) sources.push_back(QuoteIdentifier(c->source));
    reads.push_back("SELECT " + Join(sources, ", ") + ", CAST([" + Join(indexes, ", ") +
                    "][CAST(file_index AS BIGINT) + 1] AS UBIGINT) AS __file_index" + unread +
                    " FROM " + read);
  }
  return "(" + Join(reads, " UNION ALL ") + ")";
}

std::vector<std::string> Parse::Plan() const {
  std::vector<std::string> plan = DerivedMacros();
  plan.push_back(CopySql(true, "csv_errors"));
  plan.push_back(refused_sql_);
  return plan;
}

std::map<std::string, ParsedFile> Parse::Run(db::Connection& conn, int threads,
                                             std::vector<Reject>& rejects,
                                             const std::function<void(const char*)>& step) {
  std::map<std::string, ParsedFile> files;
  size_t first_reject = rejects.size();
  lines_confirmed_ = RunOnce(conn, threads, true, files, rejects, step);
  if (lines_confirmed_) return files;
  spdlog::warn(
      "transform {}: not every line of the parallel parse could be confirmed; "
      "parsing again with one thread per file",
      mapping_.dataset);
  files.clear();
  rejects.resize(first_reject);
  lines_confirmed_ = RunOnce(conn, threads, false, files, rejects, step);
  if (!lines_confirmed_) {
    spdlog::warn("transform {}: reject line numbers may be off", mapping_.dataset);
  }
  return files;
}

const std::string& Parse::PathOf(const std::optional<std::string>& file_index) const {
  uint64_t i = ToU64(file_index);
  if (i >= files_.size()) {
    throw Error(ErrorCode::kInternal, "a parsed row names file " + std::to_string(i) + " of " +
                                          std::to_string(files_.size()));
  }
  return files_[i].path;
}

std::map<std::string, std::pair<uint64_t, uint64_t>> Parse::GoodRanges(db::Connection& conn) const {
  // Rows of one file are contiguous, and the files come in order.
  std::map<std::string, std::pair<uint64_t, uint64_t>> good_range;
  uint64_t next_first = 0;
  for (const auto& r : conn.Query("SELECT __file_index, min(__rid), count(*), max(__rid) FROM"
                                  " parsed GROUP BY ALL ORDER BY 2")
                           .Rows()) {
    const std::string& path = PathOf(r[0]);
    uint64_t first = ToU64(r[1]), count = ToU64(r[2]), last = ToU64(r[3]);
    if (first != next_first || last - first + 1 != count) {
      throw Error(ErrorCode::kInternal, "rows of one file are not contiguous", path);
    }
    next_first = last + 1;
    good_range[path] = {first, count};
  }
  return good_range;
}

std::map<uint64_t, uint64_t> Parse::MultiLineRows(db::Connection& conn, size_t file_index,
                                                  uint64_t first_rid) const {
  // A line break in a varchar column is in its value. A column read as text and cast in SQL
  // (a decimal, a formatted timestamp) keeps no text, but a value holding a line break does
  // not cast: its row was refused, and the refusal keeps the text.
  std::vector<std::string> concat, cast_in_sql;
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    const ColumnSpec& c = mapping_.columns[i];
    if (!c.expr.empty()) continue;  // a value of the row's, not of its text
    if (c.type == ColumnType::kVarchar) {
      concat.push_back("coalesce(" + QuoteIdentifier(c.name) + ", '')");
    } else if (!by_reader_[i]) {
      cast_in_sql.push_back(QuoteLiteral(c.name));
    }
  }
  if (concat.empty()) concat.push_back("''");
  const std::string file = std::to_string(file_index);
  std::string texts = "SELECT __rid, concat(" + Join(concat, ", ") +
                      ") AS s FROM parsed WHERE __file_index = " + file;
  if (!cast_in_sql.empty()) {
    // Each column's value once, though it may break several rules.
    texts +=
        " UNION ALL SELECT __rid, s FROM (SELECT DISTINCT __rid, v.\"column\", v.value AS s"
        " FROM (SELECT __rid, unnest(__violations) AS v FROM parsed WHERE __file_index = " +
        file + " AND NOT __ok) WHERE v.\"column\" IN (" + Join(cast_in_sql, ", ") + "))";
  }
  if (unread_columns_) {
    texts +=
        " UNION ALL SELECT __rid, repeat(chr(10), __unread_breaks) FROM parsed WHERE "
        "__file_index = " +
        file + " AND __unread_breaks > 0";
  }
  std::map<uint64_t, uint64_t> multi;
  for (const auto& r :
       conn.Query("SELECT __rid, sum(length(s) - length(replace(s, chr(10), ''))) FROM (" + texts +
                  ") WHERE s LIKE '%' || chr(10) || '%' GROUP BY __rid")
           .Rows()) {
    multi[ToU64(r[0]) - first_rid + 1] = ToU64(r[1]);
  }
  return multi;
}

void Parse::WriteParsed(db::Connection& conn, int threads, const std::string& copy) const {
  for (const auto& macro : DerivedMacros()) conn.Execute(macro);
  // Once per type: each registration first asks DuckDB whether it has the function, a
  // look through all its functions (~15 ms).
  std::set<std::pair<int, int>> exact_types;
  for (size_t i = 0; i < mapping_.columns.size(); ++i) {
    const ColumnSpec& c = mapping_.columns[i];
    if (ReadsExactFirst(c, by_reader_[i]) && exact_types.insert({c.precision, c.scale}).second) {
      db::RegisterExactDecimal(conn, c.precision, c.scale);
    }
  }
  if (KeepsOrder(conn, copy)) {
    conn.Execute(copy);
  } else {
    // Not a plan that keeps the rows' order (a DuckDB that plans differently): one thread
    // keeps it.
    spdlog::warn("transform {}: DuckDB would not keep the rows' order; parsing on one thread",
                 mapping_.dataset);
    conn.Execute("SET threads = 1");
    conn.Execute(copy);
    conn.Execute("SET threads = " + std::to_string(threads));
  }
  conn.Execute(
      "CREATE OR REPLACE TEMP VIEW parsed AS SELECT * EXCLUDE (file_row_number),"
      " file_row_number AS __rid FROM read_parquet(" +
      QuoteLiteral(parsed_path_) + ", file_row_number = true)");
}

std::vector<std::string> Parse::RejectsTables(const std::string& rejects) const {
  std::vector<std::string> tables;
  for (size_t g = 0; g < groups_.size(); ++g) tables.push_back(GroupRejects(rejects, g));
  return tables;
}

bool Parse::RereadByRead(db::Connection& conn, std::vector<RereadRecord> reread,
                         std::map<size_t, std::string>& header_lines,
                         const std::string& errors_table, std::vector<Reject>& rejects) const {
  // The records of one read share its header.
  bool placed = true;
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<RereadRecord> group;
    for (auto& r : reread) {
      if (GroupOf(r.file - files_.data()) == g) group.push_back(std::move(r));
    }
    if (!group.empty() && !Reread(conn, std::move(group), g, header_lines[g],
                                  GroupRejects(errors_table, g), rejects)) {
      placed = false;
    }
  }
  return placed;
}

bool Parse::RunOnce(db::Connection& conn, int threads, bool parallel,
                    std::map<std::string, ParsedFile>& counts, std::vector<Reject>& rejects,
                    const std::function<void(const char*)>& step) {
  std::string errors_table = parallel ? "csv_errors" : "csv_errors_serial";
  WriteParsed(conn, threads, CopySql(parallel, errors_table));
  step("parse");

  auto good_range = GoodRanges(conn);  // path -> (first, count)
  auto csv_errors = RefusedByReaders(conn, RejectsTables(errors_table), mapping_.csv.header);

  // Rows a rule or a reference refuses, and what they break, by file and place.
  conn.Execute(refused_sql_);
  std::map<std::string, std::map<uint64_t, std::vector<RuleViolation>>> violations;
  for (const auto& r : conn.Query(violations_sql_).Rows()) {
    violations[PathOf(r[0])][ToU64(r[1])].push_back(
        {r[3].value_or(""), r[4].value_or(""), r[5].value_or(""), r[6].value_or("")});
  }
  step("refused rows");

  // Per file: records to physical lines, checked against the file, and the refused records
  // that are read back.
  bool placed = true;
  std::vector<RereadRecord> reread;
  std::map<size_t, std::string> header_lines;  // by group
  for (const auto& f : files_) {
    auto& file_errors = csv_errors[f.path];
    const auto& file_violations = violations[f.path];
    std::map<uint64_t, uint64_t> rejected = RefusedRecords(file_errors);  // record -> extra lines
    // Plain variables, not a structured binding: the lambda below captures first_rid, which
    // clang (clang-tidy's parser) refuses for a binding before C++20's full support.
    const std::pair<uint64_t, uint64_t> range =
        good_range.count(f.path) ? good_range[f.path] : std::pair<uint64_t, uint64_t>{0, 0};
    const uint64_t first_rid = range.first, parsed = range.second;
    ParsedFile& counted = counts[f.path];
    counted = {parsed + rejected.size(),
               parsed,
               file_violations.size(),
               rejected.size() + file_violations.size(),
               0,
               0,
               {}};

    LineMap lines(mapping_.csv.header, rejected, {});
    // The refused records' lines, and the header. first_rid is captured by copy: clang 14
    // (which clang-tidy runs on) cannot capture a structured binding.
    auto wanted_lines = [&, first_rid = first_rid] {
      std::set<uint64_t> wanted;
      if (mapping_.csv.header) wanted.insert(1);
      for (const auto& [rid, v] : file_violations) {
        uint64_t record = lines.RecordOfGood(rid - first_rid + 1);
        uint64_t line = lines.LineOfRecord(record);
        for (uint64_t l = line; l <= line + lines.ExtraLines(record); ++l) wanted.insert(l);
      }
      for (const auto& [record, extra] : rejected) {
        uint64_t line = lines.LineOfRecord(record);
        for (uint64_t l = line; l <= line + extra; ++l) wanted.insert(l);
      }
      return wanted;
    };
    std::map<uint64_t, RawLine> raw_lines;
    LineScan scan = ScanLines(f.path, read_csv_, wanted_lines(), raw_lines);
    bool unclosed = RefuseUnclosedLastRecord(f, read_csv_, scan, counted.rows_read, file_errors);
    bool blanks = !scan.blank_lines.empty() && !(rejected.empty() && file_violations.empty());
    if (unclosed || blanks) {
      // The last record's lines are wanted too; blank lines shift the lines after them.
      rejected = RefusedRecords(file_errors);
      counted = {parsed + rejected.size(),
                 parsed,
                 file_violations.size(),
                 rejected.size() + file_violations.size(),
                 0,
                 0,
                 {}};
      lines = LineMap(mapping_.csv.header, rejected, {}, scan.blank_lines);
      raw_lines.clear();
      scan = ScanLines(f.path, read_csv_, wanted_lines(), raw_lines);
    }
    CheckEveryRecordRead(f, scan.records, counted.rows_read);
    if (rejected.empty() && file_violations.empty()) continue;  // no line to tell
    uint64_t physical = scan.lines;
    if (physical != lines.ExpectedLines(counted.rows_read)) {
      // Some parsed records hold line breaks inside quotes: count them in, then look again.
      lines = LineMap(mapping_.csv.header, rejected,
                      MultiLineRows(conn, static_cast<size_t>(&f - files_.data()), first_rid),
                      scan.blank_lines);
      raw_lines.clear();
      physical = ScanLines(f.path, read_csv_, wanted_lines(), raw_lines).lines;
      if (physical != lines.ExpectedLines(counted.rows_read)) {
        spdlog::warn("{}: {} lines but {} records", f.raw_key, physical, counted.rows_read);
        placed = false;
      }
    }
    if (mapping_.csv.header) header_lines.emplace(GroupOf(&f - files_.data()), raw_lines[1].text);
    const std::string line_break(LineBreak(read_csv_.encoding));
    // A record's bytes as the file has them (a CRLF inside quotes too: a value read back
    // must be the value parsed), but its last line break.
    auto record_text = [&](uint64_t line, uint64_t end_line) {
      std::string text;
      for (uint64_t l = line; l <= end_line; ++l)
        text += (l == line ? "" : raw_lines[l - 1].cr + line_break) + raw_lines[l].text;
      return text;
    };

    // Records the reader refused. Where DuckDB says it found each error must lie on the
    // line worked out for the record.
    for (const auto& [record, errors] : file_errors) {
      uint64_t line = lines.LineOfRecord(record);
      uint64_t end_line = line + lines.ExtraLines(record);
      placed = OnItsLine(f, errors, line, raw_lines[line]) && placed;
      if (auto bad = FirstUndecodable(f, raw_lines, line, end_line)) {
        // Bytes that do not decode: one reject, whatever else the reader said of the record.
        rejects.push_back(UndecodableReject(mapping_, f, line, end_line, *bad, errors,
                                            RawTextAsUtf8(record_text(line, end_line), "utf-8")));
        if (counted.rows_undecodable++ == 0) {
          counted.first_undecodable_line = line;
          counted.first_undecodable = *bad;
        }
        continue;
      }
      bool cast_only = std::all_of(errors.begin(), errors.end(),
                                   [](const CsvError& e) { return e.type == "CAST"; });
      if (cast_only) {
        // A cast error alone: the record is read back as text, where every rule is checked.
        reread.push_back(
            {&f, line, end_line, record, false, record_text(line, end_line), errors, {}});
        continue;
      }
      // The record as the file has it, as a record read back is.
      const std::string raw_line = RawTextAsUtf8(record_text(line, end_line), read_csv_.encoding);
      for (const auto& e : errors) {
        // A column-count, quoting or encoding error: the cast errors it causes say nothing.
        if (e.type == "CAST") continue;
        rejects.push_back({f.raw_key, line, end_line, CsvErrorColumn(mapping_, e), CsvRule(e.type),
                           e.message, "", e.raw_line.empty() ? raw_line : e.raw_line});
      }
    }
    // Rows a rule refused: read back to confirm their place and to take their values as text.
    for (const auto& [rid, v] : file_violations) {
      uint64_t record = lines.RecordOfGood(rid - first_rid + 1);
      uint64_t line = lines.LineOfRecord(record);
      uint64_t end_line = line + lines.ExtraLines(record);
      reread.push_back({&f, line, end_line, rid, true, record_text(line, end_line), {}, v});
    }
  }
  step("line numbers");
  if (!RereadByRead(conn, std::move(reread), header_lines, errors_table, rejects)) placed = false;
  step("refused rows read back");
  return placed;
}

// Parses the refused records again from their raw text, with the mapping's dialect:
//  - a violator must come back as the very row the parse refused (the hash of its typed
//    values; for a row refused by a reference alone, its reference columns), or the line
//    worked out for it is wrong;
//  - the values in the rejects are their text, as the file has them;
//  - a record refused for a cast has every rule checked on its text, as a row refused by a
//    rule has (a row breaking two rules appears twice).
bool Parse::Reread(db::Connection& conn, std::vector<RereadRecord> records, size_t group,
                   const std::string& header_line, const std::string& suffix,
                   std::vector<Reject>& rejects) const {
  std::stable_partition(records.begin(), records.end(),
                        [](const RereadRecord& r) { return r.violator; });
  size_t violators = static_cast<size_t>(std::count_if(
      records.begin(), records.end(), [](const RereadRecord& r) { return r.violator; }));
  std::string path = work_folder_ + "/reread.csv";
  // In UTF-8, as the raw lines are: the parse reads a file in another encoding from its copy.
  const std::string line_break(LineBreak(read_csv_.encoding));
  std::string csv = mapping_.csv.header ? header_line + line_break : "";
  for (const auto& r : records) csv += r.text + line_break;
  WriteFileAtomically(path, csv);

  const std::vector<std::string> names = ReadNamesOf(files_[groups_[group].front()]);
  bool placed = true;
  if (violators > 0) {
    std::vector<std::string> hash_typed, same_references;
    for (const auto& c : mapping_.columns) {
      std::string name = QuoteIdentifier(c.name);
      hash_typed.push_back("t." + name);
      if (c.references) same_references.push_back("t." + name + " IS NOT DISTINCT FROM r." + name);
    }
    if (same_references.empty()) same_references.push_back("false");
    conn.Execute(
        "CREATE OR REPLACE TEMP TABLE reread_place (i BIGINT, file_index BIGINT, rid BIGINT)");
    std::vector<db::Parameter> place;
    for (size_t i = 0; i < violators; ++i) {
      place.insert(place.end(),
                   {static_cast<int64_t>(i), static_cast<int64_t>(records[i].file - files_.data()),
                    static_cast<int64_t>(records[i].rid)});
    }
    InsertRows(conn, "reread_place", 3, place);
    conn.Execute("CREATE OR REPLACE TEMP TABLE reread_typed AS SELECT " +
                 Join(typed_columns_, ", ") + " FROM " +
                 WithDerived(ReadCsv(QuoteLiteral(path), names, reader_types_, false,
                                     "reread_typed_" + suffix),
                             [&](size_t i) {
                               const ColumnSpec& c = mapping_.columns[i];
                               return by_reader_[i] ? QuoteIdentifier(c.source) : CastExpr(c);
                             }));
    uint64_t same = ToU64(conn.QueryScalar(
        "SELECT count(*) FROM reread_place x JOIN reread_typed t ON t.rowid = x.i JOIN refused r"
        " ON r.__file_index = x.file_index AND r.__rid = x.rid"
        " WHERE CASE WHEN r.__hash IS NOT NULL THEN r.__hash = hash(" +
        Join(hash_typed, ", ") + ") ELSE " + Join(same_references, " AND ") + " END"));
    if (same != violators) {
      spdlog::warn("{} of {} refused rows are not on the line worked out for them",
                   violators - same, violators);
      placed = false;
    }
  }

  // Every record as text: the values, and the rules of the records refused for a cast.
  std::vector<std::vector<std::optional<std::string>>> text;
  std::map<size_t, std::vector<RuleViolation>> text_violations;  // by record
  try {
    conn.Execute("CREATE OR REPLACE TEMP TABLE reread_text AS SELECT * FROM " +
                 WithDerived(ReadCsv(QuoteLiteral(path), names,
                                     std::vector<std::string>(mapping_.columns.size(), "VARCHAR"),
                                     false, "reread_text_" + suffix),
                             [&](size_t i) { return CastExpr(mapping_.columns[i]); }));
    std::vector<std::string> sources;
    for (const auto& c : mapping_.columns) sources.push_back(QuoteIdentifier(c.source));
    text = conn.Query("SELECT " + Join(sources, ", ") + " FROM reread_text ORDER BY rowid").Rows();
    if (text.size() == records.size() && violators < records.size()) {
      std::vector<Check> checks = Checks(
          mapping_, [&](size_t i) { return TextExprs(mapping_.columns[i]); }, reference_tables_,
          true);
      for (const auto& r :
           conn.Query("SELECT rowid, i, v.\"column\", v.rule, v.message, v.value FROM (SELECT"
                      " rowid, generate_subscripts(l, 1) AS i, unnest(l) AS v FROM (SELECT "
                      "rowid, " +
                      ViolationsExpr(checks) + " AS l FROM reread_text WHERE rowid >= " +
                      std::to_string(violators) + ")) ORDER BY rowid, i")
               .Rows()) {
        text_violations[ToU64(r[0])].push_back(
            {r[2].value_or(""), r[3].value_or(""), r[4].value_or(""), r[5].value_or("")});
      }
    }
  } catch (const Error& e) {
    spdlog::warn("the refused records could not be read back as text: {}", e.what());
    text.clear();
  }
  if (text.size() != records.size()) {
    spdlog::warn("the refused records read back as {} rows, not {}: their values stay typed",
                 text.size(), records.size());
    text.clear();
  }
  auto text_of = [&](size_t record, const std::string& column) -> std::optional<std::string> {
    if (text.empty()) return std::nullopt;
    for (size_t i = 0; i < mapping_.columns.size(); ++i) {
      if (mapping_.columns[i].name == column) return text[record][i];
    }
    return std::nullopt;
  };

  for (size_t i = 0; i < records.size(); ++i) {
    const RereadRecord& r = records[i];
    std::vector<RuleViolation> found = r.violator ? r.violations : text_violations[i];
    // The reader's cast errors, where the text's own checks did not see them.
    for (const auto& e : r.cast_errors) {
      const ColumnSpec* c = ColumnOfSource(mapping_, e.column);
      std::string column = CsvErrorColumn(mapping_, e);
      bool seen = std::any_of(found.begin(), found.end(), [&](const RuleViolation& v) {
        return v.column == column && v.rule == "type";
      });
      if (!seen) found.push_back({column, "type", c ? TypeMessage(*c) : e.message, ""});
    }
    for (auto& v : found) {
      if (auto t = text_of(i, v.column)) v.value = *t;
      rejects.push_back({r.file->raw_key, r.line, r.end_line, v.column, v.rule, v.message, v.value,
                         RawTextAsUtf8(r.text, read_csv_.encoding)});
    }
  }
  return placed;
}

}  // namespace shoplake::transform
