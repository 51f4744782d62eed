// The pipeline's stages run for a project: what `shoplake ingest|transform|crawl|views` and
// the state machine's tasks (pipeline/tasks.h) both call, so that a verb and a task do the
// same work and report it in the same words.
//
// Thread safety: the functions may run at once (the pipeline's Map transforms datasets in
// parallel); each opens its own catalog connection. A Workspace is only read.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/project.h"
#include "crawl/crawler.h"
#include "ingest/ingestor.h"
#include "ingest/source.h"
#include "lake/store.h"
#include "transform/transform.h"

namespace shoplake::pipeline {

//! Where the stages run: the project, its lake and the local path of the lake's catalog file
//! (which holds the catalog and the ingest ledger): lake::CatalogFile's, opened for writing, so
//! that on a remote lake every commit is uploaded. Borrowed: both must outlive every call.
struct Workspace {
  const Project& project;
  lake::Store& lake;
  std::string catalog_path;
};

//! A source to ingest, as the project knows it.
struct ResolvedSource {
  std::string name;  //!< its folder under raw/
  std::string uri;
};

//! `source` is a source of the project (its uri and name) or a URI or path (named after the
//! bucket, host or folder). `source_name`, when given, overrides the name. Throws
//! Error(kUsage) for a name that is not lower-case letters, digits, '-' and '_'.
ResolvedSource ResolveSource(const Project& project, const std::string& source,
                             const std::string& source_name = {});

//! Copies what is new in `source` into the raw zone (options.source_name is set from it),
//! holding the lake's lock for that source: another ingest of it waits up to 10 minutes.
//! Throws Error(kUsage) for a malformed options.ingest_date, and what listing the source
//! throws; per-object failures are in the summary (CheckIngest turns them into an Error).
ingest::IngestSummary Ingest(const Workspace& workspace, const ResolvedSource& source,
                             const ingest::SourceOptions& source_options,
                             ingest::IngestOptions options);

//! Throws Error when objects failed, naming how many: with the first failure's code that is
//! not transient, else kNetwork (every failure was transient: running again may succeed).
void CheckIngest(const ingest::IngestSummary& summary);

//! run_id, source, source_uri and the counts (new, unchanged, failed, bytes, seconds); with
//! `objects`, each object's uri, outcome, raw_key, attempts and error.
nlohmann::json IngestJson(const ingest::IngestSummary& summary, const std::string& source,
                          bool objects);

//! The project's dataset `name`. Throws Error(kUsage) naming the datasets there are.
const DatasetSpec& FindDataset(const Project& project, const std::string& name);

//! The mapping file of `dataset`: its `mapping`, else paths.mappings/<name>.yaml. Throws
//! Error(kConfig) at the shoplake.yaml line that names it when the file does not exist.
std::filesystem::path MappingFile(const Project& project, const DatasetSpec& dataset);

//! Throws Error(kConfig) at the mapping's line when a column references a dataset the
//! project does not declare (a typo, not a dataset that has no data yet).
void CheckReferences(const Project& project, const transform::Mapping& mapping);

//! Transforms the project's dataset `dataset` with its mapping file (transform/transform.h
//! says what a run does and throws).
transform::TransformResult Transform(const Workspace& workspace, const std::string& dataset,
                                     const transform::TransformOptions& options);

//! dataset, table, run_id, committed, snapshot_id, table_rows, totals (rows read, written,
//! rejected, duplicates dropped), rejects, rejects_prefix, seconds; with `detail`, the
//! counts per file and the plan.
nlohmann::json TransformJson(const transform::TransformResult& result, bool detail);

//! Crawls the lake (crawl/crawler.h); options.paths are lake key prefixes, a leading '/'
//! dropped and a trailing one added.
crawl::CrawlReport Crawl(const Workspace& workspace, crawl::CrawlOptions options);

//! partitions_added, partitions_deleted, seconds and each table's action and detail.
nlohmann::json CrawlJson(const crawl::CrawlReport& report);

struct AppliedViews {
  std::vector<catalog::View> views;           //!< in the order they were defined
  std::vector<catalog::ViewChange> changes;   //!< empty for a dry run
  std::vector<std::string> notes;             //!< shipped views skipped, and why
  std::map<std::string, int> counts() const;  //!< created, updated, unchanged, dropped
};

//! Defines the project's views (query/sales_model.h: the sales model's and the shipped ones,
//! replaced or joined by the files of `dir`; empty: the project's paths.views) against the
//! lake's current tables, in dependency order, then (unless `dry_run`) records them as the
//! catalog's views (query/views.h). Throws Error(kConfig) naming the file and line of a view that
//! fails.
AppliedViews ApplyViews(const Workspace& workspace, const std::filesystem::path& dir, bool dry_run);

}  // namespace shoplake::pipeline
