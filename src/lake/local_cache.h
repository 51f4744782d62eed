// LocalCache: local files for the engines that only read and write local paths (DuckDB has
// no httpfs here; SQLite opens files), whatever store the lake is in.
//
// For a store with local paths (LocalStore) it adds nothing: ReadablePath is the object's own
// file, work folders lie inside the lake and Publish is a rename into place, so a local lake
// pays nothing for it. For a store without them (S3) it is a cache in a local folder:
//   - ReadablePath downloads the object once (through a staging name, its size checked) and
//     hands out the copy again while the store's Stat still gives the copy's size and
//     modification time (the copy's mtime is set to the object's);
//   - work folders lie in the cache, and Publish uploads a finished file (streamed, never
//     read whole) and keeps it as the cached copy of its key.
// Stages use it the same way on either kind of store: one code path, the store deciding.
//
// The cache folder is <base>/<lake id>: <base> is $SHOPLAKE_CACHE_DIR, else
// $XDG_CACHE_HOME/shoplake, else ~/.cache/shoplake; <lake id> is the first 16 hex digits of
// the SHA-256 of the lake's URI, so two lakes never share copies. Inside it:
//   lake-uri        the lake's URI, to tell the folders apart
//   objects/<key>   cached copies
//   staging/        downloads under way, renamed into objects/ once complete
//   work/<prefix>/  the stages' work folders (the transform's .tmp-<run>, query results)
//   catalog/        the catalog's local copies (lake/catalog_file.h)
// Deleting the folder is always safe between runs; docs/lake.md says how big it gets. With
// $SHOPLAKE_CACHE_MAX_MB set (a Lambda function's /tmp is small), a download that takes the
// copies past that trims them to three quarters of it, least recently handed out first.
//
// Thread safety: every method may be called from several threads, and several processes may
// share a cache folder: copies are published by rename, never written in place.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/store.h"

namespace shoplake::lake {

class LocalCache {
 public:
  //! The cache of `store` (which must outlive it) in `folder`, or in DefaultFolder(store.uri())
  //! when none is given. For a remote store, creates the folder; on failure throws Error(kIo)
  //! naming it.
  explicit LocalCache(Store& store, std::optional<std::filesystem::path> folder = std::nullopt);
  LocalCache(const LocalCache&) = delete;
  LocalCache& operator=(const LocalCache&) = delete;

  //! The cache folder of the lake `lake_uri` (see the file comment).
  static std::filesystem::path DefaultFolder(std::string_view lake_uri);

  //! True when the store has local paths, so that nothing is ever copied.
  bool passthrough() const { return passthrough_; }

  //! The folder every path this cache hands out lies under: the lake's own folder for a local
  //! store, the cache folder otherwise. What DuckDB may be confined to (allowed_directories).
  const std::filesystem::path& root() const { return root_; }

  //! The cache folder (for a local store: where it would be; the cache creates nothing there,
  //! though catalog::SnapshotScanSql keeps raw files' UTF-8 copies in its text/ folder).
  const std::filesystem::path& folder() const { return folder_; }

  //! Where files being downloaded are staged: in the cache folder, so that a finished one is
  //! renamed into place. Names in it come from StagingName (lake/local_store.h).
  std::filesystem::path staging_folder() const { return folder_ / "staging"; }

  //! A local file holding `key`: the store's own path, or a cached copy, downloaded when the
  //! cache has none that matches the object's size and modification time. A key is checked
  //! against the store once per LocalCache. Throws Error(kNotFound) naming the key when the
  //! object does not exist, Error(kIo) when the download fails or gives other than the
  //! object's size.
  std::string ReadablePath(std::string_view key);

  //! ReadablePath of each of `keys`, in their order, checked and fetched a few at a time (a
  //! table's snapshot lists hundreds of files, and each check is a round trip to S3). Throws
  //! the first error any of them met.
  std::vector<std::string> ReadablePaths(const std::vector<std::string>& keys);

  //! Where ReadablePath puts `key`, without checking or fetching anything (for plans that only
  //! print paths, such as transform --dry-run).
  std::string PathOf(std::string_view key) const;

  //! The local folder in which a stage lets an engine write files bound for the lake prefix
  //! `prefix` ("processed/shop/orders", "results"): the prefix's own folder in a local lake
  //! (so Publish is a rename in one file system), the cache's work/<prefix> otherwise. Not
  //! created here.
  std::filesystem::path WorkFolder(std::string_view prefix) const;

  //! Downloads the object `key` (as `object`, its Stat, describes it) to the local file
  //! `target`: through a file in staging_folder(), renamed onto `target` once its size is
  //! checked, with the object's modification time. REQUIRES: !passthrough(). Throws as
  //! CopyObjectToFile does; leaves `target` as it was on failure.
  void Fetch(std::string_view key, const ObjectInfo& object,
             const std::filesystem::path& target) const;

  //! Removes cached copies (objects/), least recently handed out first, until they take at
  //! most `max_bytes`; never one this LocalCache handed out (its run may still read it), nor
  //! one any process handed out within `grace` (another run may be about to open it), so the
  //! copies may stay above `max_bytes`. Returns the bytes removed. No-op for a local lake.
  uint64_t Trim(uint64_t max_bytes, std::chrono::seconds grace = std::chrono::minutes(10));

  //! Makes the finished local file `file` the object `key` and returns its size: renamed into
  //! place for a local store (copied through Store::Create when the rename cannot be done),
  //! else uploaded through Store::Create/Append/Publish and kept as the cached copy. `file`
  //! is gone afterwards. Throws Error(kIo) naming the file or the key.
  uint64_t Publish(const std::filesystem::path& file, std::string_view key);

 private:
  Store& store_;
  bool passthrough_;
  std::filesystem::path folder_;
  std::filesystem::path root_;
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> checked_;  // key -> path, checked already
  std::optional<uint64_t> max_bytes_;                        // $SHOPLAKE_CACHE_MAX_MB
  std::optional<uint64_t> cached_bytes_;                     // the copies' size, once counted
  uint64_t next_trim_at_ = 0;  // the size at which Added trims again after a trim fell short

  // After a copy of `bytes` was added: trims when the copies are past max_bytes_.
  void Added(uint64_t bytes);
  // The copy `path` of `key` goes to a caller: marked as handed out (Trim spares it), kept as
  // checked, and counted when `added_bytes` came in with it.
  void HandOut(std::string_view key, const std::filesystem::path& path, uint64_t added_bytes);
};

//! Streams the local file `file` into the object `key` of `store` (Create, Append in pieces,
//! Publish). Returns the bytes written. Throws Error(kIo) naming the file or the key.
uint64_t CopyFileToStore(const std::filesystem::path& file, Store& store, std::string_view key);

//! Streams the object `key` of `store` into the new local file `file` (created, or truncated)
//! and checks that it holds `expected_size` bytes. Throws Error(kNotFound) when the object is
//! gone, Error(kIo) naming the key when the size differs or the file cannot be written.
void CopyObjectToFile(Store& store, std::string_view key, uint64_t expected_size,
                      const std::filesystem::path& file);

}  // namespace shoplake::lake
