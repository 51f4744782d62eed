// LocalStore: files, staging by rename, and flock-based locks.
#include "lake/local_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <random>
#include <thread>

#include "common/error.h"
#include "common/files.h"

namespace shoplake::lake {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingFolder = "_staging";
constexpr const char* kLocksFolder = "_locks";
// Appends smaller than this are gathered before a write(2).
constexpr size_t kWriteBuffer = 256 * 1024;

class LocalReader : public Reader {
 public:
  LocalReader(UniqueFd fd, fs::path path, uint64_t offset, uint64_t remaining)
      : fd_(std::move(fd)), path_(std::move(path)), offset_(offset), remaining_(remaining) {}

  size_t Read(char* buffer, size_t capacity) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(capacity, remaining_));
    while (want > 0) {
      ssize_t n = ::pread(fd_.get(), buffer, want, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SystemError("cannot read", path_, errno);
      offset_ += static_cast<uint64_t>(n);
      remaining_ = n == 0 ? 0 : remaining_ - static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
    return 0;
  }

 private:
  UniqueFd fd_;
  fs::path path_;
  uint64_t offset_;
  uint64_t remaining_;
};

class LocalWriter : public Writer {
 public:
  LocalWriter(fs::path staged, fs::path final_path, UniqueFd fd)
      : staged_(std::move(staged)), final_(std::move(final_path)), fd_(std::move(fd)) {
    buffer_.reserve(kWriteBuffer);
  }

  ~LocalWriter() override {
    if (!published_) {
      fd_ = UniqueFd();
      ::unlink(staged_.c_str());
    }
  }

  void Append(std::string_view bytes) override {
    Check(!published_, "Append after Publish on " + final_.string());
    if (buffer_.size() + bytes.size() > kWriteBuffer) {
      Flush();
      if (bytes.size() >= kWriteBuffer) {
        WriteAllTo(fd_.get(), bytes, final_);
        written_ += bytes.size();
        return;
      }
    }
    buffer_.append(bytes);
    written_ += bytes.size();
  }

  void Publish() override {
    Check(!published_, "Publish called twice on " + final_.string());
    Flush();
    if (::fsync(fd_.get()) != 0) throw SystemError("cannot flush", final_, errno);
    fd_ = UniqueFd();
    std::error_code ec;
    fs::create_directories(final_.parent_path(), ec);
    if (ec) throw SystemError("cannot create folder", final_.parent_path(), ec.value());
    if (::rename(staged_.c_str(), final_.c_str()) != 0) {
      throw SystemError("cannot publish", final_, errno);
    }
    published_ = true;
    SyncFolder(final_.parent_path());
  }

  uint64_t bytes_written() const override { return written_; }

 private:
  void Flush() {
    if (buffer_.empty()) return;
    WriteAllTo(fd_.get(), buffer_, final_);
    buffer_.clear();
  }

  fs::path staged_;
  fs::path final_;
  UniqueFd fd_;
  std::string buffer_;
  uint64_t written_ = 0;
  bool published_ = false;
};

class LocalLock : public Lock {
 public:
  explicit LocalLock(UniqueFd fd) : fd_(std::move(fd)) {}
  ~LocalLock() override {
    // Clear the holder's note before letting go, so a stale note never names us.
    if (::ftruncate(fd_.get(), 0) != 0) {
      // Nothing to do: the next holder overwrites the note anyway.
    }
    ::flock(fd_.get(), LOCK_UN);
  }

 private:
  UniqueFd fd_;
};

}  // namespace

LocalStore::LocalStore(fs::path root) : root_(fs::absolute(std::move(root)).lexically_normal()) {
  std::error_code ec;
  // A file where the lake should be is the user's mistake, not a failure to create it.
  if (fs::exists(root_, ec) && !fs::is_directory(root_, ec)) {
    throw Error(ErrorCode::kUsage, "the lake root is not a folder", root_.string(),
                "point --lake (or lake: in shoplake.yaml) at a folder");
  }
  fs::create_directories(root_, ec);
  if (ec) throw SystemError("cannot create the lake folder", root_, ec.value());
}

std::string LocalStore::uri() const { return "file://" + root_.string(); }

