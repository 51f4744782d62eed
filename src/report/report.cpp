// RenderDashboard and its pieces: panel SQL through the QueryEngine, rows to JSON,
// Vega-Lite specs around them, and the page that inlines the chart runtime.
#include "report/report.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/clock.h"
#include "common/environment.h"
#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "db/duckdb.h"

#ifndef SHOPLAKE_WEB_DIR
#error "SHOPLAKE_WEB_DIR must name the source tree's web/ folder (src/CMakeLists.txt sets it)"
#endif

namespace shoplake::report {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

//! Tables show at most this many rows: a dashboard is a summary, never a data dump.
constexpr size_t kTableRowLimit = 500;

std::vector<std::string> ColumnNames(const db::Result& result) {
  std::vector<std::string> names;
  for (size_t c = 0; c < result.column_count(); ++c) names.push_back(result.column_name(c));
  return names;
}

// The SQL a panel runs under `filters`.
std::string PanelSql(const DashboardSpec& spec, const Panel& panel, const Filters& filters) {
  if (!panel.view.empty()) {
    return "SELECT * FROM " + panel.view +
           (panel.where.empty() ? "" : " WHERE (" + panel.where + ")");
  }
  if (!panel.filtered()) return panel.sql;
  std::string source = FilteredSource(*spec.filters, filters);
  std::string sql = panel.sql;
  std::string token = kFilteredSource;
  for (size_t at = sql.find(token); at != std::string::npos; at = sql.find(token, at)) {
    sql.replace(at, token.size(), source);
    at += source.size();
  }
  return sql;
}

// Every "field" a Vega-Lite encoding names (channels and their nested definitions).
void EncodingFields(const Json& node, std::vector<std::string>& fields) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "field" && value.is_string())
        fields.push_back(value.get<std::string>());
      else
        EncodingFields(value, fields);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) EncodingFields(item, fields);
  }
}

class PanelRunner {
 public:
  PanelRunner(query::QueryEngine& engine, const DashboardSpec& spec, const Filters& filters)
      : engine_(engine), spec_(spec), filters_(filters) {}

