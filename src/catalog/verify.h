// Verify: bit rot and lost files found. Each file a snapshot lists carries the SHA-256 of the
// bytes committed (catalog.h's SnapshotFile::sha256); Verify reads every file of the current
// snapshots (or of one table) back from the lake, names each that is missing or whose bytes
// differ, and records the run in the catalog (the web app shows the last one). A file
// committed before shoplake recorded checksums is reported unknown, not failed; with `record`
// its checksum as read now is recorded, so later runs check it.
//
// Thread safety: as the Catalog and Store it is given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "lake/store.h"

namespace shoplake::catalog {

struct VerifyOptions {
  std::string table;    //!< "<db>.<table>" or a table name (ResolveTable); empty: every table
  bool record = false;  //!< record the checksum of files that have none (see above)
};

//! One file that did not simply match: `problem` is "differs" (its bytes are not those
//! committed), "missing" (no such object in the lake), "unknown" (no checksum recorded) or
//! "recorded" (none was; `record` recorded this one).
struct FileProblem {
  std::string table;  //!< "<db>.<table>"
  std::string key;
  std::string problem;
  std::string sha256;     //!< hex, of the bytes read now; empty when missing
  uint64_t bytes = 0;     //!< read now
  std::string committed;  //!< the checksum recorded at commit; empty when unknown
  uint64_t committed_bytes = 0;
};

struct VerifyReport {
  Verification verification;  //!< as recorded in the catalog
  std::vector<FileProblem> problems;
  //! True when any file differs or is missing (unknown ones do not fail a verification).
  bool failed() const { return verification.files_failed > 0; }
};

//! Verifies the current snapshots' files of `lake` against `catalog`, and records the run
//! (and, with options.record, the missing checksums) in one transaction. Throws
//! Error(kUsage) for an unknown table, Error(kIo)/Error(kNetwork) when the lake cannot be read.
VerifyReport Verify(lake::Store& lake, Catalog& catalog, const VerifyOptions& options);

}  // namespace shoplake::catalog
