// Reading a raw file's lines (see raw_lines.h).
#include "transform/raw_lines.h"

#include <fcntl.h>
#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
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

bool RecordCounter::EndsField(char c) {
  if (c == delimiter_) {
    state_ = State::kFieldStart;
  } else if (c == '\n') {
    ++records_;
    state_ = State::kRecordStart;
  } else {
    return false;
  }
  return true;
}

void RecordCounter::Step(char c) {
  switch (state_) {
    case State::kRecordStart:
      if (c == '\n') blank_lines_.push_back(records_);
      if (c == '\n' || c == '\r') return;  // a blank line is no record
      state_ = State::kFieldStart;
      [[fallthrough]];
    case State::kFieldStart:
      if (c == ' ' || c == '\t') return;  // blanks before a quote: the field is still quoted
      if (c == quote_) {
        state_ = State::kQuoted;
      } else if (!EndsField(c)) {
        state_ = State::kUnquoted;
      }
      return;
    case State::kUnquoted:
      EndsField(c);
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
      if (!EndsField(c) && c != ' ' && c != '\t' && c != '\r') {
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
    if (blank) {
      blank_lines_.push_back(records_);
    } else {
      ++records_;
    }
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
    } else {
      p = SkipInsideField(p, end);
      if (p == end) break;
    }
    Step(*p++);
  }
}

const char* RecordCounter::SkipInsideField(const char* p, const char* end) const {
  // The bytes Step would take without a change of state, skipped at once: a byte at a time
  // the scan cost more than the rest of the line numbers step.
  switch (state_) {
    case State::kUnquoted:
      while (p < end && *p != delimiter_ && *p != '\n') ++p;
      return p;
    case State::kQuoted:
      if (escape_ != quote_) return p;
      [[fallthrough]];
    case State::kError: {
      char stop = state_ == State::kError ? '\n' : quote_;
      const void* at = std::memchr(p, stop, static_cast<size_t>(end - p));
      return at ? static_cast<const char*>(at) : end;
    }
    default:
      return p;
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
      if (current.text.ends_with(cr)) {
        current.text.resize(current.text.size() - cr.size());
        current.cr = cr;
      }
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
          records.last_record_offset(), records.blank_lines()};
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

// `raw` in `encoding` (an iconv name) as UTF-8, by iconv; what is no character there (half a
// UTF-16 surrogate pair, a last odd byte) is written \xNN, byte by byte (`unit` bytes at a
// time).
std::string ToUtf8(std::string_view raw, const char* encoding, size_t unit) {
  iconv_t handle = ::iconv_open("UTF-8", encoding);
  if (handle == reinterpret_cast<iconv_t>(-1)) {
    throw SystemError(std::string("cannot decode ") + encoding, "iconv", errno);
  }
  std::unique_ptr<void, int (*)(iconv_t)> close(handle, ::iconv_close);
  std::string out;
  char buffer[4096];
  const char* in = raw.data();
  size_t left = raw.size();
  while (left > 0) {
    char* to = buffer;
    size_t room = sizeof buffer;
    size_t done = ::iconv(handle, const_cast<char**>(&in), &left, &to, &room);
    out.append(buffer, static_cast<size_t>(to - buffer));
    if (done != static_cast<size_t>(-1) || errno == E2BIG) continue;
    if (errno != EILSEQ && errno != EINVAL) {
      throw SystemError(std::string("cannot decode ") + encoding, "iconv", errno);
    }
    // No character here (EINVAL: one the end cuts off): its bytes as \xNN.
    size_t bytes = errno == EILSEQ ? std::min(unit, left) : left;
    for (size_t k = 0; k < bytes; ++k) out += EscapedByte(static_cast<unsigned char>(in[k]));
    in += bytes;
    left -= bytes;
  }
  return out;
}

}  // namespace

std::string RawTextAsUtf8(std::string_view raw, const std::string& encoding) {
  if (encoding == "latin-1") return TerminalSafe(ToUtf8(raw, "LATIN1", 1));
  if (encoding != "utf-16") return TerminalSafe(raw);
  if (raw.starts_with("\xFF\xFE")) raw.remove_prefix(2);  // a BOM is no text
  return TerminalSafe(ToUtf8(raw, "UTF-16LE", 2));
}

uint64_t CountNewlines(const std::string& text) {
  return static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace shoplake::transform
