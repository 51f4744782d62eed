// What every verb shares: the global flags, the project (found lazily), the lake.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/project.h"
#include "lake/catalog_file.h"
#include "lake/local_cache.h"
#include "lake/store.h"

namespace CLI {
class App;
}
namespace shoplake::pipeline {
struct Workspace;
}

namespace shoplake::cli {

//! Flags that every verb accepts, before or after the verb.
struct GlobalOptions {
  std::string lake;                 //!< --lake URI; empty means the project's lake
  std::string project_file;         //!< --project FILE; empty means search upward
  std::string log_format = "text";  //!< --log-format text|json
  int verbose = 0;                  //!< -v, repeatable
  bool quiet = false;               //!< -q: warnings and errors only
};

//! The state a verb runs in. Verbs call project() and lake() only when they need them,
//! so `simulate` works outside any project.
class Context {
 public:
  GlobalOptions options;

  //! The project: --project, else shoplake.yaml in the current folder or a parent,
  //! else the defaults rooted at the current folder. Loaded once.
  const Project& project();

  //! The lake root URI: --lake, else the project's lake.
  std::string lake_uri();

  //! The lake's store, opened once.
  lake::Store& lake();

  //! The lake's local cache (lake/local_cache.h), opened once.
  lake::LocalCache& cache();

  //! The local path of the lake's catalog file (_catalog/catalog.db: catalog, ingest ledger,
  //! runs), opened once for `access` (lake/catalog_file.h): kWrite for verbs that record
  //! anything (for a remote lake it holds the lake's catalog lock until the verb ends, and
  //! each commit is uploaded), kRead for verbs that only look. Asking for kWrite after kRead
  //! reopens it for writing. kRead never makes a lake: for a local lake that does not exist
  //! it throws Error(kNotFound).
  std::string catalog_path(lake::CatalogFile::Access access);
  //! Throws Error(kNotFound) when the lake is a local folder that does not exist: a verb
  //! that only looks (or records only what it saw, as verify) never makes a lake, so a
  //! mistyped --lake is an error rather than an empty lake answering "no tables".
  void RequireExistingLake();
  //! The catalog file itself, opened as catalog_path says: for a verb that runs long and
  //! refreshes a reader's copy (serve).
  lake::CatalogFile& catalog_file(lake::CatalogFile::Access access);

  //! Closes the catalog file: a remote lake's catalog lock is released, and the next
  //! catalog_path downloads the lake's catalog afresh (at the same local path).
  void ReleaseCatalog() { catalog_.reset(); }

  //! The project, the lake and its catalog file opened for writing, as the stage functions
  //! and the pipeline's tasks take them (pipeline/stages.h).
  pipeline::Workspace workspace();

 private:
  std::optional<Project> project_;
  std::unique_ptr<lake::Store> lake_;
  std::unique_ptr<lake::LocalCache> cache_;
  std::unique_ptr<lake::CatalogFile> catalog_;
};

//! Thrown by a verb that has already said all there is to say (printed its result or its
//! problems) and only needs the process to end with `code`: main() returns it without a
//! further message. `workflow run` needs it: a failed execution prints its JSON and exits 1.
struct ExitStatus {
  int code;
};

// One function per verb (one file each in cli/): declares the verb's flags on `app` and
// sets its callback. The callback may throw shoplake::Error; main() reports it.
void AddInitCommand(CLI::App& app, Context& context);
void AddInfoCommand(CLI::App& app, Context& context);
void AddSimulateCommand(CLI::App& app, Context& context);
//! `ingest` and `ledger`.
void AddIngestCommand(CLI::App& app, Context& context);
void AddTransformCommand(CLI::App& app, Context& context);
void AddCrawlCommand(CLI::App& app, Context& context);
//! `verify [TABLE]`: every file of the current snapshots checked against its checksum.
void AddVerifyCommand(CLI::App& app, Context& context);
//! `catalog ls|show|history|ddl|export`: the lake's tables, their schema and history.
void AddCatalogCommand(CLI::App& app, Context& context);
//! `query "SQL"`: SQL over the catalog's tables, its result saved under results/.
void AddQueryCommand(CLI::App& app, Context& context);
//! `views apply|ls`: the analytics views of pipeline/views, recorded in the catalog.
void AddViewsCommand(CLI::App& app, Context& context);
//! `workflow validate` and `workflow run`: the Amazon States Language interpreter.
void AddWorkflowCommand(CLI::App& app, Context& context);
//! `workflow eval`: one JSONata expression against an input (cli/workflow_eval.cpp).
void AddWorkflowEvalCommand(CLI::App& workflow);
//! `run`: the project's pipeline (paths.workflow) as `workflow run` runs a definition.
void AddRunCommand(CLI::App& app, Context& context);
//! `report`: the dashboard (pipeline/dashboard.yaml) as one self-contained HTML file.
void AddReportCommand(CLI::App& app, Context& context);
//! `serve`: the local web app (live dashboard, tables, SQL, executions, /metrics).
void AddServeCommand(CLI::App& app, Context& context);
//! `lambda`: a pipeline task served as an AWS Lambda custom runtime.
void AddLambdaCommand(CLI::App& app, Context& context);
//! `deploy --render DIR`: the AWS bundle (SAM template, state machine, views), offline.
void AddDeployCommand(CLI::App& app, Context& context);
//! `simulate serve`, added under the `simulate` verb by AddSimulateCommand.
void AddSimulateServeCommand(CLI::App& simulate, Context& context);

}  // namespace shoplake::cli
