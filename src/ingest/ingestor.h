// Ingestor: copies a source's objects into the lake's raw zone exactly once.
//
// For each object the source lists: skip it when the ledger already holds that version;
// otherwise stream it into raw/<source>/ingest_date=<date>/<name> through a staging
// writer while computing sha256, md5 and crc32c, resume with a ranged read when the
// transfer breaks off (retrying with backoff), verify size and the checksums the source
// states, and only then publish it and record it in the ledger. A changed object becomes
// a new raw object beside the old one; nothing in raw/ is ever overwritten.
//
// Thread safety: one Run at a time per Ingestor; Run itself uses `parallel` threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/retry.h"
#include "ingest/ledger.h"
#include "ingest/source.h"
#include "lake/store.h"

namespace shoplake {
class Progress;
}

namespace shoplake::ingest {

struct IngestOptions {
  std::string source_name;  //!< the raw/<source>/ folder; required
  std::string ingest_date;  //!< YYYY-MM-DD; empty means today (UTC)
  int parallel = 4;         //!< objects copied at once
  //! retry.max_attempts bounds the transfers of an object that bring no new byte: a resumed
  //! transfer that made progress before breaking off is not counted against it. A failure a
  //! source's own client already retried (RetriesSpent) is not retried here: the budget is
  //! one layer's, never this one's times the source's (common/retry.h).
  RetryPolicy retry;
  bool progress = true;  //!< live progress on stderr
  uint64_t seed = 0;     //!< jitter seed; 0 picks a random one
  //! Not empty: copy only these objects, by the URI the source lists them with (a Step
  //! Functions Distributed Map hands each child a batch of its source's objects); URIs
  //! ending in '/' (folder markers) are ignored. Run throws Error(kNotFound) naming the
  //! first other one the source does not list.
  std::vector<std::string> objects;
  //! Set: polled between objects and during retry pauses; once it returns true, objects not
  //! yet copied fail as cancelled (a workflow task that timed out or was stopped).
  std::function<bool()> cancelled;
};

//! What happened to one object.
struct IngestedObject {
  enum class Outcome { kNew, kUnchanged, kFailed };
  SourceObject object;
  Outcome outcome = Outcome::kFailed;
  std::string raw_key;  //!< where it is in the lake (new or unchanged)
  int attempts = 0;     //!< transfers started (1 when nothing went wrong)
  std::string error;    //!< why it failed (one line, names the object)
  int exit_code = 0;    //!< the failure's exit code (1 or 2)
  //! The failure's kind: kNetwork for a transient one ingest gave up retrying.
  ErrorCode error_code = ErrorCode::kInternal;
};

struct IngestSummary {
  std::string run_id;
  std::string source_uri;
  int objects_new = 0;
  int objects_unchanged = 0;
  int objects_failed = 0;
  uint64_t bytes = 0;  //!< bytes copied (new objects only)
  double seconds = 0;
  std::vector<IngestedObject> objects;  //!< in the source's listing order
};

class Ingestor {
 public:
  //! `lake` and `ledger` must outlive the Ingestor.
  Ingestor(lake::Store& lake, IngestLedger& ledger, IngestOptions options);

  //! Copies what is new in `source`. Per-object failures are collected in the summary
  //! (the other objects go on); a failure to list the source throws.
  IngestSummary Run(Source& source);

  //! raw/<source>/ingest_date=<date>/<name>
  static std::string RawKey(const std::string& source, const std::string& date,
                            const std::string& name);
  //! The key for a new version whose plain key is taken: "<stem>~<version><ext>".
  static std::string VersionedKey(const std::string& key, const std::string& version);

 private:
  IngestedObject Copy(Source& source, const SourceObject& object, const std::string& run_id,
                      uint64_t seed);
  //! options.cancelled says so.
  bool Cancelled() const;
  //! Sleeps for `delay`; false (at once) when the ingest is cancelled first.
  bool SleepUnlessCancelled(std::chrono::milliseconds delay) const;

  lake::Store& lake_;
  IngestLedger& ledger_;
  IngestOptions options_;
  Progress* progress_ = nullptr;  //!< set during Run
};

}  // namespace shoplake::ingest
