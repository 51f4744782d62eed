// Deterministic randomness for the simulated shop. The standard library's distributions
// are implementation-defined (libstdc++ and libc++ give different numbers for one seed), so
// the generator uses its own: xoshiro256** seeded through SplitMix64, and samplers built
// only from integer arithmetic and IEEE double operations. One seed gives the same exports
// on any machine and with any thread count, because every day draws from its own stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shoplake::simulate {

//! SplitMix64's finaliser: a strong 64-bit mix, used to derive independent stream seeds.
uint64_t Mix(uint64_t x);
//! A seed for stream `stream` of `seed` (per day, per entity kind).
inline uint64_t StreamSeed(uint64_t seed, uint64_t stream) { return Mix(seed ^ Mix(stream + 1)); }

//! xoshiro256** (Blackman and Vigna): fast, 256 bits of state, passes BigCrush.
class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t Next();
  //! Uniform in [0, n); n > 0. Lemire's multiply-shift (the tiny bias is irrelevant here
  //! and, unlike rejection, it draws exactly one number, which keeps streams aligned).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  //! Uniform in [lo, hi], both included.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  //! Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

 private:
  uint64_t s_[4];
};

//! Picks index i with probability weights[i] / sum(weights) in O(1) per draw, by Vose's
//! alias method: one uniform column, one biased coin.
class WeightedChoice {
 public:
  WeightedChoice() = default;
  explicit WeightedChoice(const std::vector<double>& weights);

  size_t Pick(Random& random) const {
    size_t column = random.Below(columns_.size());
    const Column& c = columns_[column];
    return random.Unit() < c.keep ? column : c.alias;
  }
  size_t size() const { return columns_.size(); }

 private:
  // One 8-byte entry per column, so a draw from a table of millions (the customers) costs
  // one cache miss, not two.
  struct Column {
    float keep = 1;      //!< chance to keep the column drawn
    uint32_t alias = 0;  //!< where to go otherwise
  };
  std::vector<Column> columns_;
};

//! Splits `total` into integers proportional to `weights` that sum to exactly `total`
//! (cumulative rounding, so the split is the same on every machine).
std::vector<uint64_t> Apportion(uint64_t total, const std::vector<double>& weights);

}  // namespace shoplake::simulate
