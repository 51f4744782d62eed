// ParseDashboard: dashboard.yaml through the project's YamlReader, so every mistake names
// "file:line:column" and the key, as shoplake.yaml and the mapping files do.
#include "report/dashboard.h"

#include <algorithm>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "common/names.h"
#include "common/yaml_json.h"
#include "common/yaml_reader.h"
#include "query/sales_model.h"

namespace shoplake::report {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTopKeys = {"title", "filters", "panels"};
const std::vector<std::string> kFilterKeys = {"source", "date", "branch", "category"};
const std::vector<std::string> kPanelKeys = {"id",       "type",  "title",   "description",
                                             "view",     "where", "sql",     "mark",
                                             "encoding", "tiles", "columns", "needs"};
const std::vector<std::string> kPanelTypes = {"kpi", "bar", "line", "table"};
const std::vector<std::string> kTileKeys = {"field", "label", "format", "needs"};
const std::vector<std::string> kTileFormats = {"number", "integer", "currency", "percent"};

// "<database>.<name>" of plain identifiers: what a view panel or filters.source may name.
bool IsQualifiedName(const std::string& name) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, kName);
}

bool IsIdentifier(const std::string& name) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(name, kName);
}

class DashboardParser {
 public:
  explicit DashboardParser(const fs::path& file) : reader_(file) {}

  DashboardSpec Parse(const std::string& text) {
    DashboardSpec spec;
    spec.file = reader_.file();
    YAML::Node doc = reader_.Parse(text);
    if (doc.IsNull()) reader_.Fail(doc, "the dashboard is empty", "give it a title and panels");
    reader_.ExpectMap(doc, "", kTopKeys);
    spec.title = Required(doc, "", "title", "for example: title: Shop sales");
    if (auto filters = doc["filters"]) spec.filters = Filters(filters);
    auto panels = doc["panels"];
    if (!panels || !panels.IsSequence() || panels.size() == 0) {
      reader_.Fail(panels ? panels : doc, "'panels' must be a non-empty list of panels",
                   "for example: panels: [{id: orders, type: table, view: shop.sales}]");
    }
    std::set<std::string> ids;
    for (size_t i = 0; i < panels.size(); ++i) {
      Panel panel = ParsePanel(panels[i], "panels[" + std::to_string(i) + "]", spec);
      if (!ids.insert(panel.id).second) {
        reader_.Fail(panels[i]["id"], "two panels have the id '" + panel.id + "'",
                     "give each panel its own id");
      }
      spec.panels.push_back(std::move(panel));
    }
    return spec;
  }

 private:
  std::string Required(const YAML::Node& map, const std::string& path, const std::string& key,
                       const std::string& hint) {
    auto node = map[key];
    std::string full = YamlReader::Join(path, key);
    if (!node)
      reader_.Fail(map,
                   YamlReader::Quoted(path.empty() ? "dashboard" : path) + " needs a '" + key + "'",
                   hint);
    std::string value = reader_.String(node, full);
    if (value.empty()) reader_.Fail(node, YamlReader::Quoted(full) + " must not be empty", hint);
    return value;
  }

  std::string Optional(const YAML::Node& map, const std::string& path, const std::string& key) {
    auto node = map[key];
    return node ? reader_.String(node, YamlReader::Join(path, key)) : std::string();
  }

  std::string Column(const YAML::Node& map, const std::string& path, const std::string& key) {
    std::string name = Required(map, path, key, "name a column of filters.source");
    if (!IsIdentifier(name)) {
      reader_.Fail(map[key], "'" + YamlReader::Join(path, key) + "' must be a column name, not '" +
                                 name + "'");
    }
    return name;
  }

  FilterSpec Filters(const YAML::Node& node) {
    reader_.ExpectMap(node, "filters", kFilterKeys);
    FilterSpec filters;
    filters.source = Required(node, "filters", "source", "for example: source: shop.sales");
    if (!IsQualifiedName(filters.source)) {
      reader_.Fail(node["source"],
                   "'filters.source' must name a view or table as <database>.<name>",
                   "for example: source: shop.sales");
    }
    filters.date = Column(node, "filters", "date");
    filters.branch = Column(node, "filters", "branch");
    filters.category = Column(node, "filters", "category");
    return filters;
  }

