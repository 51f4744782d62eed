// S3Store: keys under a prefix, chunked ranged reads, single or multipart writes, and
// locks as conditionally written objects.
#include "lake/s3_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/names.h"
#include "common/numbers.h"

namespace shoplake::lake {
namespace {

constexpr std::string_view kStagingFolder = "_staging/";
constexpr std::string_view kLocksFolder = "_locks/";
// Each Read past the buffer fetches this much with one ranged GET: few requests, bounded
// memory.
constexpr uint64_t kReadChunk = 8ull << 20;

std::string Trimmed(std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(prefix.begin());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
}

class S3Reader : public Reader {
 public:
  S3Reader(S3Client& client, std::string object_key, std::string etag, uint64_t offset,
           uint64_t remaining)
      : client_(client),
        object_key_(std::move(object_key)),
        etag_(std::move(etag)),
        offset_(offset),
        remaining_(remaining) {}

  size_t Read(char* buffer, size_t capacity) override {
    if (position_ == chunk_.size()) {
      if (remaining_ == 0) return 0;
      // Buffered, so a GET that breaks off midway is retried whole, and one that fails
      // leaves nothing half-served: calling Read again fetches the same range.
      chunk_ = client_.GetRange(object_key_, offset_, std::min(remaining_, kReadChunk), etag_);
      position_ = 0;
      if (chunk_.empty()) {
        throw Error(ErrorCode::kIo,
                    "the object ended " + std::to_string(remaining_) + " bytes early at byte " +
                        std::to_string(offset_),
                    client_.Uri(object_key_), "it changed while it was read; read it again");
      }
      offset_ += chunk_.size();
      remaining_ -= std::min<uint64_t>(remaining_, chunk_.size());
    }
    size_t n = std::min(capacity, chunk_.size() - position_);
    std::copy_n(chunk_.data() + position_, n, buffer);
    position_ += n;
    return n;
  }

 private:
  S3Client& client_;
  std::string object_key_;
  std::string etag_;     //!< pins every chunk to the version Open saw
  uint64_t offset_;      //!< of the next chunk
  uint64_t remaining_;   //!< bytes not fetched yet
  std::string chunk_;    //!< the last chunk fetched
  size_t position_ = 0;  //!< in chunk_
};

class S3Writer : public Writer {
 public:
  S3Writer(S3Client& client, std::string object_key, uint64_t part_size)
      : client_(client), object_key_(std::move(object_key)), part_size_(part_size) {}

  ~S3Writer() override {
    if (published_ || upload_id_.empty()) return;
    try {
      client_.AbortMultipartUpload(object_key_, upload_id_);
    } catch (const Error& e) {
      // Never visible either way; the parts cost storage until CleanStaging or a lifecycle
      // rule removes them. An endpoint without AbortMultipartUpload (s3rver answers 405,
      // a usage error) would say so for every writer: once is enough.
      static std::atomic<bool> said{false};
      if (e.code() == ErrorCode::kUsage && said.exchange(true)) return;
      spdlog::warn("{}: could not abort the unpublished upload {}: {}", client_.Uri(object_key_),
                   upload_id_, e.what());
    }
  }

  void Append(std::string_view bytes) override {
    Check(!published_, "Append after Publish on " + client_.Uri(object_key_));
    buffer_.append(bytes);
    written_ += bytes.size();
    if (buffer_.size() >= part_size_) UploadPart();
  }

  void Publish() override {
    Check(!published_, "Publish called twice on " + client_.Uri(object_key_));
    if (upload_id_.empty()) {
      client_.Put(object_key_, buffer_);
    } else {
      if (!buffer_.empty()) UploadPart();
      client_.CompleteMultipartUpload(object_key_, upload_id_, part_etags_);
    }
    published_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
  }

  uint64_t bytes_written() const override { return written_; }

 private:
  void UploadPart() {
    if (upload_id_.empty()) upload_id_ = client_.CreateMultipartUpload(object_key_);
    int number = static_cast<int>(part_etags_.size()) + 1;
    part_etags_.push_back(client_.UploadPart(object_key_, upload_id_, number, buffer_));
    buffer_.clear();
  }

  S3Client& client_;
  std::string object_key_;
  uint64_t part_size_;
  std::string buffer_;  //!< bytes not uploaded yet: at most about one part
  std::string upload_id_;
  std::vector<std::string> part_etags_;
  uint64_t written_ = 0;
  bool published_ = false;
};

// What a lock object holds: who holds it, a token that tells this holder from another with
// the same pid (threads), and when its lease ends unless renewed (Unix ms). Notes written
// before leases have no "expires" line: they never run out.
struct LockNote {
  std::string holder, token;
  std::optional<int64_t> expires_unix_ms;

