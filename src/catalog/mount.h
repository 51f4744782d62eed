// Mount: a catalog table's snapshot as a DuckDB table expression, so SQL reads exactly the
// files the snapshot lists (never whatever else lies in the table's folder: a crashed
// run's leftovers, files a newer snapshot wrote).
//
// Thread safety: as lake::LocalCache (every method thread-safe).
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "lake/local_cache.h"

namespace shoplake::catalog {

//! A DuckDB table expression (usable after FROM) giving the rows of `snapshot` of `table`,
//! with the table's columns and partition keys, typed as the catalog says:
//!   read_parquet(['/lake/.../part-1.parquet', ...], hive_partitioning = true, ...)
//! or, for "csv" tables, a SELECT casting each column of read_csv([...], header = true,
//! union_by_name = true, all_varchar = true) to the catalog's type. An empty snapshot gives a
//! subquery with the typed columns and no rows. The paths are `cache`'s readable paths: the
//! lake's own files, or for a remote lake copies in the cache, fetched here (so mounting a
//! table downloads what its snapshot lists and the cache does not hold yet). Throws what
//! LocalCache::ReadablePath throws.
std::string SnapshotScanSql(lake::LocalCache& cache, const Table& table, const Snapshot& snapshot);

}  // namespace shoplake::catalog
