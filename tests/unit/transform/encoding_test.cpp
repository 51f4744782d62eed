// The transcoding to UTF-8 (transform/encoding.h): a file decodes to the text it was encoded
// from, across the chunks it is read in; a byte that does not decode keeps its line and is
// found at its offset in the raw file; the names csv.encoding takes; what bytes look like.
// Expected bytes are made by glibc's iconv from UTF-8 text, or written by hand.
#include "transform/encoding.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/files.h"
#include "support/temp_folder.h"

namespace shoplake::transform {
namespace {

// `text` (UTF-8) in `encoding`, by iconv.
std::string Encode(const std::string& text, const char* encoding) {
  iconv_t handle = ::iconv_open(encoding, "UTF-8");
  if (handle == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv_open");
  std::string out(text.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(text.data());
  size_t left = text.size(), room = out.size();
  char* to = out.data();
  size_t done = ::iconv(handle, &in, &left, &to, &room);
  ::iconv_close(handle);
  if (done == static_cast<size_t>(-1)) throw std::runtime_error("iconv");
  out.resize(out.size() - room);
  return out;
}

// Lines of UTF-8 text, enough of them to be read in several chunks.
std::string ManyLines(size_t bytes) {
  std::string text = "id,name\r\n";
  for (int i = 1; text.size() < bytes; ++i) {
    text += std::to_string(i) + ",Caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D";
    text += i % 7 == 0 ? ",\"two\nlines\"\r\n" : "\r\n";
  }
  return text;
}

struct Decoded {
  DecodedFile file;
  std::string text;
};

Decoded DecodeBytes(const std::string& bytes, const std::string& encoding) {
  testing::TempFolder folder("shoplake-encoding-test");
  std::string raw = (folder.path() / "raw.csv").string();
  std::string copy = (folder.path() / "copy.csv").string();
  WriteFileAtomically(raw, bytes);
  Decoded decoded;
  decoded.file = DecodeToUtf8(raw, encoding, copy);
  decoded.text = ReadFile(copy);
  return decoded;
}

TEST(DecodeToUtf8, GivesBackTheTextAcrossChunksInEveryEncoding) {
  const std::string text = ManyLines(3 << 20);  // three chunks and more
  for (const char* encoding : {"windows-1252", "UTF-16LE", "UTF-16BE", "UTF-32"}) {
    SCOPED_TRACE(encoding);
    Decoded decoded = DecodeBytes(Encode(text, encoding), encoding);
    EXPECT_EQ(decoded.file.undecodable, 0u);
    EXPECT_TRUE(decoded.text == text);
  }
}

TEST(DecodeToUtf8, TakesUtf16ByteOrderFromItsBomAndLittleEndianWithoutOne) {
  const std::string text = "id,name\nCaf\xC3\xA9\n";
  EXPECT_EQ(DecodeBytes("\xFF\xFE" + Encode(text, "UTF-16LE"), "utf-16").text, text);
  EXPECT_EQ(DecodeBytes("\xFE\xFF" + Encode(text, "UTF-16BE"), "utf-16").text, text);
  EXPECT_EQ(DecodeBytes(Encode(text, "UTF-16LE"), "utf-16").text, text);
  EXPECT_EQ(DecodeBytes("\xFE\xFF" + Encode(text, "UTF-16BE"), "utf-16be").text, text);
  EXPECT_EQ(DecodeBytes("\xFF\xFE" + Encode(text, "UTF-16LE"), "UTF-16LE").text, text);
}

TEST(DecodeToUtf8, AByteThatDoesNotDecodeKeepsItsLineAndItsOffset) {
  // 0x81 is no Windows-1252 character: one on line 3, one at the first chunk's last byte,
  // one at the second chunk's first.
  std::string bytes = "id,name\r\n1,a\r\n2,b\x81z\r\n";
  size_t first = bytes.find('\x81');
  while (bytes.size() < (1 << 20) - 1) bytes += "3,filler\r\n";
  bytes.resize((1 << 20) - 1);
  bytes += "\x81\x81 tail\r\n4,\xE9t\xE9\r\n";
  uint64_t lines_before = static_cast<uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
  Decoded decoded = DecodeBytes(bytes, "windows-1252");
  EXPECT_EQ(decoded.file.undecodable, 3u);
  ASSERT_EQ(decoded.file.first_by_line.count(3), 1u);
  EXPECT_EQ(decoded.file.first_by_line.at(3).byte, first);
  EXPECT_EQ(decoded.file.first_by_line.at(3).value, 0x81);
  // The line the chunk boundary falls on (its first byte that does not decode).
  uint64_t boundary_line =
      static_cast<uint64_t>(std::count(bytes.begin(), bytes.begin() + (1 << 20) - 1, '\n') + 1);
  ASSERT_EQ(decoded.file.first_by_line.count(boundary_line), 1u);
  EXPECT_EQ(decoded.file.first_by_line.at(boundary_line).byte, (1u << 20) - 1);
  // Every line is where it was; the byte stays, no UTF-8 on its own; é is decoded.
  EXPECT_EQ(static_cast<uint64_t>(std::count(decoded.text.begin(), decoded.text.end(), '\n')),
            lines_before);
  EXPECT_NE(decoded.text.find("2,b\x81z\r\n"), std::string::npos);
  EXPECT_NE(decoded.text.find("4,\xC3\xA9t\xC3\xA9\r\n"), std::string::npos);
}

TEST(DecodeToUtf8, HalfASurrogatePairInUtf16IsOneUnitAndTheRestStaysAligned) {
  std::string bytes = "\xFF\xFE" + Encode("id,name\n1,a\n", "UTF-16LE");
  const uint64_t at = bytes.size() + 4;  // after "2,"
  bytes += Encode("2,", "UTF-16LE") + std::string("\x00\xD8", 2) + Encode("x\n3,c\n", "UTF-16LE");
  Decoded decoded = DecodeBytes(bytes, "utf-16");
  EXPECT_EQ(decoded.file.undecodable, 1u);
  ASSERT_EQ(decoded.file.first_by_line.count(3), 1u);
  EXPECT_EQ(decoded.file.first_by_line.at(3).byte, at);
  EXPECT_EQ(decoded.text, "id,name\n1,a\n2,\xFFx\n3,c\n");
}

TEST(DecodeToUtf8, ACharacterTheFileEndCutsOffDoesNotDecode) {
  Decoded decoded = DecodeBytes(Encode("id\n1\n", "UTF-16LE") + "\x41", "utf-16le");
  EXPECT_EQ(decoded.file.undecodable, 1u);
  EXPECT_EQ(decoded.text, "id\n1\n\xFF");
}

TEST(Encodings, AnyNameIconvKnowsIsTaken) {
  for (const char* name :
       {"utf-8", "UTF8", "utf-8-sig", "windows-1252", "cp1252", "latin-1", "iso-8859-15", "utf-16",
        "utf-16le", "UTF-16BE", "mac-roman", "shift_jis"}) {
    EXPECT_TRUE(KnownEncoding(name)) << name;
  }
  EXPECT_FALSE(KnownEncoding("windows-1252x"));
  for (const auto& name : kCommonEncodings) EXPECT_TRUE(KnownEncoding(name)) << name;
}

TEST(Encodings, DecodeTextDropsTheBomAndWhatTheEndCutsOff) {
  EXPECT_EQ(DecodeText("\xFE\xFF" + Encode("id,name\n", "UTF-16BE") + "\x00", "utf-16"),
            "id,name\n");
  EXPECT_EQ(DecodeText("\xEF\xBB\xBFid\n", "utf-8"), "id\n");
  EXPECT_EQ(DecodeText("Caf\xE9\n", "latin-1"), "Caf\xC3\xA9\n");
}

TEST(Encodings, LooksLikeTellsCommonEncodingsApart) {
  EXPECT_EQ(LooksLike("Bush \x93Somerset\x94 Bookcase"), "windows-1252");
  EXPECT_EQ(LooksLike("Caf\xE9 Ni\xF1o"), "latin-1");
  EXPECT_EQ(LooksLike(Encode("id,name\nCafe\n", "UTF-16LE")), "utf-16");
  EXPECT_EQ(LooksLike("\xFF\xFE"), "utf-16");
  EXPECT_EQ(LooksLike("Caf\xC3\xA9"), "utf-8");
}

}  // namespace
}  // namespace shoplake::transform
