// Mount: a catalog table's snapshot as a DuckDB table expression, so SQL reads exactly the
// files the snapshot lists (never whatever else lies in the table's folder: a crashed
// run's leftovers, files a newer snapshot wrote).
//
// Thread safety: pure function over a Store (whose methods are thread-safe).
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "lake/store.h"

namespace shoplake::catalog {

//! A DuckDB table expression (usable after FROM) giving the rows of `snapshot` of `table`,
//! with the table's columns and partition keys, typed as the catalog says:
//!   read_parquet(['/lake/.../part-1.parquet', ...], hive_partitioning = true, ...)
//! or, for "csv" tables, a SELECT casting each column of read_csv([...], header = true,
//! union_by_name = true, all_varchar = true) to the catalog's type. An empty snapshot gives a
//! subquery with the typed columns and no rows. Throws Error(kUsage) when `lake` is not local
//! (DuckDB reads local paths here; remote lakes need a cache first).
std::string SnapshotScanSql(lake::Store& lake, const Table& table, const Snapshot& snapshot);

}  // namespace shoplake::catalog