  Json Run(const Panel& panel) {
    std::string sql = PanelSql(spec_, panel, filters_);
    Remember(sql);
    std::optional<db::Result> result;
    try {
      result.emplace(engine_.Run(sql));
    } catch (const Error& e) {
      throw Error(e.code(), "panel '" + panel.id + "': " + e.message(), panel.where_defined,
                  e.hint());
    }
    std::vector<std::string> columns = ColumnNames(*result);
    bool truncated = false;
    Json rows = RowsToJson(*result, panel.type == "table" ? kTableRowLimit : SIZE_MAX, &truncated);
    Json out = {{"id", panel.id},
                {"type", panel.type},
                {"title", panel.title},
                {"description", panel.description},
                {"filtered", panel.filtered()},
                {"rows", rows.size()}};
    if (panel.type == "bar" || panel.type == "line") {
      std::vector<std::string> fields;
      EncodingFields(panel.encoding, fields);
      for (const auto& field : fields) Expect(panel, "encoding", field, columns);
      out["spec"] = {
          {"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"width", "container"},
          {"height", panel.type == "bar" ? std::max<size_t>(120, 24 * rows.size()) : 260},
          {"data", {{"values", rows}}},
          {"mark", panel.mark},
          {"encoding", panel.encoding}};
    } else if (panel.type == "kpi") {
      Json tiles = Json::array();
      for (const auto& tile : panel.tiles) {
        Expect(panel, "tiles", tile.field, columns);
        tiles.push_back({{"field", tile.field},
                         {"label", tile.label},
                         {"format", tile.format},
                         {"value", rows.empty() ? Json(nullptr) : rows[0][tile.field]}});
      }
      out["tiles"] = tiles;
    } else {
      std::vector<std::string> shown = panel.columns.empty() ? columns : panel.columns;
      for (const auto& column : shown) Expect(panel, "columns", column, columns);
      out["columns"] = shown;
      out["data"] = rows;
      out["truncated"] = truncated;
    }
    return out;
  }

  //! The date range of the filtered source, as [from, to] (empty without filters).
  std::pair<std::string, std::string> DateRange() {
    if (!spec_.filters) return {};
    const FilterSpec& f = *spec_.filters;
    std::string column = db::QuoteIdentifier(f.date);
    std::string sql = "SELECT CAST(min(" + column + ") AS VARCHAR), CAST(max(" + column +
                      ") AS VARCHAR) FROM " + FilteredSource(f, filters_);
    Remember(sql);
    auto rows = engine_.Run(sql).Rows();
    if (rows.empty() || !rows[0][0]) return {};
    return {*rows[0][0], rows[0][1].value_or("")};
  }

  //! The distinct values of a filter column in the whole source, for the viewer to pick.
  Json Choices(const std::string& column) {
    const FilterSpec& f = *spec_.filters;
    std::string quoted = db::QuoteIdentifier(column);
    auto result = engine_.Run("SELECT DISTINCT CAST(" + quoted + " AS VARCHAR) AS v FROM " +
                              f.source + " WHERE " + quoted + " IS NOT NULL ORDER BY 1");
    Json values = Json::array();
    for (const auto& row : result.Rows()) values.push_back(*row[0]);
    return values;
  }

  const std::vector<query::MountedTable>& tables() const { return tables_; }

 private:
  void Expect(const Panel& panel, const std::string& key, const std::string& field,
              const std::vector<std::string>& columns) {
    if (std::find(columns.begin(), columns.end(), field) != columns.end()) return;
    std::string list;
    for (const auto& c : columns) list += (list.empty() ? "" : ", ") + c;
    throw Error(ErrorCode::kConfig,
                "panel '" + panel.id + "': " + key + " names '" + field +
                    "', which is not a column of its result",
                panel.where_defined, "its columns: " + list);
  }

  // The tables `sql` reads, at their snapshots, added to those already read.
  void Remember(const std::string& sql) {
    for (auto& table : engine_.TablesRead(sql)) {
      bool known = std::any_of(tables_.begin(), tables_.end(),
                               [&](const auto& t) { return t.name == table.name; });
      if (!known) tables_.push_back(table);
    }
  }

  query::QueryEngine& engine_;
  const DashboardSpec& spec_;
  const Filters& filters_;
  std::vector<query::MountedTable> tables_;
};

Json FiltersJson(const Filters& filters) {
  return {{"from", filters.from},
          {"to", filters.to},
          {"branch", filters.branch},
          {"category", filters.category}};
}

// JavaScript made safe inside a <script> element: only "</script" can end it early and
// "<!--" change how the HTML parser reads it. Both can only appear in strings or regular
// expressions, where "<\/" and "<\!" mean the same characters.
std::string ScriptSafe(std::string text) {
  for (size_t at = 0; (at = text.find('<', at)) != std::string::npos; ++at) {
    if (Lower(text.substr(at, 8)) == "</script")
      text.insert(at + 1, "\\");
    else if (text.compare(at, 4, "<!--") == 0)
      text.insert(at + 1, "\\");
  }
  return text;
}

}  // namespace

