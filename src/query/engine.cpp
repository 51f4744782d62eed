// QueryEngine: the catalog's tables mounted as views, and errors that point at the fix.
#include "query/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "catalog/mount.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "query/sql_text.h"

namespace shoplake::query {
namespace {

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

// ":n" for DuckDB's "\nLINE n:" in `message`, or "" when it names no line.
std::string ErrorLine(std::string_view message) {
  constexpr std::string_view kLine = "\nLINE ";
  size_t at = message.find(kLine);
  if (at == std::string_view::npos) return "";
  size_t digits = at + kLine.size();
  size_t end = digits;
  while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
  if (end == digits || end >= message.size() || message[end] != ':') return "";
  return ":" + std::string(message.substr(digits, end - digits));
}

// "INSERT", "COPY", ... for the refusal of a statement that is not a query.
std::string StatementKind(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_INSERT:
      return "INSERT";
    case DUCKDB_STATEMENT_TYPE_UPDATE:
      return "UPDATE";
    case DUCKDB_STATEMENT_TYPE_DELETE:
      return "DELETE";
    case DUCKDB_STATEMENT_TYPE_COPY:
      return "COPY";
    case DUCKDB_STATEMENT_TYPE_CREATE:
      return "CREATE";
    case DUCKDB_STATEMENT_TYPE_DROP:
      return "DROP";
    case DUCKDB_STATEMENT_TYPE_ALTER:
      return "ALTER";
    case DUCKDB_STATEMENT_TYPE_ATTACH:
      return "ATTACH";
    case DUCKDB_STATEMENT_TYPE_DETACH:
      return "DETACH";
    case DUCKDB_STATEMENT_TYPE_SET:
      return "SET";
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return "PRAGMA";
    case DUCKDB_STATEMENT_TYPE_EXPORT:
      return "EXPORT";
    case DUCKDB_STATEMENT_TYPE_LOAD:
      return "LOAD";
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
      return "transaction";
    default:
      return "non-query";
  }
}

[[noreturn]] void Refuse(const std::string& kind, std::string_view sql) {
  throw Error(ErrorCode::kUsage, "queries are read-only: " + kind + " statements are refused",
              db::StatementLabel(sql),
              "ask with SELECT; the lake changes only through its stages (ingest, transform, "
              "crawl, views apply)");
}

// The statement's first word when it is one that writes or changes settings ("INSERT"),
// after blanks and comments; nullopt otherwise.
std::optional<std::string> WriteKeyword(std::string_view sql) {
  static const std::set<std::string> kWrites = {
      "INSERT", "UPDATE", "DELETE", "MERGE",    "TRUNCATE", "COPY",       "CREATE",
      "DROP",   "ALTER",  "ATTACH", "DETACH",   "USE",      "SET",        "RESET",
      "PRAGMA", "EXPORT", "IMPORT", "LOAD",     "INSTALL",  "CHECKPOINT", "VACUUM",
      "CALL",   "BEGIN",  "COMMIT", "ROLLBACK", "ABORT",    "START"};
  auto head = SqlHead(sql, 1);
  if (head.empty() || head[0].kind != SqlToken::Kind::kWord) return std::nullopt;
  std::string word = head[0].text;
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!kWrites.count(word)) return std::nullopt;
  return word;
}

bool IsMark(const SqlToken& token, char mark) {
  return token.kind == SqlToken::Kind::kMark && token.text[0] == mark;
}

// Where the statement an EXPLAIN explains starts, past EXPLAIN and its options (and the
// EXPLAINs it explains in turn); 0 when `sql` is no EXPLAIN. EXPLAIN ANALYZE, in any of
// DuckDB's spellings (ANALYSE, an option list naming ANALYZE), runs what it explains,
// writes included, so it is refused outright.
size_t ExplainedStatement(std::string_view sql) {
  // An EXPLAIN's head is short; a longer option list is refused rather than read on.
  constexpr size_t kHeadTokens = 64;
  size_t offset = 0;
  for (;;) {
    auto head = SqlHead(sql.substr(offset), kHeadTokens);
    if (head.empty() || !head[0].Is("EXPLAIN")) return offset;
    size_t i = 1;
    if (i < head.size() && IsMark(head[i], '(')) {
      for (++i; i < head.size() && !IsMark(head[i], ')'); ++i) {
        if (head[i].Is("ANALYZE") || head[i].Is("ANALYSE")) Refuse("EXPLAIN ANALYZE", sql);
      }
      if (i == head.size()) Refuse("EXPLAIN with a long option list", sql);
      ++i;
    }
    for (; i < head.size() &&
           (head[i].Is("ANALYZE") || head[i].Is("ANALYSE") || head[i].Is("VERBOSE"));
         ++i) {
      if (!head[i].Is("VERBOSE")) Refuse("EXPLAIN ANALYZE", sql);
    }
    if (i == head.size()) return sql.size();  // nothing to explain: DuckDB says so
    offset += head[i].offset;
  }
}

