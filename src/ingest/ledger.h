// IngestLedger: what ingest has copied into the lake, one row per object version, in the
// lake's SQLite catalog (_catalog/catalog.db). It is what makes ingest exactly-once: an
// object whose (URI, version) is recorded is not copied again, and a changed object
// becomes a new row beside the old one, never overwriting it. A raw file a user quarantines
// (`shoplake ledger quarantine KEY`) stays recorded but is left out of every transform.
//
// Thread safety: one IngestLedger may be shared by threads; calls are serialised.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/sqlite.h"

namespace shoplake::ingest {

//! One object version copied into the raw zone.
struct LedgerEntry {
  std::string source;      //!< source name, the raw/<source>/ folder
  std::string object_uri;  //!< where it came from
  std::string version;     //!< generation, ETag, or mtime-size
  uint64_t size = 0;
  std::string md5;      //!< hex; computed over the bytes received
  std::string crc32c;   //!< hex, 8 digits; computed over the bytes received
  std::string sha256;   //!< hex; computed over the bytes received
  std::string raw_key;  //!< its key in the lake
  std::string run_id;
  std::string ingested_at;  //!< UTC, ISO 8601
};

//! A raw file set aside by hand: the transform skips it (and says so) until it is released.
struct QuarantinedFile {
  std::string raw_key;
  std::string reason;
  std::string quarantined_at;  //!< UTC, ISO 8601
};

//! One ingest run's totals.
struct IngestRunRecord {
  std::string run_id;
  std::string source;
  std::string source_uri;
  std::string started_at;
  std::string finished_at;
  std::string status;  //!< "succeeded" or "failed"
  int objects_new = 0;
  int objects_unchanged = 0;
  int objects_failed = 0;
  uint64_t bytes = 0;
};

//! The ingest's records summed per source, for /metrics.
struct IngestTotals {
  std::map<std::string, double> bytes;    //!< ingested into the raw zone
  std::map<std::string, double> objects;  //!< ingested into the raw zone
  std::map<std::string, double> seconds;  //!< spent in ingest runs, started to finished
};

//! The totals of the ledger and run records in `db` (the catalog file), read without
//! creating the ledger's tables: empty before the first ingest.
IngestTotals SumIngests(db::SqliteDatabase& db);

class IngestLedger {
 public:
  //! Opens (creating and migrating when needed) the ledger in the SQLite file `path`.
  //! On failure throws Error(kIo) naming the file.
  explicit IngestLedger(const std::string& path);

  //! The entry `source` recorded for this exact object version, if any. Sources are
  //! independent: the same object ingested under two source names is copied to both.
  std::optional<LedgerEntry> Find(const std::string& source, const std::string& object_uri,
                                  const std::string& version);
  //! The most recent version of `object_uri` that `source` recorded, if any.
  std::optional<LedgerEntry> Latest(const std::string& source, const std::string& object_uri);
  //! True when some entry already uses `raw_key`.
  bool RawKeyTaken(const std::string& raw_key);
  //! Records `entry`. Recording the same (source, object_uri, version) twice is an Error(kData).
  void Record(const LedgerEntry& entry);
  //! Entries, oldest first; only those of `source` when given.
  std::vector<LedgerEntry> Entries(const std::optional<std::string>& source = std::nullopt);

  //! Quarantines `raw_key` (an entry's key) with `reason`; quarantining it again replaces the
  //! reason. Throws Error(kNotFound) when no entry has that key.
  void Quarantine(const std::string& raw_key, const std::string& reason);
  //! Lifts the quarantine of `raw_key`; false when it was not quarantined.
  bool Release(const std::string& raw_key);
  //! The quarantined files, in the order they were set aside.
  std::vector<QuarantinedFile> Quarantined();

  void RecordRun(const IngestRunRecord& run);
  std::vector<IngestRunRecord> Runs();

 private:
  std::mutex mutex_;
  db::SqliteDatabase db_;
};

}  // namespace shoplake::ingest
