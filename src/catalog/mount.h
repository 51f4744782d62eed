// Mount: a catalog table's snapshot as a DuckDB table expression, so SQL reads exactly the
// files the snapshot lists (never whatever else lies in the table's folder: a crashed
// run's leftovers, files a newer snapshot wrote).
//
// Thread safety: as lake::LocalCache (every method thread-safe).
#pragma once

#include <filesystem>
#include <string>

#include "catalog/catalog.h"
#include "lake/local_cache.h"

namespace shoplake::catalog {

//! A DuckDB table expression (usable after FROM) giving the rows of `snapshot` of `table`,
//! with the table's columns and partition keys, typed as the catalog says:
//!   read_parquet(['/lake/.../part-1.parquet', ...], hive_partitioning = true, ...)
//! or, for "csv" tables (the raw zone's), a SELECT TRY_CASTing each column of
//! read_csv([...], header = true, union_by_name = true, all_varchar = true, null_padding = true,
//! strict_mode = false) to the catalog's type: every record of every file is a row, whatever
//! columns a query reads (a value not of its type reads as NULL). An empty snapshot gives a
//! subquery with the typed columns and no rows. The paths are `cache`'s readable paths: the
//! lake's own files, or for a remote lake copies in the cache, fetched here (so mounting a
//! table downloads what its snapshot lists and the cache does not hold yet). A CSV file that
//! is not UTF-8 (DuckDB reads nothing else) is read through a copy in RawTextFolder(cache) in
//! which each undecodable byte reads \xNN, made here the first time: mounting a CSV table
//! reads each of its files once to check its bytes. Throws what LocalCache::ReadablePath
//! throws, and Error(kIo) naming a file that cannot be read or a copy that cannot be written.
std::string SnapshotScanSql(lake::LocalCache& cache, const Table& table, const Snapshot& snapshot);

//! The folder of the UTF-8 copies SnapshotScanSql reads raw CSV files through (in the cache
//! folder, never in the lake: the raw zone holds the bytes as they arrived). A reader confined
//! by allowed_directories must be allowed it too.
std::filesystem::path RawTextFolder(const lake::LocalCache& cache);

}  // namespace shoplake::catalog
