// CatalogFile: the lake's catalog file (_catalog/catalog.db: the catalog, the ingest ledger,
// the transform's records, the workflow history) as a local file SQLite can open, whatever
// store the lake is in. Every verb and stage opens the catalog at path().
//
// A local lake's catalog is its own file: SQLite opens it in place (WAL mode) and processes
// share it as they always did. Nothing here changes that.
//
// A remote lake's catalog (S3) cannot be opened in place, and an object is only ever written
// whole, so the file travels whole:
//   kWrite  takes the lake's lock "catalog" for as long as the CatalogFile lives: one writing
//           process per remote lake at a time (single writer; a second waits, then fails
//           naming the holder). Downloads the catalog into the cache (catalog/catalog.db,
//           replacing whatever a crashed writer left there), and after every commit that any
//           connection of this process makes to that file, uploads a consistent copy of it
//           (VACUUM INTO) as the object _catalog/catalog.db. A PUT replaces the object whole,
//           so readers get the catalog before a commit or after it. The commit returns only
//           once the upload is done (db/sqlite.h's CommitObserver), so what a stage does
//           after a commit (the transform deletes the files its new snapshot dropped) happens
//           only once the lake's catalog says so; a failed upload fails the commit's caller.
//           Ingest alone defers its uploads (db/sqlite.h's CommitCoalescing, one every
//           few seconds and one at its end): a record the lake missed only means the next
//           run copies that object again.
//   kRead   downloads the catalog into a private file of this process (catalog/readers/ in
//           the cache), removed with the CatalogFile: the catalog as it was when opened, no
//           lock. For verbs that only look (query, report, catalog ls, serve); what they might
//           write into it stays local. Refresh() copies it again when the lake's has changed
//           (serve, which runs for hours, does before answering a request).
//
// Order, and what a crash leaves: stages publish data files before the commit that lists
// them, and the catalog goes up after the commit, so a crash (or a failed upload) in between
// leaves the lake's catalog as it was, plus files no snapshot lists: readers never see them
// (they read a snapshot's files) and the next run of the stage removes them. A crashed
// writer's local copy is never uploaded: the next writer downloads the catalog afresh.
//
// Thread safety: path() may be used from several threads; uploads are serialized, in commit
// order.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lake/local_cache.h"
#include "lake/store.h"

namespace shoplake::db {
class CommitObserver;
}

namespace shoplake::lake {

class CatalogFile {
 public:
  enum class Access { kRead, kWrite };

  //! The catalog's key in every lake.
  static constexpr const char* kKey = "_catalog/catalog.db";

  //! Opens the catalog of `store` (which, with `cache`, must outlive it) for `access`; for a
  //! remote lake, waits up to `lock_wait` for another writer. Throws Error(kConflict) naming
  //! the holder of the lock, Error(kIo) when the download fails.
  CatalogFile(Store& store, const LocalCache& cache, Access access,
              std::chrono::milliseconds lock_wait = std::chrono::minutes(10));
  ~CatalogFile();
  CatalogFile(const CatalogFile&) = delete;
  CatalogFile& operator=(const CatalogFile&) = delete;

  //! The local SQLite file to open: after a Refresh that copied the catalog again, the new
  //! copy (connections opened on the old one keep reading it).
  std::string path() const;
  Access access() const { return access_; }
  //! True when path() is a copy of the lake's catalog rather than the catalog itself.
  bool copy() const { return copy_; }

  //! A reader's copy of a remote lake's catalog: when the lake's catalog object changed since
  //! it was copied (its size, modification time or version), copies it again into a new file
  //! and returns true. Looks at most once per `at_most_every` (false in between), and never
  //! for a local lake's catalog or a writer's, which are always current. Throws as the
  //! download does; the old copy stays path() then.
  bool Refresh(std::chrono::milliseconds at_most_every = std::chrono::seconds(1));

 private:
  //! Uploads a consistent copy of path() as kKey.
  void Upload();

  Store& store_;
  const LocalCache& cache_;
  Access access_;
  bool copy_ = false;
  mutable std::mutex path_mutex_;  // path_, copied_, looked_, superseded_
  std::string path_;
  std::optional<ObjectInfo> copied_;  // the catalog object a reader's copy was made from
  std::chrono::steady_clock::time_point looked_;
  std::vector<std::string> superseded_;  // a reader's copy before the current one
  std::string staging_folder_;
  std::unique_ptr<Lock> lock_;
  std::mutex upload_mutex_;
  std::unique_ptr<db::CommitObserver> observer_;
};

}  // namespace shoplake::lake
