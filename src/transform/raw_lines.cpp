// Reading a raw file's lines (see raw_lines.h).
#include "transform/raw_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"

namespace shoplake::transform {

RecordCounter::RecordCounter(const CsvDialect& csv)
    : delimiter_(csv.delimiter),
      quote_(csv.quote),
      escape_(csv.escape),
      utf16_(csv.encoding == "utf-16") {}

void RecordCounter::Step(char c) {
  switch (state_) {
    case State::kRecordStart:
      if (c == '\n' || c == '\r') return;  // a blank line is no record
      state_ = State::kFieldStart;
      [[fallthrough]];
    case State::kFieldStart:
      if (c == ' ' || c == '\t') return;  // blanks before a quote: the field is still quoted
      if (c == quote_) {
        state_ = State::kQuoted;
      } else if (c == '\n') {
        ++records_;
        state_ = State::kRecordStart;
      } else if (c != delimiter_) {
        state_ = State::kUnquoted;
      }
      return;
    case State::kUnquoted:
      if (c == delimiter_) {
        state_ = State::kFieldStart;
      } else if (c == '\n') {
        ++records_;
        state_ = State::kRecordStart;
      }
      return;
    case State::kQuoted:
      if (c == escape_ && escape_ != quote_) {
        state_ = State::kEscaped;
      } else if (c == quote_) {
        state_ = State::kQuoteClosed;
      }
      return;
    case State::kEscaped:
      state_ = State::kQuoted;
      return;
    case State::kQuoteClosed:
      if (c == quote_ && escape_ == quote_) {  // a doubled quote: still inside
        state_ = State::kQuoted;
        return;
      }
      state_ = State::kAfterQuote;
      [[fallthrough]];
    case State::kAfterQuote:
      if (c == delimiter_) {
        state_ = State::kFieldStart;
      } else if (c == '\n') {
        ++records_;
        state_ = State::kRecordStart;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        state_ = State::kError;  // the reader refuses the record and resumes at the next line
      }
      return;
    case State::kError:
      if (c == '\n') {
        ++records_;
        state_ = State::kRecordStart;
      }
      return;
  }
}

const char* RecordCounter::SkipPlainLines(const char* p, const char* end) {
  // The lines before the next quote are records but the blank ones: one memchr a line (a
  // byte at a time would cost more than the rest of the scan).
  const char* quote =
      static_cast<const char*>(std::memchr(p, quote_, static_cast<size_t>(end - p)));
  const char* limit = quote ? quote : end;
  while (p < limit) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(limit - p)));
    if (!nl) break;
    bool blank = nl == p || (nl == p + 1 && *p == '\r');
    if (!blank) ++records_;
    p = nl + 1;
  }
  return p;
}

void RecordCounter::Feed(const char* data, size_t size) {
  const char* p = data;
  const char* end = data + size;
  // A BOM is no text: hold the first bytes back until it is ruled in or out.
  if (!started_) {
    size_t take = std::min(static_cast<size_t>(end - p), Bom().size() - start_.size());
    start_.append(p, take);
    p += take;
    if (start_.size() < Bom().size()) return;
    Finish();
  }
  const char* first = p;
  uint64_t at = position_;  // the file offset of `first`
  position_ += static_cast<uint64_t>(end - p);
  auto offset_of = [&](const char* q) { return at + static_cast<uint64_t>(q - first); };
  if (utf16_) {
    // Code units, little-endian: only ASCII ones can be a delimiter, quote or line break.
    for (; p < end; ++p) {
      if (odd_byte_ < 0) {
        odd_byte_ = static_cast<unsigned char>(*p);
        continue;
      }
      char c = *p == 0 && odd_byte_ < 0x80 ? static_cast<char>(odd_byte_) : '\x01';
      odd_byte_ = -1;
      if (state_ == State::kRecordStart) last_record_offset_ = offset_of(p) - 1;
      Step(c);
    }
    return;
  }
  while (p < end) {
    if (state_ == State::kRecordStart) {
      p = SkipPlainLines(p, end);
      if (p == end) break;
      last_record_offset_ = offset_of(p);
    }
    Step(*p++);
  }
}

std::string_view RecordCounter::Bom() const {
  return utf16_ ? std::string_view("\xFF\xFE") : std::string_view("\xEF\xBB\xBF");
}

void RecordCounter::Finish() {
  if (started_) return;
  started_ = true;
  if (start_ == Bom()) {
    position_ += start_.size();
  } else {
    Feed(start_.data(), start_.size());
  }
}

LineScan ScanLines(const std::string& path, const CsvDialect& csv, const std::set<uint64_t>& wanted,
                   std::map<uint64_t, RawLine>& found) {
  RecordCounter records(csv);
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
    records.Feed(buffer.data(), static_cast<size_t>(n));
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
  records.Finish();
  if (!any) return {};
  if (line_open && next != wanted.end() && *next == line) {
    current.offset = line_start;
    found[line] = std::move(current);
  }
  return {line_open ? line : line - 1, records.records(), records.ends_inside_quote(),
          records.last_record_offset()};
}

FileEnd ReadToEnd(const std::string& path, uint64_t offset, size_t most) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("cannot open", path, errno);
  FileEnd end;
  std::vector<char> buffer(1 << 20);
  char last = 0;
  for (;;) {
    ssize_t n = ::pread(fd.get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read", path, errno);
    }
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    end.text.append(chunk.substr(0, most - std::min(most, end.text.size())));
    end.line_breaks += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    end.size += chunk.size();
    last = chunk.back();
    offset += chunk.size();
  }
  end.whole = end.text.size() == end.size;
  if (last == '\n') {
    --end.line_breaks;
    if (end.whole) {
      end.text.pop_back();
      if (!end.text.empty() && end.text.back() == '\r') end.text.pop_back();
    }
  }
  return end;
}

std::string RawTextAsUtf8(std::string_view raw, const std::string& encoding) {
  if (encoding != "latin-1") return TerminalSafe(raw);
  std::string text;
  text.reserve(raw.size() + raw.size() / 8);
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      text += ch;
    } else {  // U+0080..U+00FF: two bytes
      text += static_cast<char>(0xC0 | (c >> 6));
      text += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return TerminalSafe(text);
}

uint64_t CountNewlines(const std::string& text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace shoplake::transform
