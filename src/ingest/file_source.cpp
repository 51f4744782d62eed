// FileSource: a local file, or every file under a local folder, as a Source. It lets the
// same ingest run over a folder of exports (or a mounted share) as over a bucket.
//
// A file's version is its mtime in nanoseconds and its size ("1767225600123456789-5873"),
// which changes whenever the file is rewritten. Files state no checksums: the bytes are
// hashed as they are copied, as for every source.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "common/error.h"
#include "common/files.h"
#include "common/uri.h"
#include "ingest/source.h"

namespace shoplake::ingest {
namespace {

namespace fs = std::filesystem;

// Big enough that a read is one system call per MiB, small enough to bound memory.
constexpr size_t kChunkBytes = 1 << 20;

std::string VersionOf(const struct stat& info) {
  int64_t nanos = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                  static_cast<int64_t>(info.st_mtim.tv_nsec);
  return std::to_string(nanos) + "-" + std::to_string(static_cast<uint64_t>(info.st_size));
}

//! stat() following symlinks; throws kNotFound/kIo naming `path`.
struct stat StatOf(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw Error(ErrorCode::kNotFound, "no such file or folder", path.string(),
                  "check the path; a relative path is taken from the current folder");
    }
    throw SystemError("cannot read", path, err);
  }
  return info;
}

class FileSource final : public Source {
 public:
  explicit FileSource(fs::path path) : path_(std::move(path)) {
    // "exports/" names the folder "exports"; without this, names would come out "../x".
    if (!path_.has_filename() && path_.has_parent_path() && path_ != path_.root_path()) {
      path_ = path_.parent_path();
    }
  }

  std::string uri() const override { return "file://" + path_.string(); }

  std::vector<SourceObject> List() override {
    struct stat info = StatOf(path_);
    if (S_ISREG(info.st_mode)) return {ObjectOf(path_, path_.filename().string(), info)};
    if (!S_ISDIR(info.st_mode)) {
      throw Error(ErrorCode::kUsage, "neither a file nor a folder", path_.string(),
                  "give a regular file or a folder of files");
    }
    std::vector<SourceObject> objects;
    std::error_code ec;
    fs::recursive_directory_iterator it(path_, ec);
    if (ec) throw SystemError("cannot list", path_, ec.value());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::directory_entry& entry = *it;
      // Hidden files and folders (.git, .DS_Store, editors' swap files) are not exports.
      if (entry.path().filename().string().starts_with('.')) {
        if (entry.is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      // Follows symlinks to files; symlinked folders are not entered (no cycles).
      if (!entry.is_regular_file(ec)) continue;
      struct stat file_info {};
      if (::stat(entry.path().c_str(), &file_info) != 0) {
        if (errno == ENOENT) continue;  // removed while we walked
        throw SystemError("cannot read", entry.path(), errno);
      }
      objects.push_back(ObjectOf(
          entry.path(), entry.path().lexically_relative(path_).generic_string(), file_info));
    }
    // A listing that silently misses files would make ingest miss them too.
    if (ec) throw SystemError("cannot list", path_, ec.value());
    std::sort(objects.begin(), objects.end(),
              [](const SourceObject& a, const SourceObject& b) { return a.name < b.name; });
    return objects;
  }

  void Read(const SourceObject& object, uint64_t offset, const ByteSink& sink) override {
    Check(object.uri.starts_with("file://"), "FileSource::Read given " + object.uri);
    const fs::path path = object.uri.substr(7);
    UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid()) {
      int err = errno;
      if (err == ENOENT) {
        throw Error(ErrorCode::kNotFound, "no such file (removed since it was listed?)",
                    path.string(), "run ingest again");
      }
      throw SystemError("cannot open", path, err);
    }
    struct stat info {};
    if (::fstat(file.get(), &info) != 0) throw SystemError("cannot read", path, errno);
    if (VersionOf(info) != object.version) {
      throw Error(ErrorCode::kData,
                  "the file changed since it was listed (version " + object.version + ", now " +
                      VersionOf(info) + ")",
                  path.string(), "run ingest again to copy its current version");
    }
    // Up to the listed size only: bytes appended since belong to a later version.
    std::vector<char> buffer(kChunkBytes);
    uint64_t position = offset;
    while (position < object.size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, object.size - position));
      ssize_t n = ::pread(file.get(), buffer.data(), want, static_cast<off_t>(position));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SystemError("cannot read", path, errno);
      if (n == 0) break;  // truncated under us; the size check after the copy says so
      sink(std::string_view(buffer.data(), static_cast<size_t>(n)));
      position += static_cast<uint64_t>(n);
    }
  }

 private:
  static SourceObject ObjectOf(const fs::path& path, std::string name, const struct stat& info) {
    SourceObject object;
    object.uri = "file://" + path.string();
    object.name = std::move(name);
    object.size = static_cast<uint64_t>(info.st_size);
    object.version = VersionOf(info);
    return object;
  }

  fs::path path_;
};

}  // namespace

std::unique_ptr<Source> OpenFileSource(const Uri& uri) {
  return std::make_unique<FileSource>(fs::path(uri.path));
}

}  // namespace shoplake::ingest
