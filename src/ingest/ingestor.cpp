// Ingestor: list, skip what the ledger holds, copy with resume and retry, verify,
// publish, record.
#include "ingest/ingestor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/progress.h"

namespace shoplake::ingest {
namespace {

std::string SafeVersion(const std::string& version) {
  std::string safe;
  for (char c : version) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
    safe.push_back(plain ? c : '_');
  }
  return safe.empty() ? "v" : safe;
}

//! One line naming the object: Error::what() already starts with its input when it has one.
std::string Describe(const std::exception& e, const std::string& uri) {
  const auto* error = dynamic_cast<const Error*>(&e);
  if (error != nullptr && !error->input().empty()) return e.what();
  return uri + ": " + e.what();
}

// What an object fails with when the ingest is cancelled (a workflow task that timed out or
// was stopped) `when` ("before this object", ...).
Error CancelledError(const std::string& uri, const std::string& when) {
  return Error(ErrorCode::kNetwork, "the ingest was cancelled " + when, uri,
               "run the same ingest again: what arrived is kept");
}

std::string Crc32cHex(uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

}  // namespace

bool Ingestor::Cancelled() const { return options_.cancelled && options_.cancelled(); }

bool Ingestor::SleepUnlessCancelled(std::chrono::milliseconds delay) const {
  // In short slices, so a cancelled ingest stops within a few milliseconds.
  constexpr std::chrono::milliseconds kSlice{10};
  const auto until = std::chrono::steady_clock::now() + delay;
  for (;;) {
    if (Cancelled()) return false;
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, kSlice));
  }
}

Ingestor::Ingestor(lake::Store& lake, IngestLedger& ledger, IngestOptions options)
    : lake_(lake), ledger_(ledger), options_(std::move(options)) {
  Check(!options_.source_name.empty(), "IngestOptions.source_name is required");
  if (options_.ingest_date.empty()) options_.ingest_date = UtcToday();
  options_.parallel = std::max(1, options_.parallel);
}

std::string Ingestor::RawKey(const std::string& source, const std::string& date,
                             const std::string& name) {
  return "raw/" + source + "/ingest_date=" + date + "/" + name;
}

std::string Ingestor::VersionedKey(const std::string& key, const std::string& version) {
  auto slash = key.rfind('/');
  auto dot = key.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = key.size();
  return key.substr(0, dot) + "~" + SafeVersion(version) + key.substr(dot);
}

IngestedObject Ingestor::Copy(Source& source, const SourceObject& object, const std::string& run_id,
                              uint64_t seed) {
  IngestedObject result;
  result.object = object;

  // Exactly once: this version was copied before.
  if (auto recorded = ledger_.Find(options_.source_name, object.uri, object.version)) {
    result.outcome = IngestedObject::Outcome::kUnchanged;
    result.raw_key = recorded->raw_key;
    progress_->AddItems(1);
    return result;
  }
  // A new version whose stated md5 equals the latest copy's holds the same bytes (a
  // re-upload, a touched file): record the version against the existing raw object.
  auto latest = ledger_.Latest(options_.source_name, object.uri);
  if (latest && object.md5 && HexEncode(*object.md5) == latest->md5 &&
      object.size == latest->size) {
    LedgerEntry same = *latest;
    same.version = object.version;
    same.run_id = run_id;
    same.ingested_at = UtcNowIso();
    ledger_.Record(same);
    result.outcome = IngestedObject::Outcome::kUnchanged;
    result.raw_key = latest->raw_key;
    progress_->AddItems(1);
    return result;
  }

  std::string key = RawKey(options_.source_name, options_.ingest_date, object.name);
  if (ledger_.RawKeyTaken(key)) key = VersionedKey(key, object.version);
  result.raw_key = key;

  auto writer = lake_.Create(key);
  Digest sha256(Digest::Algorithm::kSha256), md5(Digest::Algorithm::kMd5);
  Crc32c crc32c;
  auto sink = [&](std::string_view bytes) {
    // The source's transfer ends with this error (sources rethrow what a sink throws).
    if (Cancelled()) {
      throw CancelledError(object.uri, "during the transfer");
    }
    writer->Append(bytes);
    sha256.Update(bytes);
    md5.Update(bytes);
    crc32c.Update(bytes);
    progress_->AddBytes(bytes.size());
  };

  std::mt19937_64 jitter(seed);
  // Only transfers that brought no new byte spend an attempt: a connection that breaks every
  // N bytes still finishes a file of any size. Progress is bounded by the object's size, so
  // the loop ends: at most `size` transfers with progress, `max_attempts` without.
  int stalled = 0;
  for (result.attempts = 1;; ++result.attempts) {
    const uint64_t before = writer->bytes_written();
    try {
      source.Read(object, before, sink);
      break;
    } catch (const std::exception& e) {
      const uint64_t now = writer->bytes_written();
      const bool progressed = now > before && now < object.size;
      if (!progressed) ++stalled;
      if (!IsTransient(e)) throw;  // a layer below may have spent the retries (common/retry.h)
      if (stalled >= options_.retry.max_attempts) GiveUp(e, result.attempts);
      // The back-off grows with the stalls only; after progress the next try comes soon.
      auto delay = options_.retry.DelayBefore(stalled + 1, jitter);
      spdlog::warn("{}; retrying from byte {} in {} ms ({} of {} attempts without progress)",
                   Describe(e, object.uri), now, delay.count(), stalled,
                   options_.retry.max_attempts);
      if (!SleepUnlessCancelled(delay)) {
        throw CancelledError(object.uri, "while retrying");
      }
    }
  }

  // Verify before anything becomes visible; a mismatch drops the staged bytes.
  const uint64_t received = writer->bytes_written();
  const std::string nothing =
      "nothing was published; run ingest again, and if it repeats the "
      "source is serving damaged bytes";
  if (received != object.size) {
    throw Error(ErrorCode::kData,
                "size mismatch: the source states " + std::to_string(object.size) + " bytes but " +
                    std::to_string(received) + " arrived",
                object.uri, nothing);
  }
  std::string md5_hex = HexEncode(md5.Finish());
  if (object.md5 && HexEncode(*object.md5) != md5_hex) {
    throw Error(ErrorCode::kData,
                "md5 mismatch: the source states " + HexEncode(*object.md5) +
                    " but the bytes received hash to " + md5_hex,
                object.uri, nothing);
  }
  if (object.crc32c && *object.crc32c != crc32c.value()) {
    throw Error(ErrorCode::kData,
                "crc32c mismatch: the source states " + Crc32cHex(*object.crc32c) +
                    " but the bytes received give " + Crc32cHex(crc32c.value()),
                object.uri, nothing);
  }

  writer->Publish();
  LedgerEntry entry{options_.source_name,
                    object.uri,
                    object.version,
                    received,
                    md5_hex,
                    Crc32cHex(crc32c.value()),
                    HexEncode(sha256.Finish()),
                    key,
                    run_id,
                    UtcNowIso()};
  // A crash between Publish and Record leaves an unrecorded raw object; the next run
  // copies the object again and publishes over it, which is safe because nothing had
  // seen it as ingested.
  ledger_.Record(entry);
  result.outcome = IngestedObject::Outcome::kNew;
  progress_->AddItems(1);
  return result;
}

