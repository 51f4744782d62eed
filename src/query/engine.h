// QueryEngine: SQL over the catalog, Athena's job in-process. An in-memory DuckDB in which
// every catalog table is a view `<database>.<table>` over its current snapshot's files
// (catalog/mount.h), so a query reads exactly what the catalog says each table holds.
//
// Thread safety: one QueryEngine per thread (it owns one DuckDB connection).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/error.h"
#include "lake/store.h"
#include "query/duckdb.h"

namespace shoplake::query {

//! A catalog table as the engine mounted it: which snapshot a query over it reads.
struct MountedTable {
  std::string name;         //!< "<database>.<table>"
  int64_t snapshot_id = 0;  //!< 0 before the table's first commit (an empty view)
  uint64_t rows = 0;        //!< rows of that snapshot
  uint64_t bytes = 0;       //!< bytes of that snapshot's files
};

class QueryEngine {
 public:
  //! Opens an in-memory DuckDB with `settings` and mounts every table of `catalog` as the
  //! view <database>.<table> over its current snapshot. A table that cannot be mounted is
  //! left out (a query naming it fails with the reason).
  QueryEngine(lake::Store& lake, catalog::Catalog& catalog,
              const std::map<std::string, std::string>& settings = {});
  QueryEngine(const QueryEngine&) = delete;
  QueryEngine& operator=(const QueryEngine&) = delete;

  //! Every mounted table, by name.
  const std::vector<MountedTable>& tables() const { return tables_; }

  //! The mounted tables `sql` names as <database>.<table> (quoted or not, any case), in the
  //! order of tables(). Never throws.
  std::vector<MountedTable> TablesRead(std::string_view sql);

  //! Runs one statement and returns its result. On failure throws Error as
  //! Connection::Query does (kUsage for parser, binder and catalog errors, with DuckDB's
  //! message and its "LINE 1: ..." caret; kData, kIo or kInternal for runtime failures); an
  //! unknown table gets a hint naming the nearest mounted tables.
  Result Run(std::string_view sql);

  //! Runs one query once, writing its rows to the Parquet file `path` (DuckDB's COPY), and
  //! returns the rows read back from that file. Throws as Run does.
  Result RunToParquet(std::string_view sql, const std::string& path);

 private:
  //! Checks `sql` without running it (parse and bind), so its errors carry positions in the
  //! user's text rather than in the statement the engine wraps it in.
  void Check(std::string_view sql);
  //! `error` as the user should see it: DuckDB's message with its caret shown once, and for
  //! an unknown table a hint suggesting the nearest mounted names.
  Error Explain(const Error& error, std::string_view sql);
  //! Every table `sql` names, as written ("shop.order_lines", "orders").
  std::vector<std::string> NamedTables(std::string_view sql);

  //! Throws the mount error of a table `sql` names that could not be mounted.
  void CheckMounted(std::string_view sql);

  Database database_;
  Connection connection_;
  std::vector<MountedTable> tables_;
  //! Tables whose files could not be mounted (e.g. raw CSV DuckDB cannot read), with why:
  //! a query that names one fails with that reason; other queries go on.
  std::vector<std::pair<std::string, Error>> unmounted_;
};

}  // namespace shoplake::query
