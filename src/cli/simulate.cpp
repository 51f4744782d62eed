// `shoplake simulate`: writes the simulated shop's exports (simulate/generator.h) and says
// what it wrote. Flags left out take the project's `simulate:` section, then the built-in
// defaults, so `shoplake simulate` in a project reproduces that project's shop.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <optional>

#include "cli/context.h"
#include "common/log.h"
#include "common/progress.h"
#include "simulate/generator.h"

namespace shoplake::cli {
namespace {

struct SimulateFlags {
  std::optional<std::string> out;
  std::optional<uint64_t> seed;
  std::optional<int> days;
  std::optional<std::string> start;
  std::optional<uint64_t> orders;
  std::optional<double> dirty_rate;
  std::optional<double> realities;
  int threads = 0;
  bool force = false;
  bool json = false;
};

void Simulate(const SimulateFlags& flags, Context& context) {
  const Project& project = context.project();
  const SimulateSpec& spec = project.simulate;
  simulate::GeneratorOptions options;
  options.shop.seed = flags.seed.value_or(spec.seed);
  options.shop.days = flags.days.value_or(spec.days);
  options.shop.start = flags.start.value_or(spec.start);
  options.shop.orders = flags.orders.value_or(spec.orders);
  options.dirty_rate = flags.dirty_rate.value_or(spec.dirty_rate);
  options.shop.realities = flags.realities.value_or(spec.realities);
  // --out is relative to where the user stands; the project's path to the project root.
  options.out = flags.out ? std::filesystem::path(*flags.out) : project.root / spec.out;
  options.threads = flags.threads;
  options.force = flags.force;
  options.progress = !context.options.quiet && !flags.json && StderrIsTerminal();

  simulate::Export result = simulate::Generate(options);

  uint64_t faults = 0;
  for (const auto& lines : result.faults) faults += lines.size();
  if (flags.json) {
    fmt::print("{}", simulate::ManifestJson(options, result));
    return;
  }
  double seconds = std::max(result.seconds, 1e-6);
  fmt::print("wrote {} files, {} to {} in {:.1f}s ({}/s)\n", result.files.size(),
             Progress::Bytes(static_cast<double>(result.bytes)), options.out.string(), seconds,
             Progress::Bytes(static_cast<double>(result.bytes) / seconds));
  fmt::print("  {} days from {}, seed {}: {} orders, {} order lines\n", options.shop.days,
             options.shop.start, options.shop.seed, result.orders, result.order_lines);
  if (options.dirty_rate > 0) {
    fmt::print("  {} faults injected (dirty rate {}):", faults, options.dirty_rate);
    for (int k = 0; k < simulate::kFaultKinds; ++k) {
      fmt::print(" {} {}", simulate::FaultName(static_cast<simulate::Fault>(k)),
                 result.faults[k].size());
    }
    fmt::print("\n");
  }
  const simulate::Realities& r = result.realities;
  if (options.shop.realities > 0) {
    fmt::print(
        "  realities (rate {}): {} repeated products, {} empty unit costs, {} empty discounts, "
        "renamed {} products, {} branches, {} customers; closed month: {}; twin orders: {}\n",
        options.shop.realities, r.repeated_products, r.empty_unit_costs, r.empty_discounts,
        r.renamed_products.size(), r.renamed_branches.size(), r.renamed_customers.size(),
        r.closed_month.empty() ? "none" : r.closed_month, r.twin_orders);
  }
  fmt::print("  manifest: {}\n", (options.out / "_manifest.json").string());
}

}  // namespace

void AddSimulateCommand(CLI::App& app, Context& context) {
  auto* simulate = app.add_subcommand(
      "simulate", "Write the simulated shop's daily exports (orders, products, customers)");
  simulate->footer(
      "Unset flags come from shoplake.yaml's simulate: section, else the defaults shown.\n"
      "Files: DIR/orders/, products/, customers/ (one CSV per day) and DIR/_manifest.json\n"
      "(every file's rows, bytes and sha256; every injected fault's file and line).\n"
      "'shoplake simulate serve --help' serves an export as a GCS bucket. Guide: docs/simulate.md");
  auto flags = std::make_shared<SimulateFlags>();
  simulate
      ->add_option("--out", flags->out, "Export folder (default: the project's, else ./exports)")
      ->type_name("DIR");
  simulate
      ->add_option("--seed", flags->seed, "Random seed; one seed gives the same bytes (default 42)")
      ->type_name("N");
  simulate->add_option("--days", flags->days, "Days to export (default 90)")
      ->check(CLI::Range(1, 3660))
      ->type_name("D");
  simulate->add_option("--start", flags->start, "First day, YYYY-MM-DD (default 2026-01-01)")
      ->type_name("DATE");
  simulate
      ->add_option("--orders", flags->orders,
                   "Orders in the whole period; each has 1-8 lines, 2.1 on average (default 95000)")
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  simulate
      ->add_option("--dirty-rate", flags->dirty_rate,
                   "Share of order lines to damage with realistic faults, 0..1 (default 0)")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("R");
  simulate
      ->add_option("--realities", flags->realities,
                   "Rate of what real exports hold: repeated products, renames, empty costs and "
                   "discounts, a closed month, twin customers; 0: none (default 0.01)")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("R");
  simulate
      ->add_option("--threads", flags->threads,
                   "Threads (default: one per core); the output is the same")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  simulate->add_flag("--force", flags->force, "Replace an existing export in the folder");
  simulate->add_flag("--json", flags->json, "Print the manifest (JSON) instead of a summary");
  AddSimulateServeCommand(*simulate, context);
  simulate->require_subcommand(0, 1);
  simulate->callback([simulate, flags, &context] {
    if (simulate->got_subcommand("serve")) return;  // `simulate serve` ran instead
    Simulate(*flags, context);
  });
}

}  // namespace shoplake::cli
