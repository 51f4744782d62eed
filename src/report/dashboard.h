// DashboardSpec: pipeline/dashboard.yaml parsed and checked, the definition of what
// `shoplake report` renders and `shoplake serve` shows. A dashboard is a title, the filters
// its SQL can be narrowed by, and panels: KPI tiles, bar and line charts (a Vega-Lite
// encoding) and tables, each fed by one catalog view or one SELECT. docs/report.md
// describes the file.
//
// Thread safety: plain values; the functions are stateless.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/project.h"

namespace shoplake::report {

//! The placeholder a panel's SQL writes for the filtered rows of filters.source.
inline constexpr const char* kFilteredSource = "{sales}";

//! Which relation the filters narrow and which of its columns each filter tests.
struct FilterSpec {
  std::string source;    //!< "<database>.<view or table>", e.g. shop.sales
  std::string date;      //!< a DATE column: the date range filter
  std::string branch;    //!< the branch filter's column
  std::string category;  //!< the category filter's column
};

//! One KPI tile: a column of the panel's (one-row) result.
struct KpiTile {
  std::string field;
  std::string label;
  std::string format = "number";   //!< number, integer, currency or percent
  std::vector<std::string> needs;  //!< roles of the sales model it shows (query/sales_model.h)
};

struct Panel {
  std::string id;    //!< unique in the dashboard; the page's anchor and test handle
  std::string type;  //!< kpi, bar, line or table
  std::string title;
  std::string description;
  std::string view;                  //!< "<database>.<name>" (exactly one of view and sql)
  std::string where;                 //!< with view: a SQL condition on the view's columns
  std::string sql;                   //!< one SELECT; may read kFilteredSource
  nlohmann::ordered_json mark;       //!< bar, line: Vega-Lite mark (default from type)
  nlohmann::ordered_json encoding;   //!< bar, line: Vega-Lite encoding
  std::vector<KpiTile> tiles;        //!< kpi
  std::vector<std::string> columns;  //!< table: columns shown, in order (empty: all)
  //! Roles of the project's sales model the panel reads (query/sales_model.h): a project
  //! whose model lacks one shows a note instead of the panel.
  std::vector<std::string> needs;
  //! "file:line:column" of the panel, for errors found when it runs.
  std::string where_defined;

  //! True when the panel's rows depend on the filters (its SQL reads kFilteredSource).
  bool filtered() const;
};

//! A panel or KPI tile left out because the project's data lacks what it shows.
struct SkippedPart {
  std::string id;     //!< the panel's id, or "<panel id>.<tile field>"
  std::string title;  //!< the panel's title or the tile's label
  std::string note;   //!< why: "needs the sales model's cost (...)"
};

struct DashboardSpec {
  std::filesystem::path file;
  std::string title;
  std::optional<FilterSpec> filters;
  std::vector<Panel> panels;
  std::vector<SkippedPart> skipped;  //!< by LoadProjectDashboard, in the file's order
};

//! Parses `text` as read from `file`. Throws Error(kConfig) naming "file:line:column" and
//! the key's dotted path for malformed YAML, an unknown key (with the nearest known one), a
//! missing or mistyped field, an unknown panel type, a duplicate panel id, a panel with
//! both or neither of view and sql, a chart without an encoding, or SQL that reads
//! {sales} when the dashboard declares no filters.
DashboardSpec ParseDashboard(const std::string& text, const std::filesystem::path& file);

//! Reads and parses `file`. Throws Error(kNotFound) when it does not exist, else as
//! ParseDashboard.
DashboardSpec LoadDashboard(const std::filesystem::path& file);

//! The dashboard of `project`: `file` when given, else its paths.dashboard; when that file
//! does not exist and the project has a sales model, the dashboard shipped with shoplake
//! (query/sales_model.h). Panels and tiles that need roles the sales model lacks move to
//! `skipped`. Throws as LoadDashboard.
DashboardSpec LoadProjectDashboard(const Project& project,
                                   const std::optional<std::filesystem::path>& file = {});

}  // namespace shoplake::report