// Throws when a file of an old snapshot is gone: the transform deletes the files a commit
// supersedes, so time travel reaches back only as far as they were kept.
void CheckFilesKept(lake::Store& lake, const std::string& table,
                    const catalog::Snapshot& snapshot) {
  for (const auto& f : snapshot.files) {
    if (!lake.Stat(f.key)) {
      throw Error(ErrorCode::kData,
                  "snapshot " + std::to_string(snapshot.id) + " lists " + f.key +
                      ", which a later commit superseded and removed",
                  table, "pick a later snapshot: shoplake catalog history " + table);
    }
  }
}

// The bare table name of "db.table".
std::string TableOf(const std::string& full) { return full.substr(full.find('.') + 1); }

}  // namespace

QueryEngine::QueryEngine(lake::Store& lake, catalog::Catalog& catalog, EngineOptions options)
    : lake_(lake),
      cache_(lake),
      database_(":memory:", options.settings, options.stage),
      connection_(database_) {
  // DuckDB may read its own spill folder; it must not hold a part of the lake.
  if (!database_.spill_folder().empty() && IsInside(database_.spill_folder(), cache_.root())) {
    throw Error(
        ErrorCode::kConfig, "DuckDB's temp_directory is inside the lake",
        database_.spill_folder().parent_path().string(),
        "set duckdb.temp_directory in shoplake.yaml to a folder outside " + cache_.root().string());
  }
  std::set<std::string> schemas;
  for (auto& table : catalog.Tables()) {
    std::string name = table.database + "." + table.name;
    auto snapshot = options.as_of ? catalog.SnapshotAsOf(table.id, *options.as_of)
                                  : catalog.CurrentSnapshot(table.id);
    if (!snapshot) snapshot.emplace();  // no commit (yet, or by then): an empty view
    if (schemas.insert(table.database).second) {
      connection_.Execute("CREATE SCHEMA IF NOT EXISTS " + db::QuoteIdentifier(table.database));
    }
    tables_.push_back({name, snapshot->id, snapshot->rows, snapshot->bytes});
    pending_.push_back({std::move(table), std::move(*snapshot), options.as_of.has_value()});
  }
  // Views are created when a query first names them, as tables are mounted: defining one
  // binds it, which reads the footers of every file it scans.
  if (options.views) pending_views_ = catalog.Views();
  LockDown();
}

void QueryEngine::MountNamed(std::string_view sql) {
  if (pending_.empty() && pending_views_.empty()) return;
  std::string text = ExpandedText(sql);
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& table = it->table;
    std::string name = table.database + "." + table.name;
    if (!MentionsName(text, Lower(name))) {
      ++it;
      continue;
    }
    try {
      if (it->check_files) CheckFilesKept(lake_, name, it->snapshot);
      connection_.Execute("CREATE VIEW " + db::QuoteIdentifier(table.database) + "." +
                          db::QuoteIdentifier(table.name) + " AS SELECT * FROM " +
                          catalog::SnapshotScanSql(cache_, table, it->snapshot));
    } catch (const Error& e) {
      spdlog::debug("{}: not mounted: {}", name, e.what());
      Error error(e.code(), "table " + name + " cannot be read: " + e.message(), e.input(),
                  e.hint());
      unmounted_.emplace_back(name, error);
      pending_.erase(it);
      throw error;
    }
    it = pending_.erase(it);
  }
  // In the catalog's order: a view after the views it reads. DefineView mounts what the
  // view names and may take further views off the list, so each definition starts the scan
  // again rather than keep an iterator into the list.
  for (;;) {
    auto it = std::find_if(pending_views_.begin(), pending_views_.end(), [&](const auto& v) {
      return MentionsName(text, Lower(v.database + "." + v.name));
    });
    if (it == pending_views_.end()) break;
    catalog::View view = std::move(*it);
    pending_views_.erase(it);
    std::string name = view.database + "." + view.name;
    try {
      DefineView(view);
    } catch (const Error& e) {
      spdlog::debug("{}: not created: {}", name, e.what());
      Error error(e.code(), "view " + name + " cannot be created: " + e.message(), e.input(),
                  "fix it, then run shoplake views apply");
      unmounted_.emplace_back(name, error);
      throw error;
    }
  }
}

void QueryEngine::LockDown() {
  // DuckDB reads only below the lake's folder (or its cache's, for a remote lake) and the
  // raw files' UTF-8 copies; the lock keeps a query from SETting it back.
  connection_.Execute("SET allowed_directories = [" +
                      db::QuoteLiteral(cache_.root().string() + "/") + ", " +
                      db::QuoteLiteral(catalog::RawTextFolder(cache_).string() + "/") + "]");
  connection_.Execute("SET enable_external_access = false");
  connection_.Execute("SET lock_configuration = true");
}

