// Encodings and the transcoding to UTF-8 (see encoding.h), by glibc's iconv.
#include "transform/encoding.h"

#include <fcntl.h>
#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>

#include "common/error.h"
#include "common/files.h"
#include "common/log.h"

namespace shoplake::transform {

const std::vector<std::string> kCommonEncodings = {
    "utf-8",      "utf-16",      "utf-16le",     "utf-16be", "windows-1252",
    "iso-8859-1", "iso-8859-15", "windows-1250", "latin-1",  "mac-roman"};

namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower;
}

// What iconv is asked to decode from, for the mapping's name: "latin-1" is glibc's LATIN1,
// "utf-16" takes its byte order from a BOM and is little-endian without one (as DuckDB
// reads it; glibc's UTF-16 would be big-endian), "mac-roman" is glibc's MACINTOSH.
std::string IconvName(const std::string& encoding, std::string_view first_bytes) {
  std::string lower = Lower(encoding);
  if (lower == "latin-1") return "LATIN1";
  if (lower == "mac-roman") return "MACINTOSH";
  if (lower == "utf-16") {
    return first_bytes.starts_with("\xFE\xFF") ? "UTF-16BE" : "UTF-16LE";
  }
  return encoding;
}

// The bytes of one code unit: what an undecodable stretch is skipped by, so that a UTF-16
// file stays aligned.
size_t UnitOf(const std::string& iconv_name) {
  std::string lower = Lower(iconv_name);
  if (lower.find("16") != std::string::npos && lower.find("utf") != std::string::npos) return 2;
  if (lower.starts_with("ucs-2") || lower.starts_with("ucs2")) return 2;
  if (lower.find("32") != std::string::npos && lower.find("utf") != std::string::npos) return 4;
  if (lower.starts_with("ucs-4") || lower.starts_with("ucs4")) return 4;
  return 1;
}

// An iconv descriptor from `encoding` to UTF-8; nullopt-like (-1) when iconv knows no such
// name.
struct Iconv {
  explicit Iconv(const std::string& from) : handle(::iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (valid()) ::iconv_close(handle);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool valid() const { return handle != reinterpret_cast<iconv_t>(-1); }
  iconv_t handle;
};

// Decodes one file's bytes chunk by chunk, writing what does not decode as no UTF-8.
class Decoder {
 public:
  // `first_bytes`: the file's start (a BOM tells UTF-16's byte order).
  Decoder(const std::string& encoding, std::string_view first_bytes)
      : name_(IconvName(encoding, first_bytes)), unit_(UnitOf(name_)), iconv_(name_) {
    if (!iconv_.valid()) throw SystemError("cannot decode " + encoding, "iconv", errno);
  }

  // Decodes [data, data + size) onto `out`; returns the bytes taken: all but a character the
  // chunk cuts off (unless `last`: then it did not decode). Calls `bad`(offset in data,
  // byte, where in `out` its stand-in went) for each unit that does not decode.
  size_t Decode(const char* data, size_t size, bool last, std::string& out,
                const std::function<void(size_t, unsigned char, size_t)>& bad) {
    const char* in = data;
    size_t left = size;
    while (left > 0) {
      size_t used = out.size();
      out.resize(used + left * 4 + 16);  // a unit gives at most 4 bytes of UTF-8
      char* to = out.data() + used;
      size_t room = out.size() - used;
      size_t done = ::iconv(iconv_.handle, const_cast<char**>(&in), &left, &to, &room);
      out.resize(static_cast<size_t>(to - out.data()));
      if (done != static_cast<size_t>(-1) || errno == E2BIG) continue;
      if (errno == EINVAL && !last) break;  // cut off: the next chunk has the rest
      if (errno != EILSEQ && errno != EINVAL) throw SystemError("cannot decode", name_, errno);
      // One code unit (or what the end leaves of one) stands for what does not decode.
      size_t skip = std::min(unit_, left);
      auto byte = static_cast<unsigned char>(*in);
      bad(static_cast<size_t>(in - data), byte, out.size());
      // A continuation byte alone is no UTF-8, whatever comes before or after it.
      out += byte >= 0x80 && byte <= 0xBF ? static_cast<char>(byte) : '\xFF';
      in += skip;
      left -= skip;
    }
    return static_cast<size_t>(in - data);
  }

