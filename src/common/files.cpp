// ReadFile and WriteFileAtomically over POSIX calls, so errors carry errno's reason.
#include "common/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iterator>

#include "common/error.h"
#include "common/hash.h"

namespace shoplake {
Error SystemError(const std::string& what, const std::filesystem::path& path, int err) {
  std::string hint;
  if (err == ENOSPC || err == EDQUOT) hint = "free some disk space and run again";
  if (err == EACCES || err == EPERM || err == EROFS) {
    hint = "check the permissions of " + path.parent_path().string();
  }
  return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
               what + ": " + std::strerror(err), path.string(), hint);
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

void WriteAllTo(int fd, std::string_view bytes, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
}

void CreateFolders(const std::filesystem::path& folder) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw SystemError("cannot create folder", folder, ec.value());
}

bool IsInside(const std::filesystem::path& path, const std::filesystem::path& folder) {
  std::error_code ec;
  auto inner = std::filesystem::weakly_canonical(path, ec);
  if (ec) inner = path.lexically_normal();
  auto outer = std::filesystem::weakly_canonical(folder, ec);
  if (ec) outer = folder.lexically_normal();
  auto [mismatch, unused] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  // A trailing "/" leaves an empty last element in `outer`; it matches anything.
  return mismatch == outer.end() || (std::next(mismatch) == outer.end() && mismatch->empty());
}

void SyncFolder(const std::filesystem::path& folder) {
  UniqueFd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open folder", folder, errno);
  if (::fsync(fd.get()) != 0) throw SystemError("cannot flush folder", folder, errno);
}

namespace {

// Calls `chunk` with the file's bytes, a buffer at a time, until it returns false.
void ReadChunks(const std::filesystem::path& path,
                const std::function<bool(std::string_view)>& chunk) {
  UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) throw SystemError("cannot open", path, errno);
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SystemError("cannot read", path, errno);
    if (n == 0) break;
    if (!chunk(std::string_view(buffer, static_cast<size_t>(n)))) break;
  }
}

}  // namespace

std::string ReadFile(const std::filesystem::path& path) {
  std::string bytes;
  ReadChunks(path, [&](std::string_view chunk) {
    bytes.append(chunk);
    return true;
  });
  return bytes;
}

std::string FileSha256(const std::filesystem::path& path) {
  Digest sha256(Digest::Algorithm::kSha256);
  ReadChunks(path, [&](std::string_view chunk) {
    sha256.Update(chunk);
    return true;
  });
  return HexEncode(sha256.Finish());
}

void ReadLinePieces(const std::filesystem::path& path,
                    const std::function<bool(std::string_view)>& piece) {
  std::string pending;  // the bytes after the last newline read so far
  bool going = true;
  ReadChunks(path, [&](std::string_view chunk) {
    pending.append(chunk);
    size_t end = pending.rfind('\n');
    if (end == std::string::npos) return true;
    going = piece(std::string_view(pending).substr(0, end + 1));
    pending.erase(0, end + 1);
    return going;
  });
  if (going && !pending.empty()) piece(pending);
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw SystemError("cannot create folder", path.parent_path(), ec.value());
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(::getpid());
  try {
    UniqueFd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file.valid()) throw SystemError("cannot create", temp, errno);
    WriteAllTo(file.get(), bytes, path);
    if (::fsync(file.get()) != 0) throw SystemError("cannot flush", path, errno);
    if (::rename(temp.c_str(), path.c_str()) != 0) throw SystemError("cannot publish", path, errno);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

}  // namespace shoplake
