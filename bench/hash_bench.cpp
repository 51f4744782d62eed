// Checksum throughput on the ingest hot path: our CRC32C against zlib's CRC-32 (the
// peer: a tuned table-driven CRC of the same size) and OpenSSL's MD5 and SHA-256.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "common/hash.h"

namespace {

const std::string& Buffer() {
  static const std::string bytes = [] {
    std::string b(1 << 20, '\0');
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((i * 2654435761u) >> 13);
    return b;
  }();
  return bytes;
}

void BM_Crc32c(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(shoplake::Crc32cOf(Buffer()));
  state.SetBytesProcessed(state.iterations() * Buffer().size());
}
void BM_ZlibCrc32Peer(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        crc32(0, reinterpret_cast<const Bytef*>(Buffer().data()), Buffer().size()));
  }
  state.SetBytesProcessed(state.iterations() * Buffer().size());
}
void BM_Md5(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(shoplake::Md5(Buffer()));
  state.SetBytesProcessed(state.iterations() * Buffer().size());
}
void BM_Sha256(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(shoplake::Sha256(Buffer()));
  state.SetBytesProcessed(state.iterations() * Buffer().size());
}

BENCHMARK(BM_Crc32c);
BENCHMARK(BM_ZlibCrc32Peer);
BENCHMARK(BM_Md5);
BENCHMARK(BM_Sha256);

}  // namespace
