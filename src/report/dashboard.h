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
  std::string format = "number";  //!< number, integer, currency or percent
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
  //! "file:line:column" of the panel, for errors found when it runs.
  std::string where_defined;

  //! True when the panel's rows depend on the filters (its SQL reads kFilteredSource).
  bool filtered() const;
};

struct DashboardSpec {
  std::filesystem::path file;
  std::string title;
  std::optional<FilterSpec> filters;
  std::vector<Panel> panels;
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

}  // namespace shoplake::report