  std::string Text() const {
    std::string text = holder + "\ntoken " + token + "\n";
    if (expires_unix_ms) text += "expires " + std::to_string(*expires_unix_ms) + "\n";
    return text;
  }

  static LockNote Parse(std::string_view text) {
    LockNote note;
    std::vector<std::string_view> lines = Lines(text);
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      if (i == 0) {
        note.holder = line;
      } else if (line.starts_with("token ")) {
        note.token = line.substr(6);
      } else if (line.starts_with("expires ")) {
        // Not a number: a note we did not write; it does not run out.
        note.expires_unix_ms = ParseSigned(line.substr(8));
      }
    }
    return note;
  }
};

// The lock object's note and its ETag, or nullopt when there is no lock (or it changed
// while it was read: look again).
std::optional<std::pair<LockNote, std::string>> ReadLock(S3Client& client,
                                                         const std::string& object_key) {
  auto head = client.Head(object_key);
  if (!head) return std::nullopt;
  std::string text;
  HttpSink sink = [&](std::string_view bytes) { text.append(bytes); };
  try {
    client.Get(object_key, 0, std::nullopt, sink, head->etag);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kData) throw;
    return std::nullopt;
  }
  return std::make_pair(LockNote::Parse(text), head->etag);
}

// A held lock: a thread renews its lease until the lock is released. It has a client of its
// own, so a lock handed out does not depend on its store living as long.
class S3Lock : public Lock {
 public:
  S3Lock(std::unique_ptr<S3Client> client, std::string object_key, LockNote note, std::string etag,
         std::chrono::milliseconds lease)
      : client_(std::move(client)),
        object_key_(std::move(object_key)),
        note_(std::move(note)),
        etag_(std::move(etag)),
        lease_(lease),
        renewer_([this] { RenewUntilReleased(); }) {}

  ~S3Lock() override {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    wake_.notify_all();
    renewer_.join();
    try {
      // Only our own note: a lock taken over, or removed by hand and taken, is theirs.
      auto current = ReadLock(*client_, object_key_);
      if (current && current->first.token == note_.token) client_->Delete(object_key_);
    } catch (const Error& e) {
      spdlog::warn("{}: could not release the lock: {} (its lease runs out in {} s)",
                   client_->Uri(object_key_), e.what(),
                   std::chrono::duration_cast<std::chrono::seconds>(lease_).count());
    }
  }

 private:
  void RenewUntilReleased() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, lease_ / 4, [this] { return released_; })) {
      note_.expires_unix_ms = UnixMsNow() + lease_.count();
      try {
        auto etag = client_->PutIfMatch(object_key_, note_.Text(), etag_);
        if (!etag) {
          spdlog::error(
              "{}: the lock was taken over: its lease ran out before it could be renewed "
              "(this process was stalled or cut off from S3)",
              client_->Uri(object_key_));
          return;
        }
        etag_ = *etag;
      } catch (const Error& e) {
        spdlog::warn("{}: could not renew the lock's lease: {}; trying again",
                     client_->Uri(object_key_), e.what());
      }
    }
  }

  std::unique_ptr<S3Client> client_;
  std::string object_key_;
  LockNote note_;
  std::string etag_;  // of the note we last wrote
  std::chrono::milliseconds lease_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool released_ = false;
  std::thread renewer_;  // last: it starts once the rest is set
};

}  // namespace

S3Store::S3Store(std::string bucket, std::string prefix, aws::AwsConfig config,
                 S3StoreOptions options)
    : prefix_(Trimmed(std::move(prefix))),
      options_(options),
      client_(std::move(bucket), std::move(config), options.client) {
  if (options_.part_size < kS3MinimumPartSize) {
    throw Error(ErrorCode::kUsage,
                "an S3 part size of " + std::to_string(options_.part_size) +
                    " bytes is under S3's minimum of 5 MiB",
                uri(), "use a part size of at least 5 MiB");
  }
}

std::string S3Store::uri() const { return client_.Uri(prefix_); }

std::string S3Store::ObjectKey(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "/" + std::string(key);
}

std::vector<ObjectInfo> S3Store::List(std::string_view prefix) {
  const std::string root = prefix_.empty() ? "" : prefix_ + "/";
  std::vector<ObjectInfo> objects;
  for (S3Object& object : client_.List(root + std::string(prefix))) {
    std::string_view key = std::string_view(object.key).substr(root.size());
    // The store's own folders hold no objects; "folder/" placeholders made by consoles are
    // not objects a key can name.
    if (key.starts_with(kStagingFolder) || key.starts_with(kLocksFolder) || key.empty() ||
        key.ends_with('/')) {
      continue;
    }
    objects.push_back({std::string(key), object.size, object.modified_unix_ms, object.etag});
  }
  return objects;
}

