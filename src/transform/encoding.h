// The encodings a mapping's csv.encoding may name, and the transcoding that lets DuckDB's
// reader (which decodes only UTF-8, UTF-16 and Latin-1, and aborts a whole read on Latin-1 it
// dislikes) read any of them: a raw file not in UTF-8 is streamed through glibc's iconv into
// a UTF-8 copy in the run's work folder before the parse. Line breaks stay line breaks, so
// line N of the copy is line N of the raw file, and a byte that does not decode is written as
// one that is no UTF-8 either: the reader refuses that record, and its reject is told the
// byte's offset in the raw file (docs/transform.md "Encodings").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::transform {

//! The names a mapping error lists: the common ones (any other iconv knows is taken too).
extern const std::vector<std::string> kCommonEncodings;

//! True for the names of UTF-8 (utf-8, utf8, utf-8-sig; any case): DuckDB reads the raw file
//! as it is, a BOM skipped.
bool IsUtf8Encoding(std::string_view encoding);

//! True when the file can be decoded from `encoding`: UTF-8, or a name glibc's iconv knows.
bool KnownEncoding(const std::string& encoding);

//! A byte that does not decode: where it is in the raw file, and its value.
struct UndecodableByte {
  uint64_t byte = 0;  //!< offset in the raw file, from 0
  unsigned char value = 0;
};

//! What the transcoding of one file found.
struct DecodedFile {
  uint64_t undecodable = 0;  //!< bytes (UTF-16: code units) that did not decode
  //! The first that did not decode on each line (1-based), for the first lines holding one
  //! (at most kMostUndecodableLines of them: the memory stays bounded).
  std::map<uint64_t, UndecodableByte> first_by_line;
};

constexpr size_t kMostUndecodableLines = 100000;

//! Streams the local file `from`, in `encoding` (KnownEncoding), into `to` as UTF-8, in
//! bounded memory. A BOM is dropped; "utf-16" without one is little-endian (as DuckDB reads
//! it). A byte that does not decode (an undefined Windows-1252 byte, half a UTF-16 surrogate
//! pair, a sequence the file's end cuts off) is written as a byte that is no UTF-8 either (the
//! byte itself when it is a UTF-8 continuation byte, 0x80-0xBF, else 0xFF). Throws
//! SystemError when a file cannot be read or written.
DecodedFile DecodeToUtf8(const std::string& from, const std::string& encoding,
                         const std::string& to);

//! `bytes` (the start of a file, in `encoding`) as UTF-8 text, a BOM dropped; what does not
//! decode, or is cut off at the end, is left out.
std::string DecodeText(std::string_view bytes, const std::string& encoding);

//! The encoding bytes look like, for a message ("windows-1252"), from `sample` (bytes of the
//! file around one that did not decode): "utf-16" for a BOM or many NULs, "utf-8" when they
//! are valid UTF-8 with some non-ASCII, "windows-1252" when a byte 0x80-0x9F is one of its
//! characters, else "latin-1".
std::string LooksLike(std::string_view sample);

}  // namespace shoplake::transform
