// QueryEngine: the catalog's tables mounted as views, and errors that point at the fix.
#include "query/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "catalog/mount.h"
#include "common/error.h"
#include "common/names.h"

namespace shoplake::query {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// `sql` without trailing blanks and semicolons, and on its own lines, so it can sit inside
// COPY (...) even when it ends in a -- comment.
std::string Embeddable(std::string_view sql) {
  size_t end = sql.find_last_not_of(" \t\r\n;");
  return "\n" + std::string(sql.substr(0, end == std::string_view::npos ? 0 : end + 1)) + "\n";
}

// A name as DuckDB reports it, qualified as far as written ("memory.shop.t", "shop.t", "t"),
// reduced to what the catalog calls it: "shop.t" or "t".
std::string CatalogSpelling(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() >= 2) return Lower(parts[parts.size() - 2] + "." + parts.back());
  return Lower(parts.back());
}

// DuckDB's parser errors repeat their "LINE 1: ..." block and caret; one is enough.
std::string WithoutRepeatedContext(const std::string& message) {
  constexpr std::string_view kBlock = "\n\nLINE ";
  size_t first = message.find(kBlock);
  if (first == std::string::npos) return message;
  size_t second = message.find(kBlock, first + kBlock.size());
  if (second == std::string::npos) return message;
  std::string_view a(message.data() + first, second - first);
  std::string_view b(message.data() + second, message.size() - second);
  return a == b ? message.substr(0, second) : message;
}

// True when `text` (lower case, quotes dropped) names `name` ("db.table") as a whole word.
bool Mentions(const std::string& text, const std::string& name) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    bool starts = at == 0 || (!is_word(text[at - 1]) && text[at - 1] != '.');
    bool ends = at + name.size() == text.size() || !is_word(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// The bare table name of "db.table".
std::string TableOf(const std::string& full) { return full.substr(full.find('.') + 1); }

}  // namespace

QueryEngine::QueryEngine(lake::Store& lake, catalog::Catalog& catalog,
                         const std::map<std::string, std::string>& settings)
    : database_(":memory:", settings), connection_(database_) {
  std::set<std::string> schemas;
  for (const auto& table : catalog.Tables()) {
    auto snapshot = catalog.CurrentSnapshot(table.id);
    if (!snapshot) snapshot.emplace();  // no commit yet: an empty view with the columns
    if (schemas.insert(table.database).second) {
      connection_.Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(table.database));
    }
    std::string name = table.database + "." + table.name;
    try {
      connection_.Execute("CREATE VIEW " + QuoteIdentifier(table.database) + "." +
                          QuoteIdentifier(table.name) + " AS SELECT * FROM " +
                          catalog::SnapshotScanSql(lake, table, *snapshot));
    } catch (const Error& e) {
      spdlog::debug("{}: not mounted: {}", name, e.what());
      unmounted_.emplace_back(
          name, Error(e.code(), "table " + name + " cannot be read: " + e.message(), e.input(),
                      e.hint()));
      continue;
    }
    tables_.push_back(
        {table.database + "." + table.name, snapshot->id, snapshot->rows, snapshot->bytes});
  }
}

std::vector<std::string> QueryEngine::NamedTables(std::string_view sql) {
  std::string text(sql);
  duckdb_value list = duckdb_get_table_names(connection_.handle(), text.c_str(), true);
  std::vector<std::string> names;
  if (!list) return names;
  idx_t size = duckdb_get_list_size(list);
  for (idx_t i = 0; i < size; ++i) {
    duckdb_value child = duckdb_get_list_child(list, i);
    if (!child) continue;
    char* name = duckdb_get_varchar(child);
    if (name) {
      std::string written(name);
      names.push_back(written.substr(0, written.find(" AS ")));
      duckdb_free(name);
    }
    duckdb_destroy_value(&child);
  }
  duckdb_destroy_value(&list);
  return names;
}

std::vector<MountedTable> QueryEngine::TablesRead(std::string_view sql) {
  // DuckDB's own list of a statement's tables (duckdb_get_table_names) expands views into
  // what they read, so it never names ours: look for the qualified names in the text,
  // quotes dropped. A name inside a string or comment counts too; the list errs on the side
  // of naming a snapshot the query did not need.
  std::string text;
  for (char c : Lower(sql)) {
    if (c != '"') text += c;
  }
  std::vector<MountedTable> out;
  for (const auto& t : tables_) {
    if (Mentions(text, Lower(t.name))) out.push_back(t);
  }
  return out;
}

void QueryEngine::CheckMounted(std::string_view sql) {
  if (unmounted_.empty()) return;
  std::string text;
  for (char c : Lower(sql)) {
    if (c != '"') text += c;
  }
  for (const auto& [name, error] : unmounted_) {
    if (Mentions(text, Lower(name))) throw error;
  }
}

Error QueryEngine::Explain(const Error& error, std::string_view sql) {
  std::string message = WithoutRepeatedContext(error.message());
  if (error.code() != ErrorCode::kUsage || message.find("does not exist") == std::string::npos) {
    return Error(error.code(), message, error.input(), error.hint());
  }
  std::string hint;
  for (const auto& written : NamedTables(sql)) {
    std::string name = CatalogSpelling(written);
    bool qualified = name.find('.') != std::string::npos;
    // Compare like with like (db.table, or a bare name with the bare names), and suggest
    // the qualified name: the views live in their database's schema, so a bare name that is
    // exactly a table's still needs its database.
    std::vector<std::string> spellings;
    for (const auto& t : tables_) spellings.push_back(Lower(qualified ? t.name : TableOf(t.name)));
    if (qualified && std::find(spellings.begin(), spellings.end(), name) != spellings.end()) {
      continue;
    }
    auto nearest = std::find(spellings.begin(), spellings.end(), name) != spellings.end()
                       ? std::optional<std::string>(name)
                       : ClosestName(name, spellings);
    if (!nearest) continue;
    size_t index = std::find(spellings.begin(), spellings.end(), *nearest) - spellings.begin();
    hint += (hint.empty() ? "" : "; ") + std::string("no table '") + name +
            "' in the catalog, did you mean '" + tables_[index].name + "'?";
  }
  std::string all;
  for (const auto& t : tables_) all += (all.empty() ? "" : ", ") + t.name;
  if (hint.empty() && all.empty()) {
    hint = "the catalog is empty: run shoplake transform or shoplake crawl";
  } else {
    hint += (hint.empty() ? "" : "; ") + std::string("tables: ") + all;
  }
  return Error(error.code(), message, error.input(), hint);
}

void QueryEngine::Check(std::string_view sql) {
  CheckMounted(sql);
  try {
    connection_.Prepare(sql);
  } catch (const Error& e) {
    throw Explain(e, sql);
  }
}

Result QueryEngine::Run(std::string_view sql) {
  CheckMounted(sql);
  try {
    return connection_.Query(sql);
  } catch (const Error& e) {
    throw Explain(e, sql);
  }
}

Result QueryEngine::RunToParquet(std::string_view sql, const std::string& path) {
  Check(sql);
  connection_.Execute("COPY (" + Embeddable(sql) + ") TO " + QuoteLiteral(path) +
                      " (FORMAT parquet)");
  return connection_.Query("SELECT * FROM read_parquet(" + QuoteLiteral(path) + ")");
}

}  // namespace shoplake::query