  Panel ParsePanel(const YAML::Node& node, const std::string& path, const DashboardSpec& spec) {
    reader_.ExpectMap(node, path, kPanelKeys);
    Panel panel;
    panel.where_defined = reader_.Where(node);
    panel.id = Required(node, path, "id", "for example: id: top_products");
    if (!IsIdentifier(panel.id)) {
      reader_.Fail(node["id"],
                   "'" + path + ".id' must be letters, digits and '_', not '" + panel.id + "'");
    }
    panel.type = Required(node, path, "type", "one of: " + YamlReader::JoinAll(kPanelTypes));
    if (std::find(kPanelTypes.begin(), kPanelTypes.end(), panel.type) == kPanelTypes.end()) {
      reader_.Fail(node["type"],
                   "unknown panel type '" + panel.type + "'" + DidYouMean(panel.type, kPanelTypes),
                   "one of: " + YamlReader::JoinAll(kPanelTypes));
    }
    panel.title = Required(node, path, "title", "the heading shown above the panel");
    panel.description = Optional(node, path, "description");
    panel.view = Optional(node, path, "view");
    panel.where = Optional(node, path, "where");
    panel.sql = Optional(node, path, "sql");
    if (panel.view.empty() == panel.sql.empty()) {
      reader_.Fail(node, "'" + path + "' needs exactly one of 'view' and 'sql'",
                   "view: shop.top10_customers, or sql: SELECT ...");
    }
    if (!panel.view.empty() && !IsQualifiedName(panel.view)) {
      reader_.Fail(node["view"],
                   "'" + path + ".view' must be <database>.<name>, not '" + panel.view + "'",
                   "for example: view: shop.top10_customers");
    }
    if (!panel.where.empty() && panel.view.empty()) {
      reader_.Fail(node["where"], "'" + path + ".where' goes with 'view'",
                   "with sql, write the condition in the SQL");
    }
    if (panel.filtered() && !spec.filters) {
      reader_.Fail(node["sql"],
                   "'" + path + ".sql' reads " + kFilteredSource +
                       " but the dashboard declares no 'filters'",
                   "add filters: {source: shop.sales, date: ..., branch: ..., category: ...}");
    }
    bool chart = panel.type == "bar" || panel.type == "line";
    if (chart) {
      auto encoding = node["encoding"];
      if (!encoding || !encoding.IsMap() || encoding.size() == 0) {
        reader_.Fail(encoding ? encoding : node,
                     "'" + path + "' is a " + panel.type + " chart and needs an 'encoding'",
                     "a Vega-Lite encoding, e.g. {x: {field: revenue, type: quantitative}, "
                     "y: {field: product_name, type: nominal}}");
      }
      panel.encoding = YamlToJson(encoding);
      panel.mark = node["mark"]
                       ? YamlToJson(node["mark"])
                       : nlohmann::ordered_json(
                             panel.type == "bar"
                                 ? nlohmann::ordered_json("bar")
                                 : nlohmann::ordered_json{{"type", "line"}, {"point", true}});
    } else {
      for (const char* key : {"encoding", "mark"}) {
        if (node[key]) {
          reader_.Fail(node[key], "'" + path + "." + key + "' is for bar and line panels",
                       "remove it, or make the panel a chart");
        }
      }
    }
    if (auto tiles = node["tiles"]) {
      if (panel.type != "kpi") reader_.Fail(tiles, "'" + path + ".tiles' is for kpi panels");
      if (!tiles.IsSequence() || tiles.size() == 0) {
        reader_.Fail(tiles, "'" + path + ".tiles' must be a non-empty list");
      }
      for (size_t i = 0; i < tiles.size(); ++i) {
        panel.tiles.push_back(Tile(tiles[i], path + ".tiles[" + std::to_string(i) + "]"));
      }
    } else if (panel.type == "kpi") {
      reader_.Fail(node, "'" + path + "' is a kpi panel and needs 'tiles'",
                   "for example: tiles: [{field: revenue, label: Revenue, format: currency}]");
    }
    panel.needs = Needs(node, path);
    if (auto columns = node["columns"]) {
      if (panel.type != "table")
        reader_.Fail(columns, "'" + path + ".columns' is for table panels");
      if (!columns.IsSequence()) reader_.Fail(columns, "'" + path + ".columns' must be a list");
      for (size_t i = 0; i < columns.size(); ++i) {
        panel.columns.push_back(
            reader_.String(columns[i], path + ".columns[" + std::to_string(i) + "]"));
      }
    }
    return panel;
  }

