// Digest over OpenSSL EVP. CRC32C with the SSE4.2 crc32 instruction where the CPU has it,
// else by the slicing-by-8 table method (OpenSSL has no CRC32C and Debian 12 packages no
// C++ CRC32C library); bench/hash_bench.cpp measures both against zlib's CRC-32.
#include "common/hash.h"

#include <openssl/evp.h>

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "common/error.h"

namespace shoplake {

struct Digest::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Algorithm algorithm) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  const EVP_MD* md = EVP_sha256();
  switch (algorithm) {
    case Algorithm::kMd5:
      md = EVP_md5();
      break;
    case Algorithm::kSha1:
      md = EVP_sha1();
      break;
    case Algorithm::kSha256:
      md = EVP_sha256();
      break;
    case Algorithm::kSha384:
      md = EVP_sha384();
      break;
    case Algorithm::kSha512:
      md = EVP_sha512();
      break;
  }
  Check(state_->ctx != nullptr && EVP_DigestInit_ex(state_->ctx, md, nullptr) == 1,
        "EVP_DigestInit_ex failed");
}

Digest::~Digest() = default;

void Digest::Update(std::string_view bytes) {
  Check(EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) == 1, "EVP_DigestUpdate failed");
}

std::string Digest::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  Check(EVP_DigestFinal_ex(state_->ctx, out, &length) == 1, "EVP_DigestFinal_ex failed");
  return std::string(reinterpret_cast<char*>(out), length);
}

namespace {

// Tables for slicing-by-8 over the reflected Castagnoli polynomial 0x82F63B78.
struct Crc32cTables {
  uint32_t t[8][256];
  Crc32cTables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
      t[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const Crc32cTables& Tables() {
  static const Crc32cTables tables;
  return tables;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t HardwareCrc32c(uint32_t crc, const char* p, size_t n) {
  uint64_t crc64 = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    crc64 = _mm_crc32_u64(crc64, word);
    p += 8;
    n -= 8;
  }
  crc = static_cast<uint32_t>(crc64);
  while (n--) crc = _mm_crc32_u8(crc, static_cast<unsigned char>(*p++));
  return crc;
}

bool CpuHasCrc32Instruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

void Crc32c::Update(std::string_view bytes) {
#if defined(__x86_64__)
  if (CpuHasCrc32Instruction()) {
    crc_ = HardwareCrc32c(crc_, bytes.data(), bytes.size());
    return;
  }
#endif
  UpdateWithTables(bytes);
}

void Crc32c::UpdateWithTables(std::string_view bytes) {
  const auto& t = Tables().t;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  uint32_t crc = crc_;
  while (n >= 8) {
    uint32_t lo =
        crc ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  crc_ = crc;
}

std::string Md5(std::string_view bytes) {
  Digest d(Digest::Algorithm::kMd5);
  d.Update(bytes);
  return d.Finish();
}

std::string Sha256(std::string_view bytes) {
  Digest d(Digest::Algorithm::kSha256);
  d.Update(bytes);
  return d.Finish();
}

uint32_t Crc32cOf(std::string_view bytes) {
  Crc32c c;
  c.Update(bytes);
  return c.value();
}

std::string HexEncode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    throw Error(ErrorCode::kData, "not valid base64 (length is not a multiple of 4)",
                std::string(text));
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw Error(ErrorCode::kData, "not valid base64", std::string(text));
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  out.resize(n - padding);
  return out;
}

std::string Crc32cBytes(uint32_t crc) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(crc >> 24);
  out[1] = static_cast<char>(crc >> 16);
  out[2] = static_cast<char>(crc >> 8);
  out[3] = static_cast<char>(crc);
  return out;
}

}  // namespace shoplake
