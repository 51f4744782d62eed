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
  // UTF-16 (little-endian): a line ends at the code unit U+000A, not at any 0x0A byte.
  const std::string_view line_break = LineBreak(csv.encoding);
  const bool utf16 = line_break.size() == 2;
  std::vector<char> buffer(1 << 20);
  uint64_t line = 1, offset = 0, line_start = 0;
  bool any = false, line_open = false;
  int odd_byte = -1;           // UTF-16: the first byte of a code unit the chunk cut
  auto next = wanted.begin();  // the next wanted line: lines come in order
  RawLine current;
  auto keep = [&] { return next != wanted.end() && *next == line; };
  // The line ends where its line break does; the next starts at `next_start`.
  auto close_line = [&](uint64_t next_start) {
    if (keep()) {
      std::string_view cr = utf16 ? std::string_view("\r\0", 2) : std::string_view("\r");
      if (current.text.ends_with(cr)) current.text.resize(current.text.size() - cr.size());
      current.offset = line_start;
      found[line] = std::move(current);
      current = RawLine{};
      ++next;
    }
    ++line;
    line_open = false;
    line_start = next_start;
  };
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
    auto offset_of = [&](const char* q) {
      return offset + static_cast<uint64_t>(q - buffer.data());
    };
    if (utf16) {
      for (; p < end; ++p) {
        line_open = true;
        if (odd_byte < 0) {
          odd_byte = static_cast<unsigned char>(*p);
          continue;
        }
        if (odd_byte == '\n' && *p == 0) {
          close_line(offset_of(p) + 1);
        } else if (keep()) {
          current.text += static_cast<char>(odd_byte);
          current.text += *p;
        }
        odd_byte = -1;
      }
    }
    while (!utf16 && p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* stop = nl ? nl : end;
      if (keep()) current.text.append(p, stop);
      line_open = true;
      if (!nl) break;
      close_line(offset_of(nl) + 1);
      p = nl + 1;
    }
    offset += static_cast<uint64_t>(n);
  }
  records.Finish();
  if (!any) return {};
  if (line_open && keep()) {
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

std::string_view LineBreak(const std::string& encoding) {
  return encoding == "utf-16" ? std::string_view("\n\0", 2) : std::string_view("\n");
}

namespace {

// UTF-16 (little-endian) as UTF-8: a BOM dropped; the bytes of what is no character (half a
// surrogate pair, a last odd byte) written \xNN.
std::string Utf16AsUtf8(std::string_view raw) {
  auto unit = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) |
           static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
  };
  auto append = [](std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  std::string out;
  auto escape = [&](size_t at, size_t bytes) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    for (size_t k = at; k < at + bytes; ++k) {
      auto c = static_cast<unsigned char>(raw[k]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  };
  size_t i = raw.size() >= 2 && unit(0) == 0xFEFF ? 2 : 0;
  for (; i + 1 < raw.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < raw.size() && unit(i + 2) >= 0xDC00 &&
        unit(i + 2) <= 0xDFFF) {
      append(out, 0x10000 + ((u - 0xD800) << 10) + (unit(i + 2) - 0xDC00));
      i += 2;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      escape(i, 2);
    } else {
      append(out, u);
    }
  }
  if (i < raw.size()) escape(i, 1);
  return out;
}

}  // namespace

std::string RawTextAsUtf8(std::string_view raw, const std::string& encoding) {
  if (encoding == "utf-16") return TerminalSafe(Utf16AsUtf8(raw));
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
