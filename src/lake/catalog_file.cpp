// CatalogFile: the catalog in place for a local lake; downloaded, and uploaded after each
// commit, for a remote one.
#include "lake/catalog_file.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/crash.h"
#include "common/error.h"
#include "common/files.h"
#include "db/sqlite.h"
#include "lake/local_store.h"

namespace shoplake::lake {
namespace fs = std::filesystem;

namespace {

// The file and what SQLite keeps beside it.
void RemoveDatabase(const fs::path& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(path.string() + suffix, ec);
    if (ec) throw SystemError("cannot remove", path.string() + suffix, ec.value());
  }
}

}  // namespace

CatalogFile::CatalogFile(Store& store, const LocalCache& cache, Access access,
                         std::chrono::milliseconds lock_wait)
    : store_(store), cache_(cache), access_(access) {
  if (auto local = store.LocalPath(kKey)) {
    path_ = *local;
    CreateFolders(fs::path(path_).parent_path());
    return;
  }
  copy_ = true;
  fs::path folder = cache.folder() / "catalog";
  staging_folder_ = cache.staging_folder().string();
  if (access == Access::kRead) {
    // A private copy, named so that the copies of processes that are gone can be told apart.
    fs::path readers = folder / "readers";
    CreateFolders(readers);
    RemoveStagedByDeadProcesses(readers);
    path_ = (readers / (StagingName() + ".db")).string();
    copied_ = store.Stat(kKey);
    if (copied_) cache.Fetch(kKey, *copied_, path_);
    looked_ = std::chrono::steady_clock::now();
    return;
  }
  lock_ = store.Acquire("catalog", lock_wait);
  CreateFolders(folder);
  path_ = (folder / "catalog.db").string();
  // We hold the lock: nothing here belongs to a live writer, and a crashed one's commits
  // that never reached the lake must not either.
  RemoveDatabase(path_);
  // A new lake has no catalog yet: SQLite creates it, and the first commit uploads it.
  if (auto object = store.Stat(kKey)) cache.Fetch(kKey, *object, path_);
  observer_ = std::make_unique<db::CommitObserver>(path_, [this] { Upload(); });
}

CatalogFile::~CatalogFile() {
  observer_.reset();
  if (copy_ && access_ == Access::kRead) {
    superseded_.push_back(path_);
    for (const auto& copy : superseded_) {
      try {
        RemoveDatabase(copy);
      } catch (const Error& e) {
        // A leftover copy is removed by the next reader (its process is gone by then).
        spdlog::debug("{}", e.what());
      }
    }
  }
}

std::string CatalogFile::path() const {
  std::lock_guard lock(path_mutex_);
  return path_;
}

bool CatalogFile::Refresh(std::chrono::milliseconds at_most_every) {
  if (!copy_ || access_ != Access::kRead) return false;
  std::lock_guard lock(path_mutex_);
  auto now = std::chrono::steady_clock::now();
  if (now - looked_ < at_most_every) return false;
  looked_ = now;
  std::optional<ObjectInfo> object = store_.Stat(kKey);
  if (!object) return false;  // no catalog yet, or not any more: keep what we have
  if (copied_ && object->size == copied_->size &&
      object->modified_unix_ms == copied_->modified_unix_ms &&
      object->version == copied_->version) {
    return false;
  }
  // A new file rather than the old one replaced: SQLite connections open on the old copy
  // (a request being answered) keep reading it whole.
  fs::path fresh = fs::path(path_).parent_path() / (StagingName() + ".db");
  cache_.Fetch(kKey, *object, fresh);
  // The copy before the one replaced now has had a whole interval to finish its requests.
  for (const auto& old : superseded_) {
    try {
      RemoveDatabase(old);
    } catch (const Error& e) {
      spdlog::debug("{}", e.what());
    }
  }
  superseded_ = {path_};
  path_ = fresh.string();
  copied_ = object;
  spdlog::debug("the lake's catalog changed: copied it again to {}", path_);
  return true;
}

void CatalogFile::Upload() {
  std::lock_guard<std::mutex> lock(upload_mutex_);
  fs::path snapshot = fs::path(staging_folder_) / StagingName();
  try {
    {
      // A copy as of the commit just made: VACUUM INTO reads in one transaction.
      db::SqliteDatabase db(path_);
      db.Prepare("VACUUM INTO ?").Bind(1, snapshot.string()).Run();
    }
    CrashPoint("catalog.before_upload");
    uint64_t bytes = CopyFileToStore(snapshot, store_, kKey);
    spdlog::debug("uploaded the catalog ({} bytes) to {}", bytes, store_.uri());
  } catch (const Error& e) {
    std::error_code ignored;
    fs::remove(snapshot, ignored);
    throw Error(e.code(),
                "a commit was made but the lake's catalog could not be updated: " + e.message(),
                e.input().empty() ? store_.uri() + "/" + kKey : e.input(),
                "the lake keeps its catalog as it was before the commit: run the same command "
                "again");
  }
  std::error_code ignored;
  fs::remove(snapshot, ignored);
}

}  // namespace shoplake::lake
