// Checksums against published test vectors, and incremental == one-shot.
#include "common/hash.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace shoplake {
namespace {

TEST(Hash, Md5OfKnownVectors) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Hash, Sha256OfKnownVectors) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, Crc32cOfKnownVectors) {
  // RFC 3720 (iSCSI) check value and test patterns.
  EXPECT_EQ(Crc32cOf("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32cOf(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32cOf(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(Crc32cOf(""), 0u);
}

TEST(Hash, IncrementalEqualsOneShotAtEverySplit) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text.push_back(static_cast<char>((i * 131) % 251));
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    Crc32c crc;
    crc.Update(std::string_view(text).substr(0, split));
    crc.Update(std::string_view(text).substr(split));
    EXPECT_EQ(crc.value(), Crc32cOf(text)) << "split at " << split;
    Digest sha(Digest::Algorithm::kSha256);
    sha.Update(std::string_view(text).substr(0, split));
    sha.Update(std::string_view(text).substr(split));
    EXPECT_EQ(sha.Finish(), Sha256(text));
  }
}

TEST(Hash, HardwareAndTableCrc32cAgree) {
  std::string text;
  for (int i = 0; i < 4099; ++i) text.push_back(static_cast<char>((i * 7919) % 256));
  for (size_t length : {0, 1, 7, 8, 63, 64, 4099}) {
    Crc32c tables;
    tables.UpdateWithTables(std::string_view(text).substr(0, length));
    EXPECT_EQ(tables.value(), Crc32cOf(std::string_view(text).substr(0, length))) << length;
  }
}

TEST(Hash, GcsStyleEncodings) {
  // GCS states crc32c as base64 of the 4 big-endian bytes: "yZRlqg==" for "hello world".
  EXPECT_EQ(Base64Encode(Crc32cBytes(Crc32cOf("hello world"))), "yZRlqg==");
  EXPECT_EQ(Base64Encode(Md5("hello world")), "XrY7u+Ae7tCTyyK7j1rNww==");
}

TEST(Hash, Base64RoundTripsAndRefusesGarbage) {
  for (const std::string& text :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(text)), text);
  }
  EXPECT_THROW(Base64Decode("abc"), Error);
  EXPECT_THROW(Base64Decode("ab!="), Error);
}

}  // namespace
}  // namespace shoplake
