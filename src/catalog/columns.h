// What the catalog knows about columns beyond their names: which type changes widen (the
// schema-change policy of the crawl and `catalog diff`), and the min, max and null counts a
// Parquet file's footer records (recorded with each snapshot, shown by `catalog show`).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace shoplake::catalog {

//! Min, max and nulls of each of `columns` over the Parquet files at `paths`, from their
//! footers' statistics (nothing is scanned). Columns without statistics are left out.
std::vector<ColumnStats> ParquetStats(const std::vector<std::string>& paths,
                                      const std::vector<Column>& columns);

//! True when values of type `from` fit `to` without loss (INTEGER -> BIGINT, FLOAT ->
//! DOUBLE, a wider DECIMAL, DATE -> TIMESTAMP). A change to VARCHAR is a retype.
bool Widens(const std::string& from, const std::string& to);

}  // namespace shoplake::catalog
