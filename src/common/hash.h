// Checksums the lake records and verifies: MD5 and CRC32C (what GCS and S3 state for an
// object) and SHA-256 (what shoplake always computes). Each has an incremental form so
// a stream of any size is hashed in bounded memory.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace shoplake {

//! Incremental MD5/SHA-1/SHA-2 over OpenSSL's EVP interface. Not thread-safe; one per stream.
class Digest {
 public:
  enum class Algorithm { kMd5, kSha1, kSha256, kSha384, kSha512 };
  explicit Digest(Algorithm algorithm);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(std::string_view bytes);
  //! The raw digest bytes. REQUIRES: called once, after the last Update.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

//! Incremental CRC32C (Castagnoli), as GCS states it for every object.
class Crc32c {
 public:
  void Update(std::string_view bytes);
  uint32_t value() const { return ~crc_; }
  //! The portable path, used when the CPU lacks SSE4.2; public so tests cover it too.
  void UpdateWithTables(std::string_view bytes);

 private:
  uint32_t crc_ = 0xFFFFFFFFu;
};

std::string Md5(std::string_view bytes);     //!< raw 16 bytes
std::string Sha256(std::string_view bytes);  //!< raw 32 bytes
uint32_t Crc32cOf(std::string_view bytes);

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
//! Throws kData when `text` is not valid base64.
std::string Base64Decode(std::string_view text);
//! The 4 big-endian bytes of a CRC32C, as GCS base64-encodes them in `crc32c`.
std::string Crc32cBytes(uint32_t crc);

}  // namespace shoplake