void QueryEngine::DefineView(const catalog::View& view) {
  duckdb_extracted_statements statements = nullptr;
  idx_t count = duckdb_extract_statements(connection_.handle(), view.sql.c_str(), &statements);
  duckdb_destroy_extracted(&statements);
  if (count > 1) {
    throw Error(ErrorCode::kConfig,
                "holds " + std::to_string(count) + " statements; a view file holds one", view.file,
                "keep only the CREATE OR REPLACE VIEW " + view.name);
  }
  MountNamed(view.sql);
  try {
    connection_.Execute("CREATE SCHEMA IF NOT EXISTS " + db::QuoteIdentifier(view.database));
    connection_.Execute(view.sql);
  } catch (const Error& e) {
    // The statement is the whole file, so DuckDB's "LINE n:" is the file's line n.
    std::string message = WithoutRepeatedContext(e.message());
    throw Error(ErrorCode::kConfig, message, view.file + ErrorLine(message), e.hint());
  }
  defined_views_.emplace_back(view.database + "." + view.name, view.sql);
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

std::string QueryEngine::ExpandedText(std::string_view sql) {
  // Table names are found in the text, quotes dropped, and in the text of each view it
  // names (DuckDB's duckdb_get_table_names expands views into what they read, so it never
  // names ours). A name inside a string or comment counts too: that errs on the side of
  // mounting, and of listing, a table the query did not need.
  auto searchable = [](std::string_view text) {
    std::string out;
    for (char c : Lower(text)) {
      if (c != '"') out += c;
    }
    return out;
  };
  std::string text = searchable(sql);
  std::set<std::string> expanded;
  for (bool grew = true; grew;) {
    grew = false;
    auto expand = [&](const std::string& name, const std::string& view_sql) {
      if (!expanded.count(name) && MentionsName(text, Lower(name))) {
        expanded.insert(name);
        text += "\n" + searchable(view_sql);
        grew = true;
      }
    };
    for (const auto& [name, view_sql] : defined_views_) expand(name, view_sql);
    for (const auto& v : pending_views_) expand(v.database + "." + v.name, v.sql);
  }
  return text;
}

std::vector<MountedTable> QueryEngine::TablesRead(std::string_view sql) {
  std::string text = ExpandedText(sql);
  std::vector<MountedTable> out;
  for (const auto& t : tables_) {
    if (MentionsName(text, Lower(t.name))) out.push_back(t);
  }
  return out;
}

void QueryEngine::CheckMounted(std::string_view sql) {
  if (unmounted_.empty()) return;
  std::string text = ExpandedText(sql);
  for (const auto& [name, error] : unmounted_) {
    if (MentionsName(text, Lower(name))) throw error;
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

db::PreparedStatement QueryEngine::PrepareReadOnly(std::string_view sql) {
  // Refused by its first word before DuckDB binds it: binding a write would fail for other
  // reasons first ("items is not a table"), and the refusal is what the user needs to hear.
  CheckStatementSize(sql, db::StatementLabel(sql));
  // An EXPLAIN is taken of a query only, and never with ANALYZE: the statement it explains
  // passes the same checks as a statement of its own.
  std::string_view explained = sql.substr(ExplainedStatement(sql));
  if (auto kind = WriteKeyword(explained)) Refuse(*kind, sql);
  CheckMounted(sql);
  MountNamed(sql);
  auto prepare = [&](std::string_view text) {
    try {
      return connection_.Prepare(text);
    } catch (const Error& e) {
      throw Explain(e, text);
    }
  };
  db::PreparedStatement prepared = prepare(sql);
  auto type = prepared.type();
  if (type == DUCKDB_STATEMENT_TYPE_EXPLAIN && explained.size() < sql.size()) {
    type = prepare(explained).type();
  }
  if (type != DUCKDB_STATEMENT_TYPE_SELECT) Refuse(StatementKind(type), sql);
  return prepared;
}

db::Result QueryEngine::Run(std::string_view sql) {
  auto prepared = PrepareReadOnly(sql);
  try {
    return prepared.Execute();
  } catch (const Error& e) {
    throw Explain(e, sql);
  }
}

std::string QueryEngine::ResultFile(const std::string& name) const {
  return (cache_.WorkFolder("results") / name).string();
}

db::Result QueryEngine::RunToParquet(std::string_view sql, const std::string& path) {
  PrepareReadOnly(sql);
  CreateFolders(std::filesystem::path(path).parent_path());
  connection_.Execute("COPY (" + Embeddable(sql) + ") TO " + db::QuoteLiteral(path) +
                      " (FORMAT parquet)");
  return connection_.Query("SELECT * FROM read_parquet(" + db::QuoteLiteral(path) + ")");
}

}  // namespace shoplake::query
