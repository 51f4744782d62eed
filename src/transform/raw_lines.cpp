// Reading a raw file's lines (see raw_lines.h).
#include "transform/raw_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/files.h"

namespace shoplake::transform {

uint64_t ScanLines(const std::string& path, const std::set<uint64_t>& wanted,
                   std::map<uint64_t, RawLine>& found) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open", path, errno);
  std::vector<char> buffer(1 << 20);
  uint64_t line = 1, offset = 0, line_start = 0;
  bool any = false, line_open = false;
  auto next = wanted.begin();  // the next wanted line: lines come in order
  RawLine current;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read", path, errno);
    }
    if (n == 0) break;
    any = true;
    const char* p = buffer.data();
    const char* end = p + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* stop = nl ? nl : end;
      bool keep = next != wanted.end() && *next == line;
      if (keep) current.text.append(p, stop);
      line_open = true;
      if (!nl) break;
      if (keep) {
        if (!current.text.empty() && current.text.back() == '\r') current.text.pop_back();
        current.offset = line_start;
        found[line] = std::move(current);
        current = RawLine{};
        ++next;
      }
      ++line;
      line_open = false;
      line_start = offset + static_cast<uint64_t>(nl + 1 - buffer.data());
      p = nl + 1;
    }
    offset += static_cast<uint64_t>(n);
  }
  if (!any) return 0;
  if (line_open && next != wanted.end() && *next == line) {
    current.offset = line_start;
    found[line] = std::move(current);
  }
  return line_open ? line : line - 1;
}

uint64_t CountNewlines(const std::string& text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace shoplake::transform
