// The pipeline's task resources, the handlers pipeline/pipeline.asl.json's Task states run:
// shoplake:ingest, shoplake:transform, shoplake:crawl, shoplake:views and shoplake:report.
// Each takes and returns JSON, runs the same stage function as its verb (pipeline/stages.h),
// and fails with an error name Retry and Catch can tell apart (docs/workflow.md lists them).
//
// Thread safety: the handlers may run at once (a Map state runs its iterations in
// parallel). A timed-out or stopped task is cancelled and waited for by the interpreter:
// shoplake:ingest watches its TaskContext's cancellation (between objects and in retry
// pauses); the other stages run to their end, as each leaves the lake valid at any point.
#pragma once

#include <string>

#include "common/error.h"
#include "pipeline/stages.h"
#include "workflow/interpreter.h"

namespace shoplake::pipeline {

//! The error names the pipeline's tasks fail with.
namespace errors {
//! The network, a remote store or a local file failed, or a lock was held: worth a retry.
inline constexpr const char* kTransient = "Shoplake.Transient";
//! A transform refused more rows than its maxRejectRate allows; nothing was published.
inline constexpr const char* kTooManyRejects = "Shoplake.TooManyRejects";
//! The task's input or the project (shoplake.yaml, a mapping, a view) is wrong, or names a
//! file, object or table that is not there: fix it first.
inline constexpr const char* kConfig = "Shoplake.Config";
//! The data is wrong: a header that does not match its mapping, a checksum that does not.
inline constexpr const char* kData = "Shoplake.Data";
//! A bug in shoplake.
inline constexpr const char* kInternal = "Shoplake.Internal";
}  // namespace errors

//! The error name a stage's `error` fails its task with.
const char* ErrorName(const Error& error);

//! The cause a stage's `error` fails its task with: one line saying what failed, on what,
//! and (when the error has a hint) what to do.
std::string ErrorCause(const Error& error);

//! Registers the pipeline's handlers, each running its stage in `workspace`:
//!   shoplake:ingest     {"source", "sourceName"?, "ingestDate"?, "maxAttempts"?, "parallel"?,
//!                       "objects"? (only these object URIs of the source)}
//!                       -> the ingest's counts (IngestJson)
//!   shoplake:transform  {"dataset", "maxRejectRate"?, "fullRefresh"?, "threads"?}
//!                       -> the run's counts (TransformJson)
//!   shoplake:crawl      {"paths"?, "recrawlAll"?} -> the crawl's report (CrawlJson)
//!   shoplake:views      {"dir"?} -> {"views": n, "created", "updated", "unchanged", "dropped",
//!                                    "skipped"?: [why, ...]}
//!   shoplake:report     {"dashboard"?} -> {"key", "path"?, "bytes", "rendered_at", "date_from",
//!                       "date_to", "panels": [{"id", "type", "rows"}]}
//! A field of the wrong type fails the task with Shoplake.Config.
void RegisterPipelineTasks(workflow::TaskRegistry& registry, const Workspace& workspace);

}  // namespace shoplake::pipeline