std::vector<ObjectInfo> LocalStore::List(std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  // Start at the deepest folder the prefix names, not at the root.
  auto slash = prefix.rfind('/');
  fs::path start =
      slash == std::string_view::npos ? root_ : root_ / std::string(prefix.substr(0, slash));
  auto first = prefix.substr(0, prefix.find('/'));
  if (slash != std::string_view::npos && (first == kStagingFolder || first == kLocksFolder)) {
    return objects;  // the store's own folders hold no objects
  }
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return objects;
  fs::recursive_directory_iterator it(start, ec), end;
  if (ec) throw SystemError("cannot list", start, ec.value());
  for (; it != end; it.increment(ec)) {
    if (ec) throw SystemError("cannot list", start, ec.value());
    const auto& path = it->path();
    std::string name = path.filename().string();
    bool hidden = !name.empty() && name.front() == '.';
    bool own = it.depth() == 0 && path.parent_path() == root_ &&
               (name == kStagingFolder || name == kLocksFolder);
    if (hidden || own) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string key = path.lexically_relative(root_).generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // removed while we listed
    objects.push_back(
        {std::move(key), static_cast<uint64_t>(st.st_size), ModifiedUnixMs(st), FileVersion(st)});
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

std::optional<ObjectInfo> LocalStore::Stat(std::string_view key) {
  ValidateKey(key);
  fs::path path = root_ / std::string(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw SystemError("cannot stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{std::string(key), static_cast<uint64_t>(st.st_size), ModifiedUnixMs(st),
                    FileVersion(st)};
}

std::unique_ptr<Reader> LocalStore::Open(std::string_view key, uint64_t offset,
                                         std::optional<uint64_t> length) {
  ValidateKey(key);
  fs::path path = root_ / std::string(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw Error(ErrorCode::kNotFound, "no such object in the lake", std::string(key));
    }
    throw SystemError("cannot open", path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat", path, errno);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t available = offset >= size ? 0 : size - offset;
  uint64_t remaining = length ? std::min(*length, available) : available;
  return std::make_unique<LocalReader>(std::move(fd), path, offset, remaining);
}

std::unique_ptr<Writer> LocalStore::Create(std::string_view key) {
  ValidateKey(key);
  fs::path staging = root_ / kStagingFolder;
  std::error_code ec;
  fs::create_directories(staging, ec);
  if (ec) throw SystemError("cannot create the staging folder", staging, ec.value());
  fs::path staged = staging / StagingName();
  UniqueFd fd(::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) throw SystemError("cannot create", staged, errno);
  return std::make_unique<LocalWriter>(staged, root_ / std::string(key), std::move(fd));
}

void LocalStore::Delete(std::string_view key) {
  ValidateKey(key);
  fs::path path = root_ / std::string(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    throw SystemError("cannot delete", path, errno);
  }
  // Empty folders are not objects; leaving them would make partitions look present.
  for (fs::path folder = path.parent_path(); folder != root_ && folder.has_parent_path();
       folder = folder.parent_path()) {
    if (::rmdir(folder.c_str()) != 0) break;  // not empty (or gone): stop climbing
  }
}

std::unique_ptr<Lock> LocalStore::Acquire(std::string_view name, std::chrono::milliseconds wait) {
  ValidateLockName(name);
  fs::path folder = root_ / kLocksFolder;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw SystemError("cannot create the locks folder", folder, ec.value());
  fs::path path = folder / (std::string(name) + ".lock");
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) throw SystemError("cannot open lock", path, errno);

  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) break;
    if (errno != EWOULDBLOCK && errno != EINTR) throw SystemError("cannot lock", path, errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string holder;
      try {
        holder = ReadFile(path);
      } catch (const Error&) {
      }
      if (holder.empty()) holder = "another process";
      throw Error(ErrorCode::kConflict, "lock '" + std::string(name) + "' is held by " + holder,
                  path.string(),
                  "wait for that run to finish, or stop it if it is stuck (the lock goes with "
                  "its process)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string note = LockHolderNote();
  if (::ftruncate(fd.get(), 0) != 0) throw SystemError("cannot write lock note", path, errno);
  if (::pwrite(fd.get(), note.data(), note.size(), 0) < 0) {
    throw SystemError("cannot write lock note", path, errno);
  }
  return std::make_unique<LocalLock>(std::move(fd));
}

size_t LocalStore::CleanStaging() { return RemoveStagedByDeadProcesses(root_ / kStagingFolder); }

std::optional<std::string> LocalStore::LocalPath(std::string_view key) const {
  ValidateKey(key);
  return (root_ / std::string(key)).string();
}

// Unique across threads (counter) and processes (pid + a random tag), so two writers
// never share a staging file.
std::string StagingName() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t tag = std::random_device{}();
  return std::to_string(::getpid()) + "-" + std::to_string(tag % 1000000) + "-" +
         std::to_string(counter.fetch_add(1));
}

int64_t ModifiedUnixMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::string FileVersion(const struct stat& st) {
  // Objects are published by rename: a new inode each time, and the nanoseconds besides.
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "-" +
         std::to_string(st.st_ino);
}

size_t RemoveStagedByDeadProcesses(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return 0;
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    // Staging names start with the writer's pid; a live writer's bytes are not leftovers.
    std::string name = entry.path().filename().string();
    pid_t writer = static_cast<pid_t>(std::atoll(name.c_str()));
    if (writer > 0 && (::kill(writer, 0) == 0 || errno == EPERM)) continue;
    std::error_code remove_ec;
    removed += fs::remove_all(entry.path(), remove_ec) > 0 ? 1 : 0;
    if (remove_ec)
      throw SystemError("cannot remove staging leftover", entry.path(), remove_ec.value());
  }
  if (ec) throw SystemError("cannot list", folder, ec.value());
  return removed;
}

}  // namespace shoplake::lake
