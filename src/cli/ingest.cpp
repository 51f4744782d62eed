// `shoplake ingest SOURCE` and `shoplake ledger`: copy a source's objects into the raw
// zone exactly once, and list what has been copied.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/uri.h"
#include "ingest/ingestor.h"

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

// A source's folder name in raw/: lower-case letters, digits, '-' and '_'.
bool IsSourceName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string DerivedSourceName(const std::string& uri) {
  Uri parsed = ParseUri(uri);
  std::string base = parsed.scheme == "file"
                         ? std::filesystem::path(parsed.path).filename().string()
                         : parsed.authority;
  std::string name;
  for (char c : base) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name.push_back(
        ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') ? c : '-');
  }
  return name;
}

void RunIngest(Context& context, const IngestFlags& flags) {
  // SOURCE is a source named in shoplake.yaml, or a URI or path.
  std::string uri = flags.source;
  std::string name = flags.source_name;
  const auto& sources = context.project().sources;
  auto named = std::find_if(sources.begin(), sources.end(),
                            [&](const SourceSpec& s) { return s.name == flags.source; });
  if (named != sources.end()) {
    uri = named->uri;
    if (name.empty()) name = named->name;
  }
  if (name.empty()) name = DerivedSourceName(uri);
  if (!IsSourceName(name)) {
    throw Error(ErrorCode::kUsage, "invalid source name '" + name + "'", "--source-name",
                "use lower-case letters, digits, '-' and '_'");
  }
  if (!flags.ingest_date.empty() && !IsIsoDate(flags.ingest_date)) {
    throw Error(ErrorCode::kUsage, "not a date: '" + flags.ingest_date + "'", "--ingest-date",
                "write it as YYYY-MM-DD");
  }
  ingest::SourceOptions source_options;
  source_options.stall_timeout = std::chrono::seconds(flags.stall_timeout_s);
  auto source = ingest::OpenSource(uri, source_options);

  lake::Store& lake = context.lake();
  ingest::IngestLedger ledger(context.catalog_path());
  ingest::IngestOptions options;
  options.source_name = name;
  options.ingest_date = flags.ingest_date;
  options.parallel = flags.parallel;
  options.retry.max_attempts = flags.max_attempts;
  options.retry.initial_delay = std::chrono::milliseconds(flags.retry_delay_ms);
  options.progress = !context.options.quiet;
  // One ingest per source at a time; others of the same source wait their turn.
  auto lock = lake.Acquire("ingest-" + name, std::chrono::minutes(10));
  ingest::Ingestor ingestor(lake, ledger, options);
  auto summary = ingestor.Run(*source);

  int worst_exit = 0;
  for (const auto& o : summary.objects) {
    if (o.outcome == ingest::IngestedObject::Outcome::kFailed) {
      spdlog::error("failed: {}", o.error);
      worst_exit = std::max(worst_exit, o.exit_code);
    }
  }
  if (flags.json) {
    nlohmann::json out = {{"run_id", summary.run_id},
                          {"source", name},
                          {"source_uri", summary.source_uri},
                          {"new", summary.objects_new},
                          {"unchanged", summary.objects_unchanged},
                          {"failed", summary.objects_failed},
                          {"bytes", summary.bytes},
                          {"seconds", summary.seconds}};
    for (const auto& o : summary.objects) {
      const char* outcome = o.outcome == ingest::IngestedObject::Outcome::kNew         ? "new"
                            : o.outcome == ingest::IngestedObject::Outcome::kUnchanged ? "unchanged"
                                                                                       : "failed";
      out["objects"].push_back({{"uri", o.object.uri},
                                {"outcome", outcome},
                                {"raw_key", o.raw_key},
                                {"attempts", o.attempts},
                                {"error", o.error}});
    }
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("ingest {}: {} new ({}), {} unchanged, {} failed in {:.1f}s ({}/s); run {}\n", name,
               summary.objects_new, Progress::Bytes(static_cast<double>(summary.bytes)),
               summary.objects_unchanged, summary.objects_failed, summary.seconds,
               Progress::Bytes(summary.seconds > 0 ? summary.bytes / summary.seconds : 0),
               summary.run_id);
  }
  if (summary.objects_failed > 0) {
    throw Error(worst_exit == 2 ? ErrorCode::kUsage : ErrorCode::kData,
                std::to_string(summary.objects_failed) + " of " +
                    std::to_string(summary.objects.size()) + " objects failed (listed above)",
                summary.source_uri,
                "fix the cause and run the same command again: what arrived is kept");
  }
}

void RunLedger(Context& context, const std::string& source, bool json) {
  ingest::IngestLedger ledger(context.catalog_path());
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
  auto* ledger = app.add_subcommand("ledger", "List the objects ingest has copied into the lake");
  ledger->add_option("--source", *source, "Only this source");
  ledger->add_flag("--json", *json, "Print as JSON");
  ledger->callback([&context, source, json] { RunLedger(context, *source, *json); });
}

}  // namespace shoplake::cli