namespace {

// The listed objects whose URI is one of `uris`, in listing order.
std::vector<SourceObject> OnlyThese(std::vector<SourceObject> listed,
                                    const std::vector<std::string>& uris) {
  std::set<std::string> wanted;
  for (const auto& uri : uris) {
    // An S3 listing shows the "folders" consoles create as empty keys ending in '/';
    // they are no objects, and no source lists them.
    if (!uri.ends_with('/')) wanted.insert(uri);
  }
  std::vector<SourceObject> kept;
  for (auto& object : listed) {
    if (wanted.erase(object.uri) > 0) kept.push_back(std::move(object));
  }
  if (!wanted.empty()) {
    throw Error(ErrorCode::kNotFound, "the source does not list this object", *wanted.begin(),
                "name objects by the URI the source lists them with, e.g. "
                "s3://bucket/shop/orders/2026-01-01.csv");
  }
  return kept;
}

}  // namespace

IngestSummary Ingestor::Run(Source& source) {
  IngestSummary summary;
  summary.run_id = NewRunId();
  summary.source_uri = source.uri();
  std::string started_at = UtcNowIso();
  auto start = std::chrono::steady_clock::now();

  size_t cleaned = lake_.CleanStaging();
  if (cleaned > 0) spdlog::info("removed {} staging leftovers of an interrupted run", cleaned);

  std::vector<SourceObject> objects = source.List();
  if (!options_.objects.empty()) objects = OnlyThese(std::move(objects), options_.objects);
  uint64_t total_bytes = 0;
  for (const auto& object : objects) total_bytes += object.size;
  spdlog::info("ingest {}: {} objects ({}) under {}", options_.source_name, objects.size(),
               Progress::Bytes(static_cast<double>(total_bytes)), source.uri());

  Progress progress("ingest " + options_.source_name, "objects");
  progress.SetTotals(objects.size(), total_bytes);
  progress_ = &progress;
  progress.Start(options_.progress);

  summary.objects.resize(objects.size());
  std::atomic<size_t> next{0};
  uint64_t seed = options_.seed ? options_.seed : std::random_device{}();
  auto worker = [&] {
    for (size_t i = next++; i < objects.size(); i = next++) {
      try {
        if (Cancelled()) {
          throw CancelledError(objects[i].uri, "before this object");
        }
        summary.objects[i] = Copy(source, objects[i], summary.run_id, seed + i);
      } catch (const Error& e) {
        summary.objects[i].object = objects[i];
        summary.objects[i].outcome = IngestedObject::Outcome::kFailed;
        summary.objects[i].error = Describe(e, objects[i].uri);
        if (!e.hint().empty()) summary.objects[i].error += " (" + e.hint() + ")";
        summary.objects[i].exit_code = e.exit_code();
        summary.objects[i].error_code = e.code();
        summary.objects[i].raw_key.clear();
      } catch (const std::exception& e) {
        summary.objects[i].object = objects[i];
        summary.objects[i].outcome = IngestedObject::Outcome::kFailed;
        summary.objects[i].error = Describe(e, objects[i].uri);
        summary.objects[i].exit_code = 1;
      }
    }
  };
  std::vector<std::thread> threads;
  int workers = std::min<int>(options_.parallel, std::max<size_t>(1, objects.size()));
  for (int t = 0; t < workers; ++t) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  progress.Finish();
  progress_ = nullptr;

  for (const auto& o : summary.objects) {
    switch (o.outcome) {
      case IngestedObject::Outcome::kNew:
        ++summary.objects_new;
        summary.bytes += o.object.size;
        break;
      case IngestedObject::Outcome::kUnchanged:
        ++summary.objects_unchanged;
        break;
      case IngestedObject::Outcome::kFailed:
        ++summary.objects_failed;
        break;
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ledger_.RecordRun({summary.run_id, options_.source_name, summary.source_uri, started_at,
                     UtcNowIso(), summary.objects_failed ? "failed" : "succeeded",
                     summary.objects_new, summary.objects_unchanged, summary.objects_failed,
                     summary.bytes});
  return summary;
}

}  // namespace shoplake::ingest