  KpiTile Tile(const YAML::Node& node, const std::string& path) {
    reader_.ExpectMap(node, path, kTileKeys);
    KpiTile tile;
    tile.field = Required(node, path, "field", "a column of the panel's result");
    tile.label = Required(node, path, "label", "the tile's caption");
    tile.needs = Needs(node, path);
    if (node["format"]) {
      tile.format = reader_.String(node["format"], path + ".format");
      if (std::find(kTileFormats.begin(), kTileFormats.end(), tile.format) == kTileFormats.end()) {
        reader_.Fail(node["format"],
                     "unknown format '" + tile.format + "'" + DidYouMean(tile.format, kTileFormats),
                     "one of: " + YamlReader::JoinAll(kTileFormats));
      }
    }
    return tile;
  }

  // `needs:` a role of the sales model or a list of them.
  std::vector<std::string> Needs(const YAML::Node& map, const std::string& path) {
    std::vector<std::string> needs;
    auto node = map["needs"];
    if (!node) return needs;
    std::vector<std::string> known = SalesRoles();
    known.push_back("stock");
    auto add = [&](const YAML::Node& item, const std::string& at) {
      auto role = reader_.String(item, at);
      if (std::find(known.begin(), known.end(), role) == known.end()) {
        reader_.Fail(item, "unknown sales role '" + role + "'" + DidYouMean(role, known),
                     "one of: " + YamlReader::JoinAll(known));
      }
      needs.push_back(role);
    };
    const std::string at = YamlReader::Join(path, "needs");
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) add(node[i], at + "[" + std::to_string(i) + "]");
    } else {
      add(node, at);
    }
    return needs;
  }

  YamlReader reader_;
};

// Moves the panels and tiles whose needs `project`'s sales model lacks into spec.skipped.
void SkipWhatTheDataLacks(const Project& project, DashboardSpec& spec) {
  std::vector<Panel> shown;
  for (auto& panel : spec.panels) {
    if (auto note = query::MissingRoleNote(project, panel.needs); !note.empty()) {
      spec.skipped.push_back({panel.id, panel.title, note});
      continue;
    }
    std::vector<KpiTile> tiles;
    for (auto& tile : panel.tiles) {
      if (auto note = query::MissingRoleNote(project, tile.needs); !note.empty()) {
        spec.skipped.push_back({panel.id + "." + tile.field, tile.label, note});
      } else {
        tiles.push_back(std::move(tile));
      }
    }
    panel.tiles = std::move(tiles);
    if (panel.type != "kpi" || !panel.tiles.empty()) shown.push_back(std::move(panel));
  }
  spec.panels = std::move(shown);
}

}  // namespace

bool Panel::filtered() const { return sql.find(kFilteredSource) != std::string::npos; }

DashboardSpec ParseDashboard(const std::string& text, const fs::path& file) {
  return DashboardParser(file).Parse(text);
}

DashboardSpec LoadDashboard(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    throw Error(ErrorCode::kNotFound, "no dashboard definition", file.string(),
                "write one (see docs/report.md) or point paths.dashboard in shoplake.yaml at it");
  }
  return ParseDashboard(ReadFile(file), file);
}

DashboardSpec LoadProjectDashboard(const Project& project, const std::optional<fs::path>& file) {
  DashboardSpec spec;
  const fs::path path = file ? *file : project.PathOf("dashboard");
  std::error_code ec;
  if (!file && project.sales && !fs::exists(path, ec)) {
    auto shipped = query::ShippedDashboardFor(project);
    spec = ParseDashboard(shipped.yaml, shipped.file);
  } else {
    spec = LoadDashboard(path);
  }
  SkipWhatTheDataLacks(project, spec);
  return spec;
}

}  // namespace shoplake::report
