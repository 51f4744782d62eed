// Dashboards, QuickSight's job in-process: a DashboardSpec (report/dashboard.h) run through
// the QueryEngine and drawn by Vega-Lite in one self-contained HTML page. The C++ side
// writes only data and Vega-Lite specs (JSON); the page's script (web/dashboard.js) hands
// them to vega-embed. `shoplake report` writes the page into the lake; `shoplake serve`
// serves the same page live, its filters applied in SQL on the server.
//
// Thread safety: free functions. RenderDashboard opens its own QueryEngine; DashboardData
// uses the engine it is given (one engine per thread).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/project.h"
#include "lake/store.h"
#include "query/engine.h"
#include "report/dashboard.h"

namespace shoplake::report {

//! The dashboard filters a viewer chose; empty fields do not filter.
struct Filters {
  std::string from;  //!< YYYY-MM-DD, inclusive
  std::string to;    //!< YYYY-MM-DD, inclusive
  std::string branch;
  std::string category;

  bool empty() const { return from.empty() && to.empty() && branch.empty() && category.empty(); }
};

//! What {sales} stands for under `filters`: spec.source itself when nothing is filtered,
//! else a subquery over it with one condition per filter (values as SQL literals). Throws
//! Error(kUsage) for a date that is not YYYY-MM-DD.
std::string FilteredSource(const FilterSpec& spec, const Filters& filters);

//! Up to `limit` rows of `result` as JSON objects, keys in column order: numbers and
//! booleans as JSON's own (inf and nan as text), everything else as DuckDB prints it, NULL
//! as null. Sets *truncated when rows were left out.
nlohmann::ordered_json RowsToJson(db::Result& result, size_t limit = SIZE_MAX,
                                  bool* truncated = nullptr);

//! What DashboardData adds for a live page.
struct DataOptions {
  std::string rendered_at;      //!< ISO 8601; empty: now
  bool filter_choices = false;  //!< list the branches and categories a viewer can pick
};

//! Runs every panel of `spec` (filtered by `filters`) in `engine` and returns the document
//! the page draws: {"title", "rendered_at", "date_range": {"from","to"}, "snapshots":
//! [{"table","snapshot_id","rows","bytes"}], "filters": {"applied", "choices"?},
//! "panels": [{"id","type","title","description","filtered","rows", and "spec" (a complete
//! Vega-Lite spec with its data inline) for charts, "tiles" for KPIs, "columns" and
//! "data" for tables}]}. A panel whose SQL fails, or whose encoding, tiles or columns name a
//! column its result lacks, throws Error naming the panel and its place in the file.
nlohmann::ordered_json DashboardData(query::QueryEngine& engine, const DashboardSpec& spec,
                                     const Filters& filters, const DataOptions& options = {});

//! The files a page inlines: the chart runtime (vega, vega-lite, vega-embed from web/'s npm
//! packages) and the page's own script and style.
struct WebAssets {
  std::string vega, vega_lite, vega_embed, script, style;

  //! Reads them from `dir` (WebDir() by default). Throws Error(kNotFound) naming the missing
  //! file, with the hint to run scripts/bootstrap.
  static WebAssets Load(const std::filesystem::path& dir);

  //! The same files as they lie under `dir`: path relative to it -> bytes (what a folder
  //! given as $SHOPLAKE_WEB_DIR must hold). Throws as Load does.
  static std::map<std::string, std::string> Files(const std::filesystem::path& dir);
};

//! Where the page assets are: $SHOPLAKE_WEB_DIR when set, else the source tree's web/
//! folder this binary was built from.
std::filesystem::path WebDir();

//! The page asset `relative` under `dir` (a WebDir()). Throws Error(kNotFound) naming the
//! missing file, with the hint to run scripts/bootstrap or set SHOPLAKE_WEB_DIR.
std::string ReadWebFile(const std::filesystem::path& dir, const std::string& relative);

struct PageOptions {
  //! The URL the page fetches filtered data from ("/api/dashboard"); empty for a static
  //! report, which shows no filters.
  std::string api;
  //! Links shown above the title (the web app's navigation), as trusted HTML.
  std::string nav_html;
};

//! The complete HTML page for `data` (DashboardData's document): self-contained, no
//! request leaves it unless options.api is set.
std::string DashboardHtml(const nlohmann::ordered_json& data, const WebAssets& assets,
                          const PageOptions& options = {});

//! The chart runtime as inline <script> elements (vega, vega-lite, vega-embed), for any page
//! that draws Vega-Lite specs.
std::string ChartRuntimeHtml(const WebAssets& assets);

//! `json` as text safe to put inside a <script> element (no "<" outside escapes).
std::string ScriptJson(const nlohmann::ordered_json& json);

//! `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

struct RenderOptions {
  //! The dashboard definition; default: the project's paths.dashboard.
  std::optional<std::filesystem::path> dashboard_file;
  //! Write the page to this file instead of the lake (atomically).
  std::optional<std::filesystem::path> out;
  //! The lake key to write; default: DefaultReportKey(project).
  std::string key;
  Filters filters;
  //! Where the page assets are; default: WebDir().
  std::optional<std::filesystem::path> web_dir;
};

struct PanelSummary {
  std::string id;
  std::string type;
  uint64_t rows = 0;
};

struct RenderResult {
  std::string key;                 //!< the lake key written; empty when options.out was set
  std::filesystem::path out;       //!< the file written when options.out was set
  uint64_t bytes = 0;              //!< of the page
  std::string rendered_at;         //!< ISO 8601
  std::string date_from, date_to;  //!< the data's date range; empty without filters
  std::vector<PanelSummary> panels;
  std::vector<SkippedPart> skipped;            //!< what the data cannot show, and why
  std::vector<query::MountedTable> snapshots;  //!< the tables read, at their snapshots
};

//! "<paths.reports>/dashboard.html": where `shoplake report` writes in the lake.
std::string DefaultReportKey(const Project& project);

//! Renders the project's dashboard over the lake's current snapshots (views included) into
//! one HTML page and writes it whole (Store::WriteAll publishes by rename) to the lake, or
//! to options.out. Throws Error(kConfig) for an invalid definition, Error(kNotFound) when
//! the definition or the page assets are missing, and the panel's Error when one fails.
RenderResult RenderDashboard(lake::Store& lake, catalog::Catalog& catalog, const Project& project,
                             const RenderOptions& options = {});

}  // namespace shoplake::report
