// The stage functions: a project's names resolved into what each stage's library takes.
#include "pipeline/stages.h"

#include <algorithm>
#include <cctype>

#include "common/clock.h"
#include "common/error.h"
#include "common/names.h"
#include "common/retry.h"
#include "common/uri.h"
#include "db/sqlite.h"
#include "query/engine.h"
#include "query/sales_model.h"
#include "query/views.h"
#include "transform/mapping.h"
#include "transform/rules.h"

namespace shoplake::pipeline {
namespace {

// How often an ingest uploads a remote lake's catalog while it records objects.
constexpr std::chrono::seconds kIngestCatalogUploadInterval{5};

bool IsSourceNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The bucket, host or folder name, lower-cased, other characters as '-'.
std::string DerivedSourceName(const std::string& uri) {
  Uri parsed = ParseUri(uri);
  std::string base = parsed.scheme == "file"
                         ? std::filesystem::path(parsed.path).filename().string()
                         : parsed.authority;
  std::string name;
  for (char c : base) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name.push_back(IsSourceNameChar(c) ? c : '-');
  }
  return name;
}

nlohmann::json CountsJson(const transform::FileCounts& c) {
  return {{"rows_read", c.rows_read},
          {"rows_written", c.rows_written},
          {"rows_rejected", c.rows_rejected},
          {"duplicates_dropped", c.duplicates_dropped}};
}

const char* OutcomeName(ingest::IngestedObject::Outcome outcome) {
  switch (outcome) {
    case ingest::IngestedObject::Outcome::kNew:
      return "new";
    case ingest::IngestedObject::Outcome::kUnchanged:
      return "unchanged";
    case ingest::IngestedObject::Outcome::kFailed:
      break;
  }
  return "failed";
}

}  // namespace

ResolvedSource ResolveSource(const Project& project, const std::string& source,
                             const std::string& source_name) {
  ResolvedSource resolved{source_name, source};
  auto named = std::find_if(project.sources.begin(), project.sources.end(),
                            [&](const SourceSpec& s) { return s.name == source; });
  if (named != project.sources.end()) {
    resolved.uri = named->uri;
    if (resolved.name.empty()) resolved.name = named->name;
  }
  if (resolved.name.empty()) resolved.name = DerivedSourceName(resolved.uri);
  if (resolved.name.empty() ||
      !std::all_of(resolved.name.begin(), resolved.name.end(), IsSourceNameChar)) {
    throw Error(ErrorCode::kUsage, "invalid source name '" + resolved.name + "'", "--source-name",
                "use lower-case letters, digits, '-' and '_'");
  }
  return resolved;
}

ingest::IngestSummary Ingest(const Workspace& workspace, const ResolvedSource& source,
                             const ingest::SourceOptions& source_options,
                             ingest::IngestOptions options) {
  if (!options.ingest_date.empty() && !IsIsoDate(options.ingest_date)) {
    throw Error(ErrorCode::kUsage, "not a date: '" + options.ingest_date + "'", "--ingest-date",
                "write it as YYYY-MM-DD");
  }
  options.source_name = source.name;
  auto opened = ingest::OpenSource(source.uri, source_options);
  ingest::IngestLedger ledger(workspace.catalog_path);
  // One ingest per source at a time; others of the same source wait their turn.
  auto lock = workspace.lake.Acquire("ingest-" + source.name, std::chrono::minutes(10));
  ingest::Ingestor ingestor(workspace.lake, ledger, options);
  // A remote lake's catalog goes up every few seconds while objects are recorded, not after
  // each record (lake/catalog_file.h): a record the lake's catalog missed in a crash only
  // means the next run copies that object again.
  db::CommitCoalescing uploads(workspace.catalog_path, kIngestCatalogUploadInterval);
  ingest::IngestSummary summary = ingestor.Run(*opened);
  uploads.Finish();
  return summary;
}

void CheckIngest(const ingest::IngestSummary& summary) {
  if (summary.objects_failed == 0) return;
  ErrorCode code = ErrorCode::kNetwork;
  for (const auto& o : summary.objects) {
    if (o.outcome == ingest::IngestedObject::Outcome::kFailed &&
        o.error_code != ErrorCode::kNetwork) {
      code = o.error_code;
      break;
    }
  }
  throw Error(code,
              std::to_string(summary.objects_failed) + " of " +
                  std::to_string(summary.objects.size()) + " objects failed",
              summary.source_uri,
              "fix the cause and run the same ingest again: what arrived is kept");
}

nlohmann::json IngestJson(const ingest::IngestSummary& summary, const std::string& source,
                          bool objects) {
  nlohmann::json out = {{"run_id", summary.run_id},
                        {"source", source},
                        {"source_uri", summary.source_uri},
                        {"new", summary.objects_new},
                        {"unchanged", summary.objects_unchanged},
                        {"failed", summary.objects_failed},
                        {"bytes", summary.bytes},
                        {"seconds", summary.seconds}};
  if (!objects) return out;
  out["objects"] = nlohmann::json::array();
  for (const auto& o : summary.objects) {
    out["objects"].push_back({{"uri", o.object.uri},
                              {"outcome", OutcomeName(o.outcome)},
                              {"raw_key", o.raw_key},
                              {"attempts", o.attempts},
                              {"error", o.error}});
  }
  return out;
}

