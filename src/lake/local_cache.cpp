// LocalCache: pass-through for local stores; downloads, work folders and uploads otherwise.
#include "lake/local_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <set>
#include <thread>
#include <vector>

#include "common/environment.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/numbers.h"
#include "lake/local_store.h"

namespace shoplake::lake {
namespace fs = std::filesystem;

namespace {

// Large enough that a download or upload costs few calls, small enough to stream.
constexpr size_t kCopyBuffer = 1 << 20;
// Objects ReadablePaths checks and fetches at once: round trips overlap, and S3 serves
// many requests per prefix and second.
constexpr size_t kParallelFetches = 8;

// Sets the access and modification times of the copy at `path` (UTIME_OMIT in tv_nsec
// leaves one as it is, UTIME_NOW sets it to now).
void SetTimes(const fs::path& path, timespec accessed, timespec modified) {
  const timespec times[2] = {accessed, modified};
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    throw SystemError("cannot set the times of", path, errno);
  }
}

// Gives the copy at `path` the object's modification time: how a later ReadablePath tells
// that the copy is still the object's.
void SetModified(const fs::path& path, int64_t unix_ms) {
  SetTimes(path, {0, UTIME_OMIT},
           {static_cast<time_t>(unix_ms / 1000), static_cast<long>(unix_ms % 1000) * 1000000});
}

// Marks the copy at `path` as handed out now (its access time, which Trim orders by; set
// explicitly, whatever the mount's atime option).
void MarkHandedOut(const fs::path& path) { SetTimes(path, {0, UTIME_NOW}, {0, UTIME_OMIT}); }

// A cached copy, and when it was last handed out (its access time).
struct CachedCopy {
  std::chrono::system_clock::time_point handed_out;
  uint64_t size;
  fs::path path;
};

// The copies under `objects`.
std::vector<CachedCopy> CachedCopies(const fs::path& objects) {
  std::vector<CachedCopy> copies;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(objects, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto handed_out = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_atim.tv_sec) +
            std::chrono::nanoseconds(st.st_atim.tv_nsec)));
    copies.push_back({handed_out, static_cast<uint64_t>(st.st_size), it->path()});
  }
  return copies;
}

uint64_t SizeOf(const std::vector<CachedCopy>& copies) {
  uint64_t total = 0;
  for (const auto& copy : copies) total += copy.size;
  return total;
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
  if (auto mb = EnvironmentVariable("SHOPLAKE_CACHE_MAX_MB")) {
    // Read whole: "12abc" is no 12, "-1" no huge number, and the bytes must fit 64 bits.
    auto parsed = ParseUnsigned(*mb);
    if (!parsed || *parsed > (UINT64_MAX >> 20)) {
      throw Error(ErrorCode::kUsage, "not a number of megabytes: '" + *mb + "'",
                  "SHOPLAKE_CACHE_MAX_MB", "set it to the cache's size in MB, or unset it");
    }
    max_bytes_ = *parsed << 20;
  }
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
  bool fetched = !Matches(path, *object);
  if (fetched) Fetch(key, *object, path);
  HandOut(key, path, fetched ? object->size : 0);
  return path;
}

void LocalCache::HandOut(std::string_view key, const fs::path& path, uint64_t added_bytes) {
  MarkHandedOut(path);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    checked_.insert_or_assign(std::string(key), path.string());
  }
  if (added_bytes > 0) Added(added_bytes);
}

std::vector<std::string> LocalCache::ReadablePaths(const std::vector<std::string>& keys) {
  std::vector<std::string> paths(keys.size());
  const size_t workers = passthrough_ ? 1 : std::min(kParallelFetches, keys.size());
  std::atomic<size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < keys.size();) {
      try {
        paths[i] = ReadablePath(keys[i]);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next.store(keys.size());  // the others stop at their next key
        return;
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < workers; ++i) helpers.emplace_back(work);
  work();
  for (auto& helper : helpers) helper.join();
  if (failure) std::rethrow_exception(failure);
  return paths;
}

void LocalCache::Added(uint64_t bytes) {
  if (!max_bytes_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!cached_bytes_) {
      cached_bytes_ = SizeOf(CachedCopies(folder_ / "objects"));
    } else {
      *cached_bytes_ += bytes;
    }
    if (*cached_bytes_ <= *max_bytes_ || *cached_bytes_ < next_trim_at_) return;
  }
  // Down to three quarters, so that the next downloads do not trim again at once.
  Trim(*max_bytes_ / 4 * 3);
}

uint64_t LocalCache::Trim(uint64_t max_bytes, std::chrono::seconds grace) {
  if (passthrough_) return 0;
  std::vector<CachedCopy> copies = CachedCopies(folder_ / "objects");
  uint64_t total = SizeOf(copies);
  std::sort(copies.begin(), copies.end(),
            [](const CachedCopy& a, const CachedCopy& b) { return a.handed_out < b.handed_out; });
  const auto now = std::chrono::system_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> mine;
  for (const auto& [key, path] : checked_) mine.insert(path);
  uint64_t removed = 0;
  for (const CachedCopy& copy : copies) {
    if (total <= max_bytes) break;
    if (mine.count(copy.path.string()) || now - copy.handed_out < grace) continue;
    if (::unlink(copy.path.c_str()) != 0) continue;  // another process removed it first
    total -= copy.size;
    removed += copy.size;
  }
  cached_bytes_ = total;
  // Copies in use may keep the total up: not another scan of the folder for every download,
  // only once another quarter of the cap has come in.
  if (max_bytes_) next_trim_at_ = total + *max_bytes_ / 4;
  if (removed > 0) {
    spdlog::info(
        "trimmed the cache {} toward {} MB: removed {} MB of the copies used least "
        "recently",
        folder_.string(), max_bytes >> 20, removed >> 20);
  }
  return removed;
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
  HandOut(key, target, size);
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
