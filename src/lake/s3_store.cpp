// S3Store: keys under a prefix, chunked ranged reads, single or multipart writes, and
// locks as conditionally written objects.
#include "lake/s3_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "common/error.h"
#include "common/hash.h"

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

// The holder's note a lock object holds. Throws Error(kNotFound) when there is no lock.
std::string ReadLockNote(S3Client& client, const std::string& object_key) {
  std::string note;
  HttpSink sink = [&](std::string_view bytes) { note.append(bytes); };
  client.Get(object_key, 0, std::nullopt, sink);
  return note;
}

class S3Lock : public Lock {
 public:
  S3Lock(S3Client& client, std::string object_key, std::string note)
      : client_(client), object_key_(std::move(object_key)), note_(std::move(note)) {}

  ~S3Lock() override {
    try {
      // Only our own note: a lock someone removed by hand and another run took is theirs.
      if (ReadLockNote(client_, object_key_) == note_) client_.Delete(object_key_);
    } catch (const Error& e) {
      spdlog::warn("{}: could not release the lock: {} (remove it by hand if it stays)",
                   client_.Uri(object_key_), e.what());
    }
  }

 private:
  S3Client& client_;
  std::string object_key_;
  std::string note_;
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
    objects.push_back({std::string(key), object.size, object.modified_unix_ms});
  }
  return objects;
}

std::optional<ObjectInfo> S3Store::Stat(std::string_view key) {
  ValidateKey(key);
  auto object = client_.Head(ObjectKey(key));
  if (!object) return std::nullopt;
  return ObjectInfo{std::string(key), object->size, object->modified_unix_ms};
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
  // The token tells our note from another holder's with the same pid (threads).
  static std::atomic<uint64_t> counter{0};
  const std::string note = LockHolderNote() + "\ntoken " + std::to_string(std::random_device{}()) +
                           "-" + std::to_string(counter.fetch_add(1)) + "\n";
  auto read_note = [&]() -> std::string {  // "" when the lock is gone meanwhile
    try {
      return ReadLockNote(client_, object_key);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      return "";
    }
  };

  auto deadline = std::chrono::steady_clock::now() + wait;
  std::string holder;
  for (;;) {
    // Check first: on endpoints that ignore If-None-Match this is the only exclusion.
    if (!client_.Head(object_key)) {
      if (client_.PutIfAbsent(object_key, note)) {
        // Read back: a server that ignored the condition lets the last writer win.
        std::string current = read_note();
        if (current == note) return std::make_unique<S3Lock>(client_, object_key, note);
        holder = current;
      }
    }
    if (holder.empty()) holder = read_note();
    if (std::chrono::steady_clock::now() >= deadline) break;
    holder.clear();
    std::this_thread::sleep_for(options_.lock_poll);
  }
  std::string who = holder.substr(0, holder.find('\n'));
  if (who.empty()) who = "another process";
  throw Error(ErrorCode::kConflict, "lock '" + std::string(name) + "' is held by " + who,
              client_.Uri(object_key),
              "wait for that run to finish; if it crashed, the lock stays (S3 has no process to "
              "release it with): remove it with `aws s3 rm " +
                  client_.Uri(object_key) + "`");
}

size_t S3Store::CleanStaging() {
  const std::string root = prefix_.empty() ? "" : prefix_ + "/";
  auto uploads = client_.ListMultipartUploads(root);
  if (!uploads) {
    spdlog::debug("{}: the endpoint cannot list multipart uploads; nothing to clean", uri());
    return 0;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
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
