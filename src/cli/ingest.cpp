// `shoplake ingest SOURCE` and `shoplake ledger`: copy a source's objects into the raw
// zone exactly once, list what has been copied, and set a bad raw file aside (`ledger
// quarantine KEY`, `ledger release KEY`) so the transform skips it.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/error.h"
#include "common/progress.h"
#include "ingest/ingestor.h"
#include "pipeline/stages.h"

namespace shoplake::cli {
namespace {

struct IngestFlags {
  std::string source;
  std::string source_name;
  std::string ingest_date;
  int parallel = 4;
  int max_attempts = 5;
  int retry_delay_ms = 200;
  int stall_timeout_s = 30;
  bool json = false;
};

void RunIngest(Context& context, const IngestFlags& flags) {
  // SOURCE is a source named in shoplake.yaml, or a URI or path.
  pipeline::ResolvedSource source =
      pipeline::ResolveSource(context.project(), flags.source, flags.source_name);
  ingest::SourceOptions source_options;
  source_options.stall_timeout = std::chrono::seconds(flags.stall_timeout_s);
  ingest::IngestOptions options;
  options.ingest_date = flags.ingest_date;
  options.parallel = flags.parallel;
  options.retry.max_attempts = flags.max_attempts;
  options.retry.initial_delay = std::chrono::milliseconds(flags.retry_delay_ms);
  options.progress = !context.options.quiet;
  auto summary = pipeline::Ingest(context.workspace(), source, source_options, options);

  for (const auto& o : summary.objects) {
    if (o.outcome == ingest::IngestedObject::Outcome::kFailed) spdlog::error("failed: {}", o.error);
  }
  if (flags.json) {
    fmt::print("{}\n", pipeline::IngestJson(summary, source.name, true).dump());
  } else {
    fmt::print(
        "ingest {}: {} new ({}), {} unchanged, {} failed in {:.1f}s ({}/s); run {}\n", source.name,
        summary.objects_new, Progress::Bytes(static_cast<double>(summary.bytes)),
        summary.objects_unchanged, summary.objects_failed, summary.seconds,
        Progress::Bytes(summary.seconds > 0 ? summary.bytes / summary.seconds : 0), summary.run_id);
  }
  pipeline::CheckIngest(summary);
}

void RunLedger(Context& context, const std::string& source, bool json) {
  ingest::IngestLedger ledger(context.catalog_path(lake::CatalogFile::Access::kRead));
  auto entries = ledger.Entries(source.empty() ? std::nullopt : std::optional<std::string>(source));
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : entries) {
      out.push_back({{"source", e.source},
                     {"object_uri", e.object_uri},
                     {"version", e.version},
                     {"size", e.size},
                     {"md5", e.md5},
                     {"crc32c", e.crc32c},
                     {"sha256", e.sha256},
                     {"raw_key", e.raw_key},
                     {"run_id", e.run_id},
                     {"ingested_at", e.ingested_at}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  if (entries.empty()) {
    fmt::print("nothing ingested{}\n", source.empty() ? "" : " from source '" + source + "'");
    return;
  }
  size_t width = 8;
  for (const auto& e : entries) width = std::max(width, e.raw_key.size());
  fmt::print("{:<24}  {:>12}  {:<12}  {:<{}}  {}\n", "ingested_at", "size", "sha256", "raw_key",
             width, "version");
  for (const auto& e : entries) {
    fmt::print("{:<24}  {:>12}  {:<12}  {:<{}}  {}\n", e.ingested_at, e.size,
               e.sha256.substr(0, 12), e.raw_key, width, e.version);
  }
  fmt::print("{} objects\n", entries.size());
}

void RunQuarantine(Context& context, const std::string& raw_key, const std::string& reason) {
  ingest::IngestLedger ledger(context.catalog_path(lake::CatalogFile::Access::kWrite));
  ledger.Quarantine(raw_key, reason);
  fmt::print(
      "quarantined {}: the transform skips it from now on ('shoplake ledger release' "
      "lifts it)\n",
      raw_key);
}

void RunRelease(Context& context, const std::string& raw_key) {
  ingest::IngestLedger ledger(context.catalog_path(lake::CatalogFile::Access::kWrite));
  if (!ledger.Release(raw_key)) {
    throw Error(ErrorCode::kNotFound, "this raw file is not quarantined", raw_key,
                "'shoplake ledger --quarantined' lists the quarantined files");
  }
  fmt::print("released {}: the transform no longer skips it\n", raw_key);
}

void PrintQuarantined(Context& context, bool json) {
  ingest::IngestLedger ledger(context.catalog_path(lake::CatalogFile::Access::kRead));
  auto files = ledger.Quarantined();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : files) {
      out.push_back(
          {{"raw_key", f.raw_key}, {"reason", f.reason}, {"quarantined_at", f.quarantined_at}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  for (const auto& f : files) fmt::print("{}  {}  {}\n", f.quarantined_at, f.raw_key, f.reason);
  fmt::print("{} quarantined\n", files.size());
}

// `ledger quarantine KEY` and `ledger release KEY`, under `ledger`.
void AddQuarantineCommands(CLI::App& ledger, Context& context) {
  auto key = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>("set aside by hand");
  auto* quarantine = ledger.add_subcommand(
      "quarantine", "Set a raw file aside: every transform skips it (and says so)");
  quarantine->footer(
      "KEY is the file's raw key as 'shoplake ledger' lists it. The file stays in raw/ and in\n"
      "the ledger; the quarantine is recorded in the ledger. Guide: docs/transform.md");
  quarantine->add_option("KEY", *key, "The raw key")->required();
  quarantine->add_option("--reason", *reason, "Why, as the transform will say it");
  quarantine->callback([&context, key, reason] { RunQuarantine(context, *key, *reason); });
  auto released = std::make_shared<std::string>();
  auto* release = ledger.add_subcommand("release", "Lift a raw file's quarantine");
  release->add_option("KEY", *released, "The raw key")->required();
  release->callback([&context, released] { RunRelease(context, *released); });
}

}  // namespace

void AddIngestCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<IngestFlags>();
  auto* ingest = app.add_subcommand(
      "ingest", "Copy a source's objects into the lake's raw zone, exactly once");
  ingest->footer(
      "SOURCE is a source named in shoplake.yaml, or gs://bucket[/prefix] (set\n"
      "STORAGE_EMULATOR_HOST for an emulator), http(s)://host/path, file:///path or a path.\n"
      "Objects land in raw/<source>/ingest_date=YYYY-MM-DD/<name>; `shoplake ledger` lists them.");
  ingest->add_option("SOURCE", flags->source, "Source name or URI")->required();
  ingest->add_option("--source-name", flags->source_name,
                     "Folder under raw/ (default: the project's source name, or the bucket, "
                     "host or folder name)");
  ingest->add_option("--ingest-date", flags->ingest_date, "Partition date (default: today, UTC)")
      ->type_name("YYYY-MM-DD");
  ingest->add_option("--parallel", flags->parallel, "Objects copied at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  ingest
      ->add_option("--max-attempts", flags->max_attempts, "Attempts per object on transient errors")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  ingest
      ->add_option("--retry-delay-ms", flags->retry_delay_ms,
                   "First retry's maximum delay; doubles")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  ingest
      ->add_option("--stall-timeout", flags->stall_timeout_s,
                   "Seconds without a byte before a transfer is retried")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  ingest->add_flag("--json", flags->json, "Print the summary as JSON");
  ingest->callback([&context, flags] { RunIngest(context, *flags); });

  auto source = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto quarantined = std::make_shared<bool>(false);
  auto* ledger = app.add_subcommand(
      "ledger", "List the objects ingest has copied into the lake; set a bad raw file aside");
  ledger->add_option("--source", *source, "Only this source");
  ledger->add_flag("--quarantined", *quarantined, "List the quarantined raw files instead");
  ledger->add_flag("--json", *json, "Print as JSON");
  AddQuarantineCommands(*ledger, context);
  ledger->callback([&context, ledger, source, json, quarantined] {
    if (!ledger->get_subcommands().empty()) return;  // quarantine or release did the work
    if (*quarantined) return PrintQuarantined(context, *json);
    RunLedger(context, *source, *json);
  });
}

}  // namespace shoplake::cli
