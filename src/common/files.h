// Local file helpers shared by every area: whole-file reads and atomic writes of small
// files outside the lake (reports, exports, test outputs). Lake objects go through
// lake::Store instead.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace shoplake {

class Error;

//! An Error for a failed system call on `path`: kNotFound for ENOENT, else kIo, with
//! strerror's reason and a hint for the errors a user can fix (disk full, permissions).
Error SystemError(const std::string& what, const std::filesystem::path& path, int err);

//! Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

//! Writes all of `bytes` to `fd`, retrying short writes and EINTR.
//! Throws SystemError naming `path` on failure.
void WriteAllTo(int fd, std::string_view bytes, const std::filesystem::path& path);

//! Creates `folder` and its missing parents. Throws SystemError naming it on failure.
void CreateFolders(const std::filesystem::path& folder);

//! True when `path` is `folder` or lies below it, symbolic links and ".." resolved as far
//! as the paths exist.
bool IsInside(const std::filesystem::path& path, const std::filesystem::path& folder);

//! fsyncs the folder `folder` so a rename inside it survives a power cut.
void SyncFolder(const std::filesystem::path& folder);

//! The whole file. Throws Error(kNotFound) or Error(kIo) naming the path.
std::string ReadFile(const std::filesystem::path& path);

//! Hex SHA-256 of the file's bytes, read in bounded memory (what the catalog records of each
//! file a snapshot lists). Throws as ReadFile.
std::string FileSha256(const std::filesystem::path& path);

//! Calls `piece` with the file's bytes in pieces that each end just after a newline (the last
//! one at the end of the file), so that no piece cuts a line's character in two, until `piece`
//! returns false. Holds at most a buffer beyond the file's longest line. Throws as ReadFile.
void ReadLinePieces(const std::filesystem::path& path,
                    const std::function<bool(std::string_view)>& piece);

//! Writes `bytes` to a temporary name beside `path`, fsyncs, renames over `path`.
//! Creates missing parent folders. Throws Error(kIo) naming the path.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace shoplake
