// `shoplake crawl [PATH...]`: registers and updates the tables nobody else registered
// (crawl/crawler.h), as a Glue crawler does, and says what it did to each.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/error.h"
#include "crawl/crawler.h"
#include "pipeline/stages.h"

namespace shoplake::cli {
namespace {

struct CrawlFlags {
  std::vector<std::string> paths;
  std::string recrawl = "new";
  bool update_incompatible = false;
  bool keep_deleted = false;
  bool json = false;
  int lock_timeout_s = 60;
};

void RunCrawl(Context& context, const CrawlFlags& flags) {
  crawl::CrawlOptions options;
  options.paths = flags.paths;
  options.recrawl_all = flags.recrawl == "all";
  options.update_incompatible = flags.update_incompatible;
  options.mark_deleted = !flags.keep_deleted;
  options.lock_wait = std::chrono::seconds(flags.lock_timeout_s);
  auto report = pipeline::Crawl(context.workspace(), options);
  if (flags.json) {
    fmt::print("{}\n", pipeline::CrawlJson(report).dump());
    return;
  }
  size_t width = 5;
  for (const auto& t : report.tables) width = std::max(width, t.table.size());
  for (const auto& t : report.tables) {
    fmt::print("{:<12} {:<{}}  {}\n", t.action, t.table, width, t.detail);
  }
  fmt::print("crawled {} tables in {:.2f}s: partitions +{} -{}\n", report.tables.size(),
             report.seconds, report.partitions_added, report.partitions_deleted);
}

}  // namespace

void AddCrawlCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<CrawlFlags>();
  auto* crawl = app.add_subcommand(
      "crawl", "Infer schemas and partitions of the lake's files into the catalog");
  crawl->footer(
      "Walks processed/, raw/ and rejects/ (or the given lake paths), groups files into tables by\n"
      "folder, detects key=value partitions, infers schemas from Parquet footers and sampled CSV,\n"
      "and registers or updates the tables no other stage owns. Compatible changes (new columns,\n"
      "wider types) make a new table version; incompatible ones are reported and left out. Guide:\n"
      "docs/catalog.md");
  crawl->add_option("PATH", flags->paths,
                    "Lake paths to crawl (default: processed/ raw/ rejects/)");
  crawl
      ->add_option("--recrawl", flags->recrawl,
                   "new: only folders that changed; all: read every file again")
      ->check(CLI::IsMember({"new", "all"}))
      ->capture_default_str();
  crawl->add_flag("--update-incompatible", flags->update_incompatible,
                  "Apply incompatible schema changes (dropped or retyped columns) too");
  crawl->add_flag(
      "--keep-deleted-partitions", flags->keep_deleted,
      "Leave partitions whose folders vanished as they are (default: mark them deleted)");
  crawl
      ->add_option("--lock-timeout", flags->lock_timeout_s,
                   "Seconds to wait for another crawl of this lake before giving up")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  crawl->add_flag("--json", flags->json, "Print the report as JSON");
  crawl->callback([&context, flags] { RunCrawl(context, *flags); });
}

}  // namespace shoplake::cli
