// LocalStore: the lake in a local folder, the embedded default.
//
// Objects are files under the root. A Writer stages bytes in <root>/_staging/ and
// publishes by fsync + rename(2) onto the key's path + fsync of the folder, so a reader
// sees the old object or the whole new one, never a part, and a crash leaves at most a
// staging leftover that List never shows and CleanStaging removes. Locks are flock(2)s on
// <root>/_locks/<name>.lock, released when the holder's process dies.
//
// Thread safety: as lake::Store.
#pragma once

#include <sys/stat.h>

#include <filesystem>

#include "lake/store.h"

namespace shoplake::lake {

class LocalStore : public Store {
 public:
  //! Serves the folder `root`, creating it when missing.
  //! On failure throws Error(kIo) naming the folder.
  explicit LocalStore(std::filesystem::path root);

  std::string uri() const override;
  std::vector<ObjectInfo> List(std::string_view prefix) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Reader> Open(std::string_view key, uint64_t offset,
                               std::optional<uint64_t> length) override;
  std::unique_ptr<Writer> Create(std::string_view key) override;
  //! Also removes the folders the deletion left empty, up to (not including) the root.
  void Delete(std::string_view key) override;
  std::unique_ptr<Lock> Acquire(std::string_view name, std::chrono::milliseconds wait) override;
  size_t CleanStaging() override;
  std::optional<std::string> LocalPath(std::string_view key) const override;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

//! A file's modification time as LocalStore states it (ObjectInfo::modified_unix_ms): whole
//! milliseconds since the epoch.
int64_t ModifiedUnixMs(const struct stat& st);
//! A file's version as LocalStore states it (ObjectInfo::version).
std::string FileVersion(const struct stat& st);

//! A file name unique across threads and processes that starts with this process's id
//! ("<pid>-<tag>-<n>"), for a file being written: RemoveStagedByDeadProcesses can tell from
//! it whether its writer is still alive.
std::string StagingName();

//! Removes the entries of `folder` (files or folders) named by StagingName whose process is
//! gone, and any other entry whose name does not start with a process id. Safe while other
//! processes stage there. Returns how many it removed; a missing folder has none.
//! Throws Error(kIo) naming what it cannot remove.
size_t RemoveStagedByDeadProcesses(const std::filesystem::path& folder);

}  // namespace shoplake::lake
