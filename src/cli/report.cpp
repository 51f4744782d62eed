// `shoplake report`: renders the project's dashboard (pipeline/dashboard.yaml, or the one
// shipped over the sales model) over the
// lake's current snapshots into one self-contained HTML file (report/report.h), written
// into the lake's reports/ or to --out, and says what it drew from what.
#include "report/report.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "catalog/catalog.h"
#include "cli/context.h"
#include "common/error.h"
#include "common/files.h"
#include "query/sales_model.h"

namespace shoplake::cli {
namespace {
namespace fs = std::filesystem;

struct ReportFlags {
  std::string out;        //!< --out FILE; empty: the lake's reports/dashboard.html
  std::string dashboard;  //!< --dashboard FILE; empty: the project's paths.dashboard
  report::Filters filters;
  bool copy_dashboard = false;
  bool force = false;
};

// --copy-dashboard: the shipped dashboard as the project's own file, to edit.
void CopyDashboard(Context& context, const ReportFlags& flags) {
  const Project& project = context.project();
  const fs::path file =
      flags.dashboard.empty() ? project.PathOf("dashboard") : fs::absolute(flags.dashboard);
  auto shipped = query::ShippedDashboardFor(project);
  if (fs::exists(file) && !flags.force) {
    throw Error(ErrorCode::kConflict, "the project already has a dashboard file", file.string(),
                "edit it, or pass --force to overwrite it with the shipped dashboard");
  }
  fs::create_directories(file.parent_path());
  WriteFileAtomically(file, shipped.yaml);
  fmt::print("wrote {}: the project's dashboard is now this file; edit it, then shoplake report\n",
             file.lexically_proximate(project.root).string());
}

void RunReport(Context& context, const ReportFlags& flags) {
  if (flags.copy_dashboard) return CopyDashboard(context, flags);
  catalog::Catalog catalog(context.catalog_path(lake::CatalogFile::Access::kRead));
  report::RenderOptions options;
  if (!flags.out.empty()) options.out = flags.out;
  if (!flags.dashboard.empty()) options.dashboard_file = flags.dashboard;
  options.filters = flags.filters;
  auto result = report::RenderDashboard(context.lake(), catalog, context.project(), options);

  std::string where = result.key.empty() ? result.out.string() : result.key;
  fmt::print("report {}: {} panels, {} bytes\n", where, result.panels.size(), result.bytes);
  for (const auto& panel : result.panels) {
    fmt::print("  {:<20} {:<6} {} rows\n", panel.id, panel.type, panel.rows);
  }
  for (const auto& part : result.skipped) {
    fmt::print("  {:<20} not shown: {}\n", part.id, part.note);
  }
  if (!result.date_from.empty())
    fmt::print("data from {} to {}\n", result.date_from, result.date_to);
  for (const auto& table : result.snapshots) {
    fmt::print("read {} at snapshot {} ({} rows)\n", table.name, table.snapshot_id, table.rows);
  }
}

}  // namespace

void AddReportCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<ReportFlags>();
  auto* verb = app.add_subcommand("report", "Render the dashboard into one HTML file");
  verb->footer(
      "Runs each panel of the dashboard definition (paths.dashboard in shoplake.yaml, by\n"
      "default pipeline/dashboard.yaml; without that file, a project with a sales model gets\n"
      "the dashboard shipped with shoplake, less the panels its data cannot show) over the\n"
      "catalog's tables and views, and writes one\n"
      "HTML file that opens offline: the charts' data and Vega-Lite specs inline, with vega,\n"
      "vega-lite and vega-embed from web/node_modules (scripts/bootstrap installs them).\n"
      "The page says the data's date range, the snapshots it was built from and when.\n"
      "  shoplake report                      # the lake's reports/dashboard.html\n"
      "  shoplake report --out dashboard.html\n"
      "  shoplake report --from 2026-02-01 --to 2026-02-28 --branch 'Web Shop'\n"
      "Guide: docs/report.md");
  verb->add_option("--out", flags->out, "Write to FILE instead of the lake's reports/")
      ->type_name("FILE");
  verb->add_option("--dashboard", flags->dashboard, "Dashboard definition to render")
      ->type_name("FILE");
  verb->add_option("--from", flags->filters.from, "Only sales on or after DATE (YYYY-MM-DD)")
      ->type_name("DATE");
  verb->add_option("--to", flags->filters.to, "Only sales on or before DATE (YYYY-MM-DD)")
      ->type_name("DATE");
  verb->add_option("--branch", flags->filters.branch, "Only this branch's sales")
      ->type_name("NAME");
  verb->add_option("--category", flags->filters.category, "Only this category's sales")
      ->type_name("NAME");
  verb->add_flag("--copy-dashboard", flags->copy_dashboard,
                 "Write the dashboard shipped with shoplake to paths.dashboard (or --dashboard) "
                 "to change it; renders nothing");
  verb->add_flag("--force", flags->force, "With --copy-dashboard: overwrite the file");
  verb->callback([&context, flags] { RunReport(context, *flags); });
}

}  // namespace shoplake::cli
