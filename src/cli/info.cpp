// `shoplake info`: where shoplake thinks things are (project, lake, versions), as
// `dbt debug` does: the first thing to run when a command does not find what you meant.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "db/duckdb.h"
#include "shoplake/version.h"

namespace shoplake::cli {

void AddInfoCommand(CLI::App& app, Context& context) {
  auto* info = app.add_subcommand("info", "Show the project, the lake and the versions in use");
  auto json = std::make_shared<bool>(false);
  info->add_flag("--json", *json, "Print as one JSON object");
  info->callback([&context, json] {
    const Project& project = context.project();
    nlohmann::json out = {
        {"shoplake", kVersion},
        {"duckdb", db::DuckDbVersion()},
        {"project_file", project.file ? project.file->string() : ""},
        {"project_root", project.root.string()},
        {"project", project.name},
        {"lake", context.lake_uri()},
    };
    for (const auto& source : project.sources) out["sources"][source.name] = source.uri;
    for (const auto& dataset : project.datasets) out["datasets"].push_back(dataset.name);
    if (project.sales) {
      out["sales"] = {{"table", project.sales->table}, {"roles", project.sales->roles}};
      if (!project.sales->stock_table.empty()) out["sales"]["stock"] = project.sales->stock_table;
    }
    if (*json) {
      fmt::print("{}\n", out.dump());
      return;
    }
    fmt::print("shoplake      {} (DuckDB {})\n", kVersion, db::DuckDbVersion());
    fmt::print("project file  {}\n", project.file ? project.file->string() : "(none: defaults)");
    fmt::print("project root  {}\n", project.root.string());
    fmt::print("lake          {}\n", context.lake_uri());
    for (const auto& source : project.sources) {
      fmt::print("source        {} = {}\n", source.name, source.uri);
    }
    for (const auto& dataset : project.datasets) {
      fmt::print("dataset       {} <- {}:{}\n", dataset.name, dataset.source, dataset.pattern);
    }
    if (project.sales) {
      std::string roles;
      for (const auto& role : SalesRoles()) {
        if (project.sales->roles.count(role)) roles += (roles.empty() ? "" : ", ") + role;
      }
      fmt::print("sales model   {}: {}{}\n", project.sales->table, roles,
                 project.sales->stock_table.empty() ? "" : "; stock " + project.sales->stock_table);
    }
  });
}

}  // namespace shoplake::cli