 private:
  std::string name_;
  size_t unit_;
  Iconv iconv_;
};

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

void WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads into `buffer` from `at` on, as much as it holds (less only at the file's end).
size_t ReadFull(int fd, std::vector<char>& buffer, size_t at, const std::string& path) {
  size_t got = at;
  while (got < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + got, buffer.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace

bool IsUtf8Encoding(std::string_view encoding) {
  std::string lower = Lower(encoding);
  return lower == "utf-8" || lower == "utf8" || lower == "utf-8-sig";
}

bool KnownEncoding(const std::string& encoding) {
  return IsUtf8Encoding(encoding) || Iconv(IconvName(encoding, "")).valid();
}

DecodedFile DecodeToUtf8(const std::string& from, const std::string& encoding,
                         const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) throw SystemError("cannot open", from, errno);
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) throw SystemError("cannot create", to, errno);
  DecodedFile decoded;
  std::vector<char> buffer(1 << 20);
  std::string text;
  std::optional<Decoder> decoder;
  uint64_t offset = 0;  // of buffer[0] in the raw file
  uint64_t line = 1;    // of text[counted]
  size_t carried = 0;   // bytes of a character the last chunk cut off, at buffer's start
  bool first = true;
  for (;;) {
    size_t size = ReadFull(in.get(), buffer, carried, from);
    bool last = size < buffer.size();
    if (!decoder) decoder.emplace(encoding, std::string_view(buffer.data(), size));
    text.clear();
    size_t counted = 0;  // text[0, counted) is counted into `line`
    auto line_at = [&](size_t at) {
      line +=
          static_cast<uint64_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                           text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      counted = at;
      return line;
    };
    size_t taken = decoder->Decode(
        buffer.data(), size, last, text, [&](size_t at, unsigned char byte, size_t written) {
          ++decoded.undecodable;
          uint64_t where = line_at(written);
          if (decoded.first_by_line.size() < kMostUndecodableLines) {
            decoded.first_by_line.try_emplace(where, UndecodableByte{offset + at, byte});
          }
        });
    line_at(text.size());
    std::string_view chunk = text;
    if (first && chunk.starts_with(kUtf8Bom)) chunk.remove_prefix(kUtf8Bom.size());
    first = first && chunk.empty();
    WriteAll(out.get(), chunk, to);
    if (last) break;
    carried = size - taken;
    std::memmove(buffer.data(), buffer.data() + taken, carried);
    offset += taken;
  }
  // No fsync: the copy lives as long as the run, whose crash removes it (transform.h).
  return decoded;
}

std::string DecodeText(std::string_view bytes, const std::string& encoding) {
  if (IsUtf8Encoding(encoding)) {
    return std::string(bytes.starts_with(kUtf8Bom) ? bytes.substr(kUtf8Bom.size()) : bytes);
  }
  Decoder decoder(encoding, bytes);
  std::string text;
  decoder.Decode(bytes.data(), bytes.size(), false, text, [](size_t, unsigned char, size_t) {});
  if (std::string_view(text).starts_with(kUtf8Bom)) text.erase(0, kUtf8Bom.size());
  return text;
}

std::string LooksLike(std::string_view sample) {
  if (sample.starts_with("\xFF\xFE") || sample.starts_with("\xFE\xFF")) return "utf-16";
  auto nuls = std::count(sample.begin(), sample.end(), '\0');
  if (!sample.empty() && static_cast<size_t>(nuls) * 8 > sample.size()) return "utf-16";
  bool non_ascii = std::any_of(sample.begin(), sample.end(),
                               [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; });
  if (!FirstInvalidUtf8(sample)) return non_ascii ? "utf-8" : "latin-1";
  // 0x80-0x9F are control codes in Latin-1 and characters in Windows-1252 (but five).
  for (char ch : sample) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte >= 0x80 && byte <= 0x9F && byte != 0x81 && byte != 0x8D && byte != 0x8F &&
        byte != 0x90 && byte != 0x9D) {
      return "windows-1252";
    }
  }
  return "latin-1";
}

}  // namespace shoplake::transform
