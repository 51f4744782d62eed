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
#include "common/files.h"
#include "pipeline/stages.h"
#include "query/sales_model.h"

namespace shoplake::cli {
namespace {
namespace fs = std::filesystem;

struct ViewsFlags {
  std::string dir;                 //!< --dir; the project's paths.views when empty
  std::vector<std::string> names;  //!< copy: the views to copy; empty: every shipped one
  bool force = false;
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

// `views copy`: the shipped views as the project's own files, to edit. A file there replaces
// the shipped view of its name (query/sales_model.h).
void Copy(Context& context, const ViewsFlags& flags) {
  const Project& project = context.project();
  const fs::path dir = flags.dir.empty() ? project.PathOf("views") : fs::absolute(flags.dir);
  std::vector<std::string> names = flags.names;
  if (names.empty()) {
    names = query::ShippedViewNames();
    names.insert(names.begin(), "sales");
  }
  std::vector<catalog::View> views;  // every one checked before anything is written
  for (const auto& name : names) {
    views.push_back(query::ShippedView(project, name));
    const fs::path file = dir / (name + ".sql");
    if (fs::exists(file) && !flags.force) {
      throw Error(ErrorCode::kConflict, "the project already has this view's file", file.string(),
                  "edit it, or pass --force to overwrite it with the shipped view");
    }
  }
  fs::create_directories(dir);
  for (const auto& view : views) {
    const fs::path file = dir / (view.name + ".sql");
    WriteFileAtomically(file, view.sql);
    fmt::print("wrote {}: {}.{} is now the project's own\n",
               file.lexically_relative(project.root).string(), view.database, view.name);
  }
  fmt::print("edit them, then shoplake views apply\n");
}

}  // namespace

void AddViewsCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<ViewsFlags>();
  auto* verb = app.add_subcommand("views", "The analytics views: apply them, copy, list them");
  verb->require_subcommand(1);
  verb->footer(
      "A project with a sales model (shoplake.yaml's sales:) gets <database>.sales and the\n"
      "views shipped with shoplake that its roles support; each pipeline/views/<name>.sql holds\n"
      "one CREATE OR REPLACE VIEW <database>.<name> AS ... and replaces a shipped view of its\n"
      "name. apply creates them after the views they read and records them in the catalog, so\n"
      "shoplake query (and the dashboards) see them. Guide: docs/query.md");
  auto* apply =
      verb->add_subcommand("apply", "Create the project's views in dependency order; record them");
  apply->add_option("--dir", flags->dir, "Read the views from DIR (default: paths.views)")
      ->type_name("DIR");
  apply->add_flag("--dry-run", flags->dry_run, "Check every view against the lake; record nothing");
  apply->callback([&context, flags] { Apply(context, *flags); });
  auto* copy = verb->add_subcommand(
      "copy", "Copy views shipped with shoplake into pipeline/views, to change them");
  copy->add_option("names", flags->names, "Views to copy (default: sales and every shipped one)")
      ->type_name("NAME");
  copy->add_option("--dir", flags->dir, "Write them to DIR (default: paths.views)")
      ->type_name("DIR");
  copy->add_flag("--force", flags->force, "Overwrite the project's files of the same names");
  copy->callback([&context, flags] { Copy(context, *flags); });
  auto* ls = verb->add_subcommand("ls", "Every view: version, when it last changed, its file");
  ls->add_flag("--json", flags->json, "Print JSON (with each view's SQL)");
  ls->callback([&context, flags] { List(context, *flags); });
}

}  // namespace shoplake::cli
