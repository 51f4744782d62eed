#include "transform/draft.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "db/duckdb.h"
#include "transform/encoding.h"

namespace shoplake::transform {
namespace {

namespace fs = std::filesystem;

// How much of the first file the draft reads: enough for the sniffer and the checks,
// bounded whatever the export's size.
constexpr size_t kSampleBytes = 16 << 20;

// Date and timestamp spellings tried on text columns: ISO 8601 first (it needs no format),
// day-first after month-first: a column both read (every day and month up to 12) is
// ambiguous, and the draft says so.
constexpr const char* kDateFormats[] = {"%Y-%m-%d",       "%Y-%m-%d %H:%M:%S", "%m/%d/%Y",
                                        "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y",
                                        "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y",
                                        "%d.%m.%Y %H:%M", "%Y/%m/%d",          "%Y-%m-%d %H:%M"};

std::string Ident(const std::string& name) { return db::QuoteIdentifier(name); }

// The first kSampleBytes of `file`, cut after a newline; `whole` says whether that is all.
std::string ReadSample(const std::string& file, bool* whole) {
  std::string sample;
  *whole = true;
  ReadLinePieces(file, [&](std::string_view piece) {
    if (sample.size() + piece.size() > kSampleBytes && !sample.empty()) {
      *whole = false;
      return false;
    }
    sample += piece;
    return true;
  });
  return sample;
}

// The encoding the bytes are in: UTF-8 when they are (a BOM or not), else what they look like.
std::string DetectEncoding(std::string_view bytes, std::vector<std::string>& checks) {
  if (bytes.starts_with("\xEF\xBB\xBF")) return "utf-8";
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) return "utf-16";
  if (shoplake::IsUtf8(bytes)) return "utf-8";
  std::string looks = LooksLike(bytes);
  checks.push_back("the bytes are not UTF-8; they look like " + looks +
                   " (csv.encoding): check a few names with accents or curly quotes");
  return looks;
}

// "decimal(18,S)" for a number column whose values have at most S decimals (S from the
// text, so 0.1 stays exact), or "double" when they need more than 18 digits.
std::string NumberType(db::Connection& conn, const std::string& column) {
  std::string c = Ident(column);
  auto row = conn.Query("SELECT max(length(split_part(" + c + ", '.', 2))), max(length(" +
                        "split_part(ltrim(" + c + ", '-+'), '.', 1))), bool_or(" + c +
                        " ILIKE '%e%') FROM sample")
                 .Rows();
  int scale = std::stoi(row.at(0)[0].value_or("0"));
  int digits = std::stoi(row.at(0)[1].value_or("1"));
  if (row.at(0)[2].value_or("false") == "true" || scale + std::max(digits, 1) > 18) {
    return "double";
  }
  return fmt::format("decimal(18,{})", scale);
}

// The strptime format every non-empty value of a text column parses with, if any.
std::string DateFormat(db::Connection& conn, const std::string& column, std::string& type,
                       std::vector<std::string>& checks) {
  std::string c = Ident(column);
  std::vector<std::string> fits;
  for (const char* format : kDateFormats) {
    auto misses = conn.QueryScalar("SELECT count(*) FILTER (WHERE try_strptime(" + c + ", " +
                                   db::QuoteLiteral(format) + ") IS NULL) = 0 AND count(*) > 0" +
                                   " FROM sample WHERE " + c + " <> ''");
    if (misses == "true") fits.push_back(format);
  }
  if (fits.empty()) return "";
  std::string format = fits.front();
  if (format.starts_with("%m/%d") &&
      std::find(fits.begin(), fits.end(), "%d/%m" + format.substr(5)) != fits.end()) {
    checks.push_back("'" + column + "': every day and month is 12 or less, so " + format +
                     " (month first) is a guess: day first would be %d/%m" + format.substr(5));
  }
  type = format.find("%H") == std::string::npos ? "date" : "timestamp";
  bool iso = format == std::string("%Y-%m-%d") || format == std::string("%Y-%m-%d %H:%M:%S");
  return iso ? "" : format;
}

// A column of unique, never-empty values whose name says it identifies the row.
bool LooksLikeKey(db::Connection& conn, const DraftColumn& column) {
  const std::string& n = column.name;
  bool named = n == "id" || n.ends_with("_id") || n.ends_with("_no") || n.ends_with("_key") ||
               n.ends_with("_number");
  if (!named || (column.type != "bigint" && column.type != "varchar")) return false;
  std::string c = Ident(column.source);
  return conn.QueryScalar("SELECT count(DISTINCT " + c + ") = count(*) AND count(*) FILTER (" +
                          "WHERE " + c + " IS NULL OR " + c + " = '') = 0 AND count(*) > 1" +
                          " FROM sample") == "true";
}

// The mapping type of a column DuckDB's sniffer typed `sniffed`.
std::string MappingType(db::Connection& conn, const std::string& source, const std::string& sniffed,
                        DraftColumn& column, std::vector<std::string>& checks) {
  if (sniffed == "BIGINT" || sniffed == "INTEGER" || sniffed == "SMALLINT" ||
      sniffed == "TINYINT") {
    // 05401 is a postal code, not the number 5401: leading zeros keep a column text.
    std::string c = Ident(source);
    if (conn.QueryScalar("SELECT bool_or(ltrim(" + c + ", '-+') LIKE '0_%') FROM sample") ==
        "true") {
      checks.push_back("'" + source + "': numbers with leading zeros, kept as text (varchar)");
      return "varchar";
    }
    return "bigint";
  }
  if (sniffed == "DOUBLE" || sniffed == "FLOAT" || sniffed.starts_with("DECIMAL")) {
    return NumberType(conn, source);
  }
  if (sniffed == "BOOLEAN") return "boolean";
  // Dates the sniffer recognised still need their format (DuckDB read M/D/YYYY itself).
  std::string type = sniffed == "DATE"                  ? "date"
                     : sniffed.starts_with("TIMESTAMP") ? "timestamp"
                                                        : "varchar";
  column.format = DateFormat(conn, source, type, checks);
  return type;
}

}  // namespace

