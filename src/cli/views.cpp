// `shoplake views apply|ls`: the analytics views of pipeline/views (query/views.h), created in
// dependency order and recorded in the catalog, where every query finds them.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/context.h"
#include "common/error.h"
#include "pipeline/stages.h"

namespace shoplake::cli {
namespace {

struct ViewsFlags {
  std::string dir;  //!< --dir; the project's paths.views when empty
  bool dry_run = false;
  bool json = false;
};

void Apply(Context& context, const ViewsFlags& flags) {
  auto applied = pipeline::ApplyViews(context.workspace(), flags.dir, flags.dry_run);
  for (const auto& note : applied.notes) fmt::print("note: {}\n", note);
  if (flags.dry_run) {
    for (const auto& view : applied.views) {
      fmt::print("would apply {}.{} from {}\n", view.database, view.name, view.file);
    }
    fmt::print("{} views checked; nothing recorded (--dry-run)\n", applied.views.size());
    return;
  }
  for (const auto& c : applied.changes) {
    if (c.change != "unchanged") fmt::print("{:<9} {} (v{})\n", c.change, c.view, c.version);
  }
  auto counts = applied.counts();
  fmt::print("views: {} created, {} updated, {} unchanged, {} dropped\n", counts["created"],
             counts["updated"], counts["unchanged"], counts["dropped"]);
}

void List(Context& context, const ViewsFlags& flags) {
  catalog::Catalog catalog(context.catalog_path(lake::CatalogFile::Access::kRead));
  auto views = catalog.Views();
  if (flags.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& v : views) {
      out.push_back({{"view", v.database + "." + v.name},
                     {"version", v.version},
                     {"updated_at", v.updated_at},
                     {"file", v.file},
                     {"sql", v.sql}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  if (views.empty()) {
    fmt::print("no views: run shoplake views apply\n");
    return;
  }
  size_t width = 4;
  for (const auto& v : views) width = std::max(width, v.database.size() + 1 + v.name.size());
  fmt::print("{:<{}}  {:>7}  {:<24}  {}\n", "view", width, "version", "updated", "file");
  for (const auto& v : views) {
    fmt::print("{:<{}}  {:>7}  {:<24}  {}\n", v.database + "." + v.name, width, v.version,
               v.updated_at, v.file);
  }
}

}  // namespace

void AddViewsCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<ViewsFlags>();
  auto* verb = app.add_subcommand("views", "The analytics views: apply pipeline/views, list them");
  verb->require_subcommand(1);
  verb->footer(
      "Each pipeline/views/<name>.sql holds one CREATE OR REPLACE VIEW <database>.<name> AS ...;\n"
      "apply creates them after the views they read and records them in the catalog, so\n"
      "shoplake query (and the dashboards) see them. Guide: docs/query.md");
  auto* apply = verb->add_subcommand(
      "apply", "Create the views of pipeline/views in dependency order; record them");
  apply->add_option("--dir", flags->dir, "Read the views from DIR (default: paths.views)")
      ->type_name("DIR");
  apply->add_flag("--dry-run", flags->dry_run, "Check every view against the lake; record nothing");
  apply->callback([&context, flags] { Apply(context, *flags); });
  auto* ls = verb->add_subcommand("ls", "Every view: version, when it last changed, its file");
  ls->add_flag("--json", flags->json, "Print JSON (with each view's SQL)");
  ls->callback([&context, flags] { List(context, *flags); });
}

}  // namespace shoplake::cli
