// Crawler: fills the catalog for data nobody registered, as a Glue crawler does. It walks
// lake zones, groups files into tables by folder, detects Hive partitions (key=value
// folders), infers schemas from Parquet footers and from CSV by sampling (DuckDB's
// sniffer), and registers or updates tables, their partitions and a snapshot of their
// files.
//
//   processed/<db>/<table>/[k=v/...]file.parquet   -> <db>.<table>
//   raw/<source>/[k=v/...]<folder>/...file.csv     -> raw_<source>.<folder>
//   rejects/<table>/run_id=<id>/file.parquet       -> rejects.<table>
//
// Schema changes follow Glue's policy: a compatible change (a new column, a widened type)
// updates the table as a new version with its diff; an incompatible one (a column gone or
// retyped) is reported and leaves the table as it was unless update_incompatible. Folders
// that vanished mark their partitions deleted. Tables another stage owns (the transform's)
// are reported, never changed. A table folder whose files did not change since the last
// crawl is skipped without reading anything (recrawl_all reads everything again).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "lake/store.h"

namespace shoplake::crawl {

struct CrawlOptions {
  std::vector<std::string> paths;    //!< lake key prefixes; empty: processed/, raw/, rejects/
  bool recrawl_all = false;          //!< infer from every file, not only the new ones
  bool update_incompatible = false;  //!< apply incompatible schema changes too
  bool mark_deleted = true;          //!< vanished folders mark their partitions deleted
  //! How long to wait for another crawl of the same lake before giving up, saying who holds it.
  std::chrono::milliseconds lock_wait{60'000};
};

struct CrawledTable {
  std::string table;   //!< "<db>.<table>"
  std::string action;  //!< created, updated, unchanged, incompatible, skipped
  std::string detail;  //!< one line: what changed or why not
};

struct CrawlReport {
  std::vector<CrawledTable> tables;
  int partitions_added = 0;
  int partitions_deleted = 0;
  int files_read = 0;  //!< files whose content or footer was read (0 when nothing changed)
  double seconds = 0;
};

class Crawler {
 public:
  //! DuckDB reads the files it samples: for a remote lake, copies in the cache
  //! (lake/local_cache.h).
  Crawler(lake::Store& lake, catalog::Catalog& catalog);

  //! Crawls. Throws Error(kConflict) naming the holder when another crawl holds the lock
  //! longer than options.lock_wait.
  CrawlReport Run(const CrawlOptions& options);

 private:
  lake::Store& lake_;
  catalog::Catalog& catalog_;
};

}  // namespace shoplake::crawl
