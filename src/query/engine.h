// QueryEngine: SQL over the catalog, Athena's job in-process. An in-memory DuckDB in which
// every catalog table is a view `<database>.<table>` over its current snapshot's files
// (catalog/mount.h), so a query reads exactly what the catalog says each table holds, and
// the catalog's views (shoplake views apply) sit beside them.
//
// Queries are read-only: one SELECT (or EXPLAIN) at a time, and DuckDB may touch no file
// outside the lake (its configuration locked), so SQL from a user -- the CLI, the web app's
// SQL page -- can neither change the lake nor read /etc/passwd. For a remote lake, "the lake"
// is its local cache (lake/local_cache.h): a table is mounted over copies of its snapshot's
// files, fetched when a query first names it.
//
// Thread safety: one QueryEngine per thread (it owns one DuckDB connection).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/error.h"
#include "db/duckdb.h"
#include "lake/local_cache.h"
#include "lake/store.h"

namespace shoplake::query {

//! A catalog table as the engine mounted it: which snapshot a query over it reads.
struct MountedTable {
  std::string name;         //!< "<database>.<table>"
  int64_t snapshot_id = 0;  //!< 0 before the table's first commit (an empty view)
  uint64_t rows = 0;        //!< rows of that snapshot
  uint64_t bytes = 0;       //!< bytes of that snapshot's files
};

struct EngineOptions {
  std::map<std::string, std::string> settings;  //!< DuckDB settings, e.g. {"threads", "2"}
  //! Mount each table as it was then rather than its current snapshot.
  std::optional<catalog::AsOf> as_of;
  //! Create the catalog's views. `views apply` turns it off to define them anew.
  bool views = true;
  //! Whose DuckDB limits apply (shoplake.yaml's duckdb.stages): "query", "serve", ...
  std::string stage = "query";
};

class QueryEngine {
 public:
  //! Opens an in-memory DuckDB and mounts every table of `catalog` as the view
  //! <database>.<table> over its current snapshot (or the one options.as_of names), then the
  //! catalog's views. A table or view that cannot be mounted is left out (a query naming it
  //! fails with the reason).
  QueryEngine(lake::Store& lake, catalog::Catalog& catalog, EngineOptions options = {});
  QueryEngine(const QueryEngine&) = delete;
  QueryEngine& operator=(const QueryEngine&) = delete;

  //! Every catalog table, by name, with the snapshot a query over it reads.
  const std::vector<MountedTable>& tables() const { return tables_; }

  //! The mounted tables `sql` reads: those it names as <database>.<table> (quoted or not,
  //! any case) directly or through views, in the order of tables(). Never throws.
  std::vector<MountedTable> TablesRead(std::string_view sql);

  //! Runs one read-only statement and returns its result. On failure throws Error as
  //! db::Connection::Query does (kUsage for parser, binder and catalog errors, with DuckDB's
  //! message and its "LINE 1: ..." caret; kData, kIo or kInternal for runtime failures); an
  //! unknown table gets a hint naming the nearest mounted tables. Anything but one SELECT
  //! or EXPLAIN, and any file access outside the lake, throws Error(kUsage) saying so.
  db::Result Run(std::string_view sql);

  //! A path for a file named `name` in the engine's work folder for results: the lake's
  //! results/ folder, or the cache's for a remote lake; the only places DuckDB may write.
  std::string ResultFile(const std::string& name) const;

  //! Runs one read-only query once, writing its rows to the Parquet file `path` (a
  //! ResultFile; DuckDB's COPY), and returns the rows read back from that file. The caller
  //! moves the file where it belongs. Throws as Run does.
  db::Result RunToParquet(std::string_view sql, const std::string& path);

  //! Asks the statement running on this engine to stop (it then throws); callable from any
  //! thread, e.g. a db::QueryWatch's. Does nothing when none runs.
  void Interrupt() { connection_.Interrupt(); }

  //! Creates (or replaces) `view` from its statement. Throws Error(kConfig) naming
  //! "<view.file>:<line>" with DuckDB's message when it does not create.
  void DefineView(const catalog::View& view);

 private:
  //! `error` as the user should see it: DuckDB's message with its caret shown once, and for
  //! an unknown table a hint suggesting the nearest mounted names.
  Error Explain(const Error& error, std::string_view sql);
  //! Every table `sql` names, as written ("shop.order_lines", "orders").
  std::vector<std::string> NamedTables(std::string_view sql);

  //! Throws the mount error of a table `sql` names that could not be mounted.
  void CheckMounted(std::string_view sql);

  //! `sql` prepared (its errors explained), after checking it is one SELECT or EXPLAIN
  //! over mounted tables.
  db::PreparedStatement PrepareReadOnly(std::string_view sql);
  //! Confines DuckDB to the lake's folder and locks its configuration.
  void LockDown();
  //! Mounts the tables and creates the catalog views that `sql` reads (directly or through
  //! views) and that are not there yet: both wait for their first use, since binding a
  //! reader over many raw CSV files takes seconds and defining a view binds it. Throws the
  //! error of one that cannot be mounted or created.
  void MountNamed(std::string_view sql);
  //! `sql` lower-cased, quotes dropped, with the statements of the views it names appended.
  std::string ExpandedText(std::string_view sql);

  lake::Store& lake_;
  lake::LocalCache cache_;
  db::Database database_;
  db::Connection connection_;
  std::vector<MountedTable> tables_;
  //! Tables not mounted yet, with the snapshot to mount.
  struct Pending {
    catalog::Table table;
    catalog::Snapshot snapshot;
    bool check_files = false;  //!< an old snapshot (--as-of): its files may be gone
  };
  std::vector<Pending> pending_;
  //! Catalog views not created yet, in creation order.
  std::vector<catalog::View> pending_views_;
  //! Views created, as ("<database>.<name>", its statement).
  std::vector<std::pair<std::string, std::string>> defined_views_;
  //! Tables whose files could not be mounted (e.g. raw CSV DuckDB cannot read), with why:
  //! a query that names one fails with that reason; other queries go on.
  std::vector<std::pair<std::string, Error>> unmounted_;
};

}  // namespace shoplake::query
