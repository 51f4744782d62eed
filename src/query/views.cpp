// Views: read, checked and ordered from their files; applied through the engine.
#include "query/views.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "query/sql_text.h"

namespace shoplake::query {
namespace {
namespace fs = std::filesystem;

// `sql` without its -- comments, lower case and without double quotes: the text in which to
// look for the views a view reads. (A "--" inside a string literal would cut the line short;
// views have no reason to hold one.)
std::string SearchableText(const std::string& sql) {
  std::string out;
  bool comment = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (!comment && sql.compare(i, 2, "--") == 0) comment = true;
    if (sql[i] == '\n') comment = false;
    if (!comment && sql[i] != '"')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i])));
  }
  return out;
}

// The view a file defines, from its first statement's head; throws naming the file.
catalog::View ReadViewFile(const fs::path& path, const fs::path& root) {
  catalog::View view;
  view.file = path.lexically_relative(root).string();
  if (view.file.empty() || view.file.rfind("..", 0) == 0) view.file = path.string();
  view.sql = ReadFile(path);
  CheckStatementSize(view.sql, view.file);
  // Comments may come first; the statement must open with CREATE [OR REPLACE] VIEW db.name AS.
  auto head = SqlHead(view.sql, 8);
  auto is_name = [&](size_t i) {
    return i < head.size() &&
           (head[i].kind == SqlToken::Kind::kWord || head[i].kind == SqlToken::Kind::kQuoted);
  };
  auto is_dot = [&](size_t i) {
    return i < head.size() && head[i].kind == SqlToken::Kind::kMark && head[i].text == ".";
  };
  size_t i = 0;
  bool create = i < head.size() && head[i++].Is("CREATE");
  if (create && i + 1 < head.size() && head[i].Is("OR") && head[i + 1].Is("REPLACE")) i += 2;
  create = create && i < head.size() && head[i++].Is("VIEW") && is_name(i);
  std::string stem = path.stem().string();
  std::string first = create ? head[i++].text : "";
  bool qualified = create && is_dot(i) && is_name(i + 1);
  std::string second = qualified ? head[i + 1].text : "";
  if (qualified) i += 2;
  if (!create || i >= head.size() || !head[i].Is("AS")) {
    throw Error(ErrorCode::kConfig, "not a view definition", view.file,
                "a view file holds one statement: CREATE OR REPLACE VIEW <database>." + stem +
                    " AS SELECT ...");
  }
  if (!qualified) {
    throw Error(ErrorCode::kConfig, "view " + first + " has no database", view.file,
                "name it with its database: CREATE OR REPLACE VIEW shop." + first);
  }
  view.database = Lower(first);
  view.name = Lower(second);
  if (view.name != Lower(stem)) {
    throw Error(ErrorCode::kConfig,
                "the file defines view " + view.database + "." + view.name + ", but is named " +
                    path.filename().string(),
                view.file, "name the file " + view.name + ".sql, or the view " + stem);
  }
  return view;
}

}  // namespace

std::map<std::string, catalog::View> ReadViewFolder(const fs::path& dir, const fs::path& root) {
  if (!fs::is_directory(dir)) {
    throw Error(ErrorCode::kConfig, "no views folder", dir.string(),
                "create it with one CREATE OR REPLACE VIEW per .sql file, or set paths.views in "
                "shoplake.yaml");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::map<std::string, catalog::View> by_name;  // "db.name" -> view
  for (const auto& path : files) {
    auto view = ReadViewFile(path, root);
    std::string full = view.database + "." + view.name;
    auto [at, added] = by_name.emplace(full, view);
    if (!added) {
      throw Error(ErrorCode::kConfig, "view " + full + " is defined twice", view.file,
                  "also in " + at->second.file + ": keep one");
    }
  }
  return by_name;
}

std::vector<catalog::View> LoadViews(const fs::path& dir, const fs::path& root) {
  return OrderViews(ReadViewFolder(dir, root), dir.string());
}

std::vector<catalog::View> OrderViews(const std::map<std::string, catalog::View>& by_name,
                                      const std::string& where) {
  // Kahn's order, ready views by name so the order is the same on every machine.
  std::map<std::string, std::set<std::string>> reads;  // view -> the views it reads
  for (const auto& [full, view] : by_name) {
    std::string text = SearchableText(view.sql);
    auto& deps = reads[full];
    for (const auto& [other, unused] : by_name) {
      // Its own name appears in its CREATE: skip it.
      if (other != full && MentionsName(text, other)) deps.insert(other);
    }
  }
  std::vector<catalog::View> ordered;
  std::set<std::string> done;
  while (ordered.size() < by_name.size()) {
    bool progressed = false;
    for (const auto& [full, deps] : reads) {
      if (done.count(full)) continue;
      if (std::all_of(deps.begin(), deps.end(), [&](const auto& d) { return done.count(d); })) {
        ordered.push_back(by_name.at(full));
        done.insert(full);
        progressed = true;
        break;  // back to the first name: the order stays alphabetical among ready views
      }
    }
    if (!progressed) {
      std::string cycle;
      for (const auto& [full, deps] : reads) {
        if (!done.count(full)) cycle += (cycle.empty() ? "" : ", ") + by_name.at(full).file;
      }
      throw Error(ErrorCode::kConfig, "views read each other in a cycle: " + cycle, where,
                  "a view may read tables and views that do not read it back");
    }
  }
  return ordered;
}

std::vector<catalog::ViewChange> ApplyViews(QueryEngine& engine, catalog::Catalog& catalog,
                                            const std::vector<catalog::View>& views) {
  for (const auto& view : views) engine.DefineView(view);
  return catalog.ReplaceViews(views);
}

}  // namespace shoplake::query