std::optional<ObjectInfo> S3Store::Stat(std::string_view key) {
  ValidateKey(key);
  auto object = client_.Head(ObjectKey(key));
  if (!object) return std::nullopt;
  return ObjectInfo{std::string(key), object->size, object->modified_unix_ms, object->etag};
}

std::unique_ptr<Reader> S3Store::Open(std::string_view key, uint64_t offset,
                                      std::optional<uint64_t> length) {
  ValidateKey(key);
  auto object = client_.Head(ObjectKey(key));
  if (!object) {
    throw Error(ErrorCode::kNotFound, "no such object in the lake", std::string(key),
                "it is not under " + uri());
  }
  uint64_t available = offset >= object->size ? 0 : object->size - offset;
  uint64_t remaining = length ? std::min(*length, available) : available;
  return std::make_unique<S3Reader>(client_, ObjectKey(key), object->etag, offset, remaining);
}

std::unique_ptr<Writer> S3Store::Create(std::string_view key) {
  ValidateKey(key);
  return std::make_unique<S3Writer>(client_, ObjectKey(key), options_.part_size);
}

void S3Store::Delete(std::string_view key) {
  ValidateKey(key);
  client_.Delete(ObjectKey(key));
}

std::unique_ptr<Lock> S3Store::Acquire(std::string_view name, std::chrono::milliseconds wait) {
  ValidateLockName(name);
  const std::string object_key = ObjectKey(std::string(kLocksFolder) + std::string(name) + ".lock");
  static std::atomic<uint64_t> counter{0};
  LockNote mine{LockHolderNote(),
                std::to_string(std::random_device{}()) + "-" + std::to_string(counter.fetch_add(1)),
                std::nullopt};
  const int64_t lease_ms = options_.lock_lease.count();

  auto deadline = std::chrono::steady_clock::now() + wait;
  LockNote holder;
  for (;;) {
    mine.expires_unix_ms = UnixMsNow() + lease_ms;
    std::optional<std::string> etag;  // of our note, when a conditional write took it
    bool wrote = false;
    // Check first: on endpoints that ignore the conditions this is the only exclusion.
    if (auto current = ReadLock(client_, object_key)) {
      holder = current->first;
      const auto& expires = holder.expires_unix_ms;
      if (expires && UnixMsNow() > *expires + lease_ms / 2) {
        spdlog::warn("{}: the lease of {} ran out at {} unrenewed; taking the lock over",
                     client_.Uri(object_key), holder.holder, ToIso(FromUnixMs(*expires)));
        etag = client_.PutIfMatch(object_key, mine.Text(), current->second);
        wrote = true;
      }
    } else if (!client_.Head(object_key)) {
      etag = client_.PutIfAbsent(object_key, mine.Text());
      wrote = true;
    }
    if (wrote) {
      // Read back: a server that ignored the condition lets the last writer win; a refused
      // write means another process got there first, and says who.
      if (auto back = ReadLock(client_, object_key)) {
        if (etag && back->first.token == mine.token) {
          return std::make_unique<S3Lock>(
              std::make_unique<S3Client>(client_.bucket(), client_.config(), options_.client),
              object_key, mine, back->second, options_.lock_lease);
        }
        holder = back->first;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(options_.lock_poll);
  }
  std::string who = holder.holder.empty() ? "another process" : holder.holder;
  std::string hint =
      holder.expires_unix_ms
          ? "wait for that run to finish; if it crashed, the lock is taken over half a lease "
            "after its lease ran out (" +
                std::to_string(lease_ms / 1000) + " s leases)"
          : "wait for that run to finish; this lock has no lease (an older shoplake wrote it), "
            "so if that run crashed remove it with `aws s3 rm " +
                client_.Uri(object_key) + "`";
  throw Error(ErrorCode::kConflict, "lock '" + std::string(name) + "' is held by " + who,
              client_.Uri(object_key), hint);
}

size_t S3Store::CleanStaging() {
  const std::string root = prefix_.empty() ? "" : prefix_ + "/";
  auto uploads = client_.ListMultipartUploads(root);
  if (!uploads) {
    spdlog::debug("{}: the endpoint cannot list multipart uploads; nothing to clean", uri());
    return 0;
  }
  const int64_t now_ms = UnixMsNow();
  const int64_t stale_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.stale_upload_age).count();
  size_t aborted = 0;
  for (const S3Upload& upload : *uploads) {
    if (upload.initiated_unix_ms == 0 || now_ms - upload.initiated_unix_ms < stale_ms) continue;
    client_.AbortMultipartUpload(upload.key, upload.upload_id);
    ++aborted;
  }
  return aborted;
}

std::optional<std::string> S3Store::LocalPath(std::string_view key) const {
  ValidateKey(key);
  return std::nullopt;
}

}  // namespace shoplake::lake