// '<' occurs only inside JSON strings, where \u003c is the same character, so no tag or
// comment can start.
std::string ScriptJson(const Json& json) {
  std::string text = json.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

std::string FilteredSource(const FilterSpec& spec, const Filters& filters) {
  if (filters.empty()) return spec.source;
  for (const auto& [name, value] : {std::pair{"from", &filters.from},
                                    {"to", &filters.to},
                                    {"branch", &filters.branch},
                                    {"category", &filters.category}}) {
    if (value->find('\0') != std::string::npos) {
      throw Error(ErrorCode::kUsage,
                  std::string("the '") + name + "' filter contains a NUL byte (%00)",
                  name + ("=" + value->substr(0, value->find('\0'))),
                  "remove it: a filter value is plain text");
    }
  }
  std::vector<std::string> conditions;
  auto date = [&](const std::string& value, const char* op, const char* name) {
    if (value.empty()) return;
    if (!IsIsoDate(value)) {
      throw Error(ErrorCode::kUsage, std::string("the '") + name + "' date is not YYYY-MM-DD",
                  value, "for example: 2026-01-31");
    }
    conditions.push_back(db::QuoteIdentifier(spec.date) + " " + op + " DATE '" + value + "'");
  };
  date(filters.from, ">=", "from");
  date(filters.to, "<=", "to");
  if (!filters.branch.empty()) {
    conditions.push_back(db::QuoteIdentifier(spec.branch) + " = " +
                         db::QuoteLiteral(filters.branch));
  }
  if (!filters.category.empty()) {
    conditions.push_back(db::QuoteIdentifier(spec.category) + " = " +
                         db::QuoteLiteral(filters.category));
  }
  std::string where;
  for (const auto& c : conditions) where += (where.empty() ? "" : " AND ") + c;
  return "(SELECT * FROM " + spec.source + " WHERE " + where + ")";
}

Json RowsToJson(db::Result& result, size_t limit, bool* truncated) {
  std::vector<std::string> names = ColumnNames(result);
  Json rows = Json::array();
  if (truncated) *truncated = false;
  while (auto chunk = result.NextChunk()) {
    for (size_t r = 0; r < chunk->row_count(); ++r) {
      if (rows.size() >= limit) {
        if (truncated) *truncated = true;
        return rows;
      }
      Json row = Json::object();
      for (size_t c = 0; c < names.size(); ++c) {
        auto text = chunk->Text(c, r);
        duckdb_type type = result.column_type(c);
        if (!text) {
          row[names[c]] = nullptr;
        } else if (type == DUCKDB_TYPE_BOOLEAN) {
          row[names[c]] = *text == "true";
        } else if (db::IsNumericType(type)) {
          // inf and nan have no JSON spelling: they stay text.
          auto number = Json::parse(*text, nullptr, false);
          row[names[c]] = number.is_number() ? number : Json(*text);
        } else {
          row[names[c]] = *text;
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

Json DashboardData(query::QueryEngine& engine, const DashboardSpec& spec, const Filters& filters,
                   const DataOptions& options) {
  PanelRunner runner(engine, spec, filters);
  Json panels = Json::array();
  for (const auto& panel : spec.panels) panels.push_back(runner.Run(panel));
  Json skipped = Json::array();
  for (const auto& part : spec.skipped) {
    skipped.push_back({{"id", part.id}, {"title", part.title}, {"note", part.note}});
  }
  auto [from, to] = runner.DateRange();
  Json filter_doc = {{"enabled", spec.filters.has_value()}, {"applied", FiltersJson(filters)}};
  if (options.filter_choices && spec.filters) {
    filter_doc["choices"] = {{"branch", runner.Choices(spec.filters->branch)},
                             {"category", runner.Choices(spec.filters->category)}};
  }
  Json snapshots = Json::array();
  for (const auto& t : runner.tables()) {
    snapshots.push_back({{"table", t.name},
                         {"snapshot_id", t.snapshot_id ? Json(t.snapshot_id) : Json(nullptr)},
                         {"rows", t.rows},
                         {"bytes", t.bytes}});
  }
  return {{"title", spec.title},
          {"rendered_at", options.rendered_at.empty() ? UtcNowIso() : options.rendered_at},
          {"date_range", {{"from", from}, {"to", to}}},
          {"snapshots", snapshots},
          {"filters", filter_doc},
          {"panels", panels},
          {"skipped", skipped}};
}

fs::path WebDir() {
  // The page assets are read at run time rather than compiled in: a megabyte of minified
  // JavaScript as C++ string literals would slow every build, and `make demo` and CI run
  // the binary from the source tree whose web/node_modules scripts/bootstrap fills (npm
  // ci). SHOPLAKE_WEB_DIR points an installed binary elsewhere.
  if (auto dir = EnvironmentVariable("SHOPLAKE_WEB_DIR")) return *dir;
  return SHOPLAKE_WEB_DIR;
}

namespace {

// Each page asset's place under the web folder, and the member it is read into.
struct AssetFile {
  const char* relative;
  std::string WebAssets::*member;
};
constexpr AssetFile kAssetFiles[] = {
    {"node_modules/vega/build/vega.min.js", &WebAssets::vega},
    {"node_modules/vega-lite/build/vega-lite.min.js", &WebAssets::vega_lite},
    {"node_modules/vega-embed/build/vega-embed.min.js", &WebAssets::vega_embed},
    {"dashboard.js", &WebAssets::script},
    {"dashboard.css", &WebAssets::style},
};

}  // namespace

WebAssets WebAssets::Load(const fs::path& dir) {
  WebAssets assets;
  for (const auto& file : kAssetFiles) assets.*file.member = ReadWebFile(dir, file.relative);
  return assets;
}

std::map<std::string, std::string> WebAssets::Files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& file : kAssetFiles) files[file.relative] = ReadWebFile(dir, file.relative);
  return files;
}

std::string ReadWebFile(const fs::path& dir, const std::string& relative) {
  fs::path path = dir / relative;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorCode::kNotFound, "a web page asset is missing", path.string(),
                "run scripts/bootstrap (it installs web/'s npm packages), or set "
                "SHOPLAKE_WEB_DIR to a folder that has them");
  }
  return ReadFile(path);
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ChartRuntimeHtml(const WebAssets& assets) {
  // Inline, not <script src>: the page opens offline and from file://.
  std::string html;
  for (const std::string* js : {&assets.vega, &assets.vega_lite, &assets.vega_embed}) {
    html += "<script>\n" + ScriptSafe(*js) + "\n</script>\n";
  }
  return html;
}

std::string DashboardHtml(const Json& data, const WebAssets& assets, const PageOptions& options) {
  std::string title = EscapeHtml(data.value("title", "Dashboard"));
  Json config = {{"api", options.api}};
  std::string html;
  html.reserve(assets.vega.size() + assets.vega_lite.size() + assets.vega_embed.size() + 65536);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + title + "</title>\n<style>\n" + assets.style + "\n</style>\n";
  html += ChartRuntimeHtml(assets);
  html += "</head>\n<body>\n";
  if (!options.nav_html.empty()) html += "<nav class=\"site\">" + options.nav_html + "</nav>\n";
  html += "<header><h1 id=\"title\">" + title + "</h1><dl id=\"meta\"></dl></header>\n";
  html += "<form id=\"filters\" hidden></form>\n<main id=\"panels\"></main>\n";
  html +=
      "<script type=\"application/json\" id=\"dashboard-data\">" + ScriptJson(data) + "</script>\n";
  html += "<script type=\"application/json\" id=\"dashboard-config\">" + ScriptJson(config) +
          "</script>\n";
  html += "<script>\n" + ScriptSafe(assets.script) + "\n</script>\n</body>\n</html>\n";
  return html;
}

std::string DefaultReportKey(const Project& project) {
  auto found = project.paths.find("reports");
  std::string prefix = found == project.paths.end() ? "reports" : found->second;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty() || fs::path(prefix).is_absolute()) prefix = "reports";
  return prefix + "/dashboard.html";
}

RenderResult RenderDashboard(lake::Store& lake, catalog::Catalog& catalog, const Project& project,
                             const RenderOptions& options) {
  DashboardSpec spec = LoadProjectDashboard(project, options.dashboard_file);
  WebAssets assets = WebAssets::Load(options.web_dir ? *options.web_dir : WebDir());
  query::EngineOptions engine_options;
  engine_options.stage = "report";
  query::QueryEngine engine(lake, catalog, engine_options);

  RenderResult result;
  result.rendered_at = UtcNowIso();
  Json data = DashboardData(engine, spec, options.filters,
                            {.rendered_at = result.rendered_at, .filter_choices = false});
  for (const auto& panel : data["panels"]) {
    result.panels.push_back({panel["id"], panel["type"], panel["rows"].get<uint64_t>()});
  }
  result.skipped = spec.skipped;
  result.date_from = data["date_range"]["from"];
  result.date_to = data["date_range"]["to"];
  for (const auto& s : data["snapshots"]) {
    result.snapshots.push_back({s["table"],
                                s["snapshot_id"].is_null() ? 0 : s["snapshot_id"].get<int64_t>(),
                                s["rows"], s["bytes"]});
  }
  std::string html = DashboardHtml(data, assets);
  result.bytes = html.size();
  if (options.out) {
    WriteFileAtomically(*options.out, html);
    result.out = *options.out;
  } else {
    result.key = options.key.empty() ? DefaultReportKey(project) : options.key;
    lake.WriteAll(result.key, html);
  }
  return result;
}

}  // namespace shoplake::report