const DatasetSpec& FindDataset(const Project& project, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& d : project.datasets) {
    if (d.name == name) return d;
    names.push_back(d.name);
  }
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  throw Error(ErrorCode::kUsage,
              "no dataset '" + name + "' in the project" + DidYouMean(name, names),
              project.file ? project.file->string() : "shoplake.yaml",
              names.empty() ? "declare it under datasets: in shoplake.yaml" : "datasets: " + all);
}

std::filesystem::path MappingFile(const Project& project, const DatasetSpec& dataset) {
  auto file = dataset.mapping.empty() ? project.PathOf("mappings") / (dataset.name + ".yaml")
                                      : project.root / dataset.mapping;
  if (!std::filesystem::exists(file)) {
    std::string where = dataset.declared_at.empty()
                            ? (project.file ? project.file->string() : "shoplake.yaml")
                            : dataset.declared_at;
    throw Error(
        ErrorCode::kConfig,
        "dataset '" + dataset.name + "' names mapping " + file.string() + ", which does not exist",
        where,
        "create the mapping (docs/transform.md shows one), or point datasets." + dataset.name +
            ".mapping at it");
  }
  return file;
}

void CheckReferences(const Project& project, const transform::Mapping& mapping) {
  for (const auto& column : mapping.columns) {
    if (!column.references) continue;
    const std::string& dataset = column.references->dataset;
    std::vector<std::string> names;
    for (const auto& d : project.datasets) names.push_back(d.name);
    if (std::find(names.begin(), names.end(), dataset) != names.end()) continue;
    throw Error(
        ErrorCode::kConfig,
        "column '" + column.name + "' references dataset '" + dataset +
            "', which the project does not declare" + DidYouMean(dataset, names),
        mapping.file.string() + ":" + std::to_string(column.line),
        "name a dataset of shoplake.yaml's datasets: (" + transform::Join(names, ", ") + ")");
  }
}

transform::TransformResult Transform(const Workspace& workspace, const std::string& dataset,
                                     const transform::TransformOptions& options) {
  const Project& project = workspace.project;
  const DatasetSpec& spec = FindDataset(project, dataset);
  transform::Mapping mapping = transform::LoadMapping(MappingFile(project, spec));
  CheckReferences(project, mapping);
  catalog::Catalog catalog(workspace.catalog_path);
  transform::Transformer transformer(workspace.lake, catalog);
  return transformer.Run(spec, mapping, options);
}

nlohmann::json TransformJson(const transform::TransformResult& result, bool detail) {
  nlohmann::json out = {{"dataset", result.dataset},
                        {"table", result.table},
                        {"run_id", result.run_id},
                        {"committed", result.committed},
                        {"snapshot_id", result.snapshot_id},
                        {"table_rows", result.table_rows},
                        {"totals", CountsJson(result.totals)},
                        {"rejects", result.rejects.size()},
                        {"rejects_prefix", result.rejects_prefix},
                        {"quarantined", result.quarantined},
                        {"notes", result.notes},
                        {"seconds", result.seconds}};
  // Only a mapping that rounds (`round: true`) has counts to give.
  if (!result.rounded.empty()) out["rounded"] = result.rounded;
  if (!detail) return out;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : result.files) {
    auto j = CountsJson(f);
    j["raw_key"] = f.raw_key;
    files.push_back(j);
  }
  out["files"] = files;
  out["plan"] = result.plan;
  return out;
}

crawl::CrawlReport Crawl(const Workspace& workspace, crawl::CrawlOptions options) {
  for (auto& path : options.paths) {
    // A lake key prefix: "processed/shop", "raw/" ... (a trailing '/' is added).
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (!path.empty() && path.back() != '/') path += '/';
  }
  catalog::Catalog catalog(workspace.catalog_path);
  crawl::Crawler crawler(workspace.lake, catalog);
  return crawler.Run(options);
}

nlohmann::json CrawlJson(const crawl::CrawlReport& report) {
  nlohmann::json out = {{"partitions_added", report.partitions_added},
                        {"partitions_deleted", report.partitions_deleted},
                        {"seconds", report.seconds},
                        {"tables", nlohmann::json::array()}};
  for (const auto& t : report.tables) {
    out["tables"].push_back({{"table", t.table}, {"action", t.action}, {"detail", t.detail}});
  }
  return out;
}

std::map<std::string, int> AppliedViews::counts() const {
  std::map<std::string, int> counts = {
      {"created", 0}, {"updated", 0}, {"unchanged", 0}, {"dropped", 0}};
  for (const auto& c : changes) ++counts[c.change];
  return counts;
}

AppliedViews ApplyViews(const Workspace& workspace, const std::filesystem::path& dir,
                        bool dry_run) {
  const Project& project = workspace.project;
  AppliedViews applied;
  auto loaded = query::LoadProjectViews(project, dir.empty() ? project.PathOf("views") : dir);
  applied.views = std::move(loaded.views);
  applied.notes = std::move(loaded.notes);
  catalog::Catalog catalog(workspace.catalog_path);
  // The catalog's current views stay out: each file is defined anew, in order, and a view
  // that reads a missing one fails here rather than reading a stale definition.
  query::EngineOptions options;
  options.views = false;
  options.stage = "views";
  query::QueryEngine engine(workspace.lake, catalog, options);
  if (dry_run) {
    for (const auto& view : applied.views) engine.DefineView(view);
    return applied;
  }
  applied.changes = query::ApplyViews(engine, catalog, applied.views);
  return applied;
}

}  // namespace shoplake::pipeline
