// LocalCache: pass-through for local stores; downloads, work folders and uploads otherwise.
#include "lake/local_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/environment.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "lake/local_store.h"

namespace shoplake::lake {
namespace fs = std::filesystem;

namespace {

// Large enough that a download or upload costs few calls, small enough to stream.
constexpr size_t kCopyBuffer = 1 << 20;

// Gives the copy at `path` the object's modification time: how a later ReadablePath tells
// that the copy is still the object's.
void SetModified(const fs::path& path, int64_t unix_ms) {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = static_cast<time_t>(unix_ms / 1000);
  times[1].tv_nsec = static_cast<long>(unix_ms % 1000) * 1000000;
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    throw SystemError("cannot set the modification time of", path, errno);
  }
}

// True when the copy at `path` has the object's size and modification time.
bool Matches(const fs::path& path, const ObjectInfo& object) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return static_cast<uint64_t>(st.st_size) == object.size &&
         ModifiedUnixMs(st) == object.modified_unix_ms;
}

}  // namespace

fs::path LocalCache::DefaultFolder(std::string_view lake_uri) {
  fs::path base;
  if (auto dir = EnvironmentVariable("SHOPLAKE_CACHE_DIR")) {
    base = *dir;
  } else {
    std::string home = EnvironmentVariable("HOME").value_or(fs::temp_directory_path().string());
    base =
        fs::path(
            EnvironmentVariable("XDG_CACHE_HOME").value_or((fs::path(home) / ".cache").string())) /
        "shoplake";
  }
  return fs::absolute(base) / HexEncode(Sha256(lake_uri)).substr(0, 16);
}

LocalCache::LocalCache(Store& store, std::optional<fs::path> folder)
    : store_(store),
      passthrough_(store.LocalPath("_catalog").has_value()),
      folder_(folder ? fs::absolute(*folder) : DefaultFolder(store.uri())) {
  if (passthrough_) {
    // LocalPath(key) is <lake folder>/<key>.
    root_ = fs::path(*store.LocalPath("_catalog")).parent_path();
    return;
  }
  root_ = folder_;
  CreateFolders(folder_ / "objects");
  CreateFolders(staging_folder());
  // Which lake the folder serves, for people looking at ~/.cache/shoplake.
  if (!fs::exists(folder_ / "lake-uri"))
    WriteFileAtomically(folder_ / "lake-uri", store.uri() + "\n");
  // Downloads that a killed process left half done.
  RemoveStagedByDeadProcesses(staging_folder());
}

std::string LocalCache::PathOf(std::string_view key) const {
  if (passthrough_) return *store_.LocalPath(key);
  ValidateKey(key);
  return (folder_ / "objects" / std::string(key)).string();
}

std::string LocalCache::ReadablePath(std::string_view key) {
  if (passthrough_) return *store_.LocalPath(key);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = checked_.find(key);
    if (found != checked_.end()) return found->second;
  }
  auto object = store_.Stat(key);
  if (!object) {
    throw Error(ErrorCode::kNotFound, "no such object in the lake", std::string(key),
                "the catalog may list a file that was removed: run the stage that writes it");
  }
  std::string path = PathOf(key);
  if (!Matches(path, *object)) Fetch(key, *object, path);
  std::lock_guard<std::mutex> lock(mutex_);
  checked_.emplace(std::string(key), path);
  return path;
}

void LocalCache::Fetch(std::string_view key, const ObjectInfo& object,
                       const fs::path& target) const {
  fs::path staged = staging_folder() / StagingName();
  try {
    CopyObjectToFile(store_, key, object.size, staged);
    SetModified(staged, object.modified_unix_ms);
    CreateFolders(target.parent_path());
    if (::rename(staged.c_str(), target.c_str()) != 0) {
      throw SystemError("cannot keep the download", target, errno);
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(staged, ignored);
    throw;
  }
}

fs::path LocalCache::WorkFolder(std::string_view prefix) const {
  if (passthrough_) return *store_.LocalPath(prefix);
  ValidateKey(prefix);
  return folder_ / "work" / std::string(prefix);
}

uint64_t LocalCache::Publish(const fs::path& file, std::string_view key) {
  std::error_code ec;
  uint64_t size = fs::file_size(file, ec);
  if (ec) throw SystemError("cannot publish", file, ec.value());
  if (passthrough_) {
    fs::path target = *store_.LocalPath(key);
    CreateFolders(target.parent_path());
    if (::rename(file.c_str(), target.c_str()) == 0) return size;
    if (errno != EXDEV) throw SystemError("cannot publish", target, errno);
    // Another file system: copied through a staging name instead.
    CopyFileToStore(file, store_, key);
    fs::remove(file, ec);
    return size;
  }
  CopyFileToStore(file, store_, key);
  // The file is exactly what was uploaded: it becomes the cached copy, so that reading the
  // object back (the transform's statistics, the next query) downloads nothing.
  auto object = store_.Stat(key);
  if (!object || object->size != size) {
    fs::remove(file, ec);
    return size;
  }
  fs::path target = PathOf(key);
  CreateFolders(target.parent_path());
  SetModified(file, object->modified_unix_ms);
  if (::rename(file.c_str(), target.c_str()) != 0) throw SystemError("cannot keep", target, errno);
  std::lock_guard<std::mutex> lock(mutex_);
  checked_.insert_or_assign(std::string(key), target.string());
  return size;
}

uint64_t CopyFileToStore(const fs::path& file, Store& store, std::string_view key) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open", file, errno);
  auto writer = store.Create(key);
  std::vector<char> buffer(kCopyBuffer);
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read", file, errno);
    if (n == 0) break;
    writer->Append(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  writer->Publish();
  return writer->bytes_written();
}

void CopyObjectToFile(Store& store, std::string_view key, uint64_t expected_size,
                      const fs::path& file) {
  auto reader = store.Open(key);
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) throw SystemError("cannot create", file, errno);
  std::vector<char> buffer(kCopyBuffer);
  uint64_t copied = 0;
  while (size_t n = reader->Read(buffer.data(), buffer.size())) {
    WriteAllTo(fd.get(), std::string_view(buffer.data(), n), file);
    copied += n;
  }
  if (copied != expected_size) {
    throw Error(ErrorCode::kIo,
                fmt::format("downloaded {} bytes where the lake lists {}", copied, expected_size),
                std::string(key),
                "the object changed while it was read, or the connection dropped: run again");
  }
}

}  // namespace shoplake::lake
