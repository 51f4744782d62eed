// lake::Store: the one interface through which shoplake touches the lake's bytes.
//
// A Store is rooted at a lake URI (a local folder, or s3://bucket/prefix) and
// addresses objects by key: a relative, '/'-separated path such as
// "raw/shop/ingest_date=2026-01-01/orders/2026-01-01.csv". Like LevelDB's Env it is the
// seam between the pipeline and the platform: LocalStore is the embedded default, S3Store
// fits the same contract, and FaultyStore wraps either to inject failures in tests.
//
// Thread safety: every method may be called from several threads at once; a Writer or
// Reader object is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::lake {

//! What a Store knows of one published object.
struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t modified_unix_ms = 0;
  //! Changes whenever the object is written again, even within a millisecond (S3's
  //! LastModified has seconds only) and at the same size: S3's ETag; a local file's
  //! modification time in nanoseconds and inode.
  std::string version;
};

//! A sequential reader over one object (or a byte range of it).
class Reader {
 public:
  virtual ~Reader() = default;
  //! Reads up to `capacity` bytes into `buffer`. Returns the number read; 0 at the end.
  //! On failure throws Error(kIo).
  virtual size_t Read(char* buffer, size_t capacity) = 0;
};

//! Writes one object through a staging name. Nothing is visible under the key until
//! Publish() returns; destroying a Writer that was not published discards the staged bytes.
class Writer {
 public:
  virtual ~Writer() = default;
  //! Appends bytes to the staged object. On failure throws Error(kIo) naming the key.
  virtual void Append(std::string_view bytes) = 0;
  //! Makes the object visible under its key in one step (rename or completed upload),
  //! replacing any object already there. REQUIRES: called at most once.
  virtual void Publish() = 0;
  virtual uint64_t bytes_written() const = 0;
};

//! An exclusive, advisory lock on a name within the lake; released on destruction.
class Lock {
 public:
  virtual ~Lock() = default;
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  //! The lake root this store serves, as a URI ("file:///abs/path/lake", "s3://b/p").
  virtual std::string uri() const = 0;

  //! Every published object whose key starts with `prefix` (recursive), sorted by key.
  //! Staging leftovers and lock files are never listed.
  virtual std::vector<ObjectInfo> List(std::string_view prefix) = 0;

  //! The object under `key`, or nullopt when there is none.
  virtual std::optional<ObjectInfo> Stat(std::string_view key) = 0;

  //! Opens `key` for reading from byte `offset`, at most `length` bytes (all when nullopt).
  //! Throws Error(kNotFound) when the object does not exist.
  virtual std::unique_ptr<Reader> Open(std::string_view key, uint64_t offset = 0,
                                       std::optional<uint64_t> length = std::nullopt) = 0;

  //! Starts writing `key` through a staging name; see Writer.
  virtual std::unique_ptr<Writer> Create(std::string_view key) = 0;

  //! Removes `key`. Removing an object that does not exist is not an error.
  virtual void Delete(std::string_view key) = 0;

  //! Takes the exclusive lock `name`, waiting up to `wait`. When it cannot, throws
  //! Error(kConflict) saying who holds it (process, command, since when).
  virtual std::unique_ptr<Lock> Acquire(std::string_view name, std::chrono::milliseconds wait) = 0;

  //! Removes staged objects that crashed writers left behind: those whose writing
  //! process is gone. Safe while other processes write. Returns how many it removed.
  virtual size_t CleanStaging() = 0;

  //! Where `key` lives on the local file system, for engines that need a path
  //! (DuckDB); nullopt for remote stores, which stage through a local cache instead.
  virtual std::optional<std::string> LocalPath(std::string_view key) const = 0;

  // Conveniences over the primitives above.

  //! The whole object as bytes. For small objects (manifests, metadata) only.
  std::string ReadAll(std::string_view key, uint64_t offset = 0,
                      std::optional<uint64_t> length = std::nullopt);
  //! Writes and publishes `bytes` under `key` in one call.
  void WriteAll(std::string_view key, std::string_view bytes);
};

//! Throws Error(kUsage) unless `key` is a valid object key: non-empty, relative,
//! '/'-separated, without empty, "." or ".." segments, and not inside "_staging/" or
//! "_locks/" (the store's own folders).
void ValidateKey(std::string_view key);

//! Throws Error(kUsage) unless `name` is a valid lock name: one non-empty word without '/'
//! that does not start with '.'.
void ValidateLockName(std::string_view name);

//! Who takes a lock, written into it for others to read:
//! "pid N on HOST (COMMAND) since 2026-11-27T09:00:00Z".
std::string LockHolderNote();

//! Opens the store for a lake URI: a plain path or file:// URI gives a LocalStore,
//! s3://bucket[/prefix] an S3Store with the AWS configuration of the environment
//! (common/aws_config.h). Throws Error(kUsage) for another scheme or missing credentials.
std::unique_ptr<Store> OpenStore(const std::string& uri);

}  // namespace shoplake::lake
