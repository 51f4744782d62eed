// `shoplake transform DATASET...`: raw CSV into the dataset's typed, partitioned Parquet
// table (transform/transform.h), and what happened to every row.
#include "transform/transform.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/error.h"
#include "pipeline/stages.h"

namespace shoplake::cli {
namespace {

struct TransformFlags {
  std::vector<std::string> datasets;
  transform::TransformOptions options;
  bool json = false;
};

void PrintResult(const transform::TransformResult& r, bool dry_run) {
  if (dry_run) {
    fmt::print("-- plan for {} -> {} (dry run: nothing is written)\n", r.dataset, r.table);
    for (const auto& step : r.plan) fmt::print("{}\n", step);
    return;
  }
  if (!r.committed) {
    fmt::print("transform {}: nothing new (table {} at snapshot {}, {} rows)\n", r.dataset, r.table,
               r.snapshot_id, r.table_rows);
    return;
  }
  const auto& t = r.totals;
  double rate =
      t.rows_read ? 100.0 * static_cast<double>(t.rows_rejected) / static_cast<double>(t.rows_read)
                  : 0;
  fmt::print(
      "transform {} -> {}: {} files, {} rows read = {} written + {} rejected ({:.2f}%) + {} "
      "duplicates "
      "dropped, in {:.1f}s\n",
      r.dataset, r.table, r.files.size(), t.rows_read, t.rows_written, t.rows_rejected, rate,
      t.duplicates_dropped, r.seconds);
  fmt::print("  snapshot {}: {} rows; run {}\n", r.snapshot_id, r.table_rows, r.run_id);
  if (!r.rounded.empty()) {
    std::string columns;
    for (const auto& [column, n] : r.rounded)
      columns += fmt::format("{}{} {}", columns.empty() ? "" : ", ", column, n);
    fmt::print("  rounded to the column's scale (round: true): {}\n", columns);
  }
  if (!r.rejects.empty()) {
    std::map<std::string, int> by_rule;
    for (const auto& reject : r.rejects) ++by_rule[reject.rule];
    std::string rules;
    for (const auto& [rule, n] : by_rule)
      rules += fmt::format("{}{} {}", rules.empty() ? "" : ", ", rule, n);
    fmt::print("  rejects: {} ({})\n", r.rejects_prefix, rules);
  }
}

void RunTransform(Context& context, const TransformFlags& flags) {
  auto workspace = context.workspace();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : flags.datasets) {
    auto result = pipeline::Transform(workspace, name, flags.options);
    if (flags.json) {
      out.push_back(pipeline::TransformJson(result, true));
    } else {
      PrintResult(result, flags.options.dry_run);
    }
  }
  if (flags.json) fmt::print("{}\n", out.dump());
}

}  // namespace

void AddTransformCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<TransformFlags>();
  auto* transform = app.add_subcommand(
      "transform", "Turn a dataset's raw CSV into its typed, partitioned Parquet table");
  transform->footer(
      "Reads the raw files the dataset's bookmark has not seen, casts and checks them with its\n"
      "mapping (pipeline/mappings/DATASET.yaml), drops duplicates on the primary key (the latest\n"
      "ingested file wins) and commits a new snapshot of processed/<db>/<table>/. Refused rows go\n"
      "to rejects/<table>/run_id=<id>/ with file, line, column, rule and raw line. Guide:\n"
      "docs/transform.md");
  transform->add_option("DATASET", flags->datasets, "Datasets from shoplake.yaml, in order")
      ->required();
  transform->add_flag("--full-refresh", flags->options.full_refresh,
                      "Rebuild the table from every raw file");
  transform->add_flag("--dry-run", flags->options.dry_run,
                      "Print the plan (files and SQL); write nothing");
  transform
      ->add_option("--max-reject-rate", flags->options.max_reject_rate,
                   "Fail, publishing nothing, when more than this share of rows is refused")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  transform
      ->add_option("--threads", flags->options.threads, "DuckDB threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  transform->add_flag("--json", flags->json, "Print the results as JSON");
  transform->callback([&context, flags] { RunTransform(context, *flags); });
}

}  // namespace shoplake::cli