std::string SnakeCase(std::string_view header) {
  std::string out;
  for (size_t i = 0; i < header.size(); ++i) {
    auto c = static_cast<unsigned char>(header[i]);
    if (std::isalnum(c)) {
      // InvoiceNo -> invoice_no: a capital after a small letter or digit starts a word.
      bool word = std::isupper(c) && i > 0 &&
                  (std::islower(static_cast<unsigned char>(header[i - 1])) ||
                   std::isdigit(static_cast<unsigned char>(header[i - 1])));
      if (word && !out.empty() && out.back() != '_') out += '_';
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "c_" + out;
  return out;
}

DraftMapping DraftMappingFor(const std::string& file, const std::string& dataset,
                             const std::string& database) {
  DraftMapping draft;
  draft.dataset = dataset;
  draft.database = database;
  draft.table = dataset;
  std::string bytes = ReadSample(file, &draft.whole_file);
  draft.encoding = DetectEncoding(bytes, draft.checks);
  std::string text = draft.encoding == "utf-8" ? bytes : DecodeText(bytes, draft.encoding);
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);

  // DuckDB reads the sample as UTF-8 from a private copy beside nothing of the user's.
  fs::path scratch = fs::temp_directory_path() / fmt::format("shoplake-init-{}", ::getpid());
  fs::create_directories(scratch);
  struct Remove {
    fs::path path;
    ~Remove() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } remove{scratch};
  fs::path sample = scratch / "sample.csv";
  WriteFileAtomically(sample, text);

  db::Database db(":memory:", {}, "init");
  db::Connection conn(db);
  std::string path = db::QuoteLiteral(sample.string());
  try {
    auto dialect =
        conn.Query("SELECT Delimiter, Quote, Escape, HasHeader FROM sniff_csv(" + path + ")")
            .Rows();
    auto first = [](const std::optional<std::string>& v, char fallback) {
      return v && !v->empty() ? (*v)[0] : fallback;
    };
    draft.delimiter = first(dialect.at(0)[0], ',');
    draft.quote = first(dialect.at(0)[1], '"');
    draft.escape = first(dialect.at(0)[2], draft.quote);
    draft.header = dialect.at(0)[3].value_or("true") == "true";
    std::string options = ", delim = " + db::QuoteLiteral(std::string(1, draft.delimiter)) +
                          ", quote = " + db::QuoteLiteral(std::string(1, draft.quote)) +
                          ", escape = " + db::QuoteLiteral(std::string(1, draft.escape)) +
                          ", header = " + (draft.header ? "true" : "false");
    conn.Execute("CREATE TABLE sample AS SELECT * FROM read_csv(" + path + options +
                 ", all_varchar = true)");
    auto sniffed = conn.Query(
                           "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                           "read_csv(" +
                           path + options + "))")
                       .Rows();
    for (const auto& row : sniffed) {
      DraftColumn column;
      column.source = row[0].value_or("");
      column.name = SnakeCase(column.source);
      column.type =
          MappingType(conn, column.source, row[1].value_or("VARCHAR"), column, draft.checks);
      draft.columns.push_back(std::move(column));
    }
    draft.sampled_rows = std::stoull(conn.QueryScalar("SELECT count(*) FROM sample").value_or("0"));
    for (const auto& column : draft.columns) {
      if (draft.primary_key.empty() && LooksLikeKey(conn, column)) {
        draft.primary_key = {column.name};
      }
      if (draft.partition_from.empty() && (column.type == "date" || column.type == "timestamp")) {
        draft.partition_from = column.name;
      }
    }
    draft.sales = ProposeSalesRoles(conn, draft);
  } catch (const Error& e) {
    throw Error(ErrorCode::kData, std::string("cannot read it as CSV: ") + e.what(), file,
                "check that it is a CSV export (a header line, one record per line)");
  }
  if (!draft.header) {
    draft.checks.push_back(
        "no header line was found: the columns are named column0, "
        "column1, ...; rename them");
  }
  if (draft.primary_key.empty()) {
    draft.checks.push_back(
        "no primary key: no column named like an id is unique, so every "
        "line is kept (identical lines too); add primary_key if the "
        "export repeats lines you do not want twice");
  } else {
    draft.checks.push_back("primary_key " + draft.primary_key[0] + ": unique in " +
                           (draft.whole_file
                                ? "the whole first file"
                                : fmt::format("its first {} rows", draft.sampled_rows)) +
                           "; a later line with the same value replaces the earlier one");
  }
  return draft;
}

std::string MappingYaml(const DraftMapping& draft, const std::string& file) {
  YAML::Emitter out;
  out << YAML::Comment("Drafted by `shoplake init` from " + fs::path(file).filename().string() +
                       fmt::format(" ({} rows read{}).", draft.sampled_rows,
                                   draft.whole_file ? ", the whole file" : ""))
      << YAML::Newline
      << YAML::Comment(
             "Review it: names, types and formats are guesses from the data, and "
             "it has no rules yet (docs/transform.md).")
      << YAML::Newline;
  out << YAML::BeginMap;
  out << YAML::Key << "dataset" << YAML::Value << draft.dataset;
  out << YAML::Key << "database" << YAML::Value << draft.database;
  out << YAML::Key << "table" << YAML::Value << draft.table;
  out << YAML::Key << "csv" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "delimiter" << YAML::Value << YAML::DoubleQuoted
      << std::string(1, draft.delimiter);
  out << YAML::Key << "quote" << YAML::Value << YAML::DoubleQuoted << std::string(1, draft.quote);
  out << YAML::Key << "escape" << YAML::Value << YAML::DoubleQuoted << std::string(1, draft.escape);
  out << YAML::Key << "header" << YAML::Value << draft.header;
  out << YAML::Key << "encoding" << YAML::Value << draft.encoding;
  out << YAML::EndMap;
  if (!draft.primary_key.empty()) {
    out << YAML::Key << "primary_key" << YAML::Value << YAML::Flow << draft.primary_key;
  }
  if (!draft.partition_from.empty()) {
    std::string name = "year";
    for (const auto& c : draft.columns) {
      if (c.name == name) name = draft.partition_from + "_year";
    }
    out << YAML::Key << "partition_by" << YAML::Value << YAML::BeginSeq << YAML::Flow
        << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "from"
        << YAML::Value << draft.partition_from << YAML::Key << "part" << YAML::Value << "year"
        << YAML::EndMap << YAML::EndSeq;
  }
  out << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : draft.columns) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name;
    if (c.source != c.name) out << YAML::Key << "source" << YAML::Value << c.source;
    out << YAML::Key << "type" << YAML::Value << c.type;
    if (!c.format.empty()) out << YAML::Key << "format" << YAML::Value << c.format;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace shoplake::transform
