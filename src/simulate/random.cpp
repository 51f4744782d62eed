#include "simulate/random.h"

#include <algorithm>
#include <cmath>

namespace shoplake::simulate {

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Random::Random(uint64_t seed) {
  // SplitMix64 fills the state, as the xoshiro authors recommend; it is never all zero.
  for (auto& word : s_) {
    seed += 0x9E3779B97F4A7C15ull;
    word = Mix(seed - 0x9E3779B97F4A7C15ull);
  }
}

uint64_t Random::Next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

WeightedChoice::WeightedChoice(const std::vector<double>& weights) {
  size_t n = weights.size();
  columns_.resize(n);
  double sum = 0;
  for (double w : weights) sum += w;
  if (n == 0 || sum <= 0) return;
  // Scaled so the average column holds exactly 1; small columns borrow from large ones.
  std::vector<double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    columns_[i].alias = static_cast<uint32_t>(i);
    scaled[i] = weights[i] * static_cast<double>(n) / sum;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back(), l = large.back();
    small.pop_back();
    columns_[s].keep = static_cast<float>(scaled[s]);
    columns_[s].alias = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // What is left holds (up to rounding) exactly 1: always kept.
  for (uint32_t i : small) columns_[i].keep = 1;
  for (uint32_t i : large) columns_[i].keep = 1;
}

std::vector<uint64_t> Apportion(uint64_t total, const std::vector<double>& weights) {
  double sum = 0;
  for (double w : weights) sum += w;
  std::vector<uint64_t> parts(weights.size(), 0);
  if (weights.empty() || sum <= 0) return parts;
  double running = 0;
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    running += weights[i];
    uint64_t upto = i + 1 == weights.size()
                        ? total
                        : std::min(total, static_cast<uint64_t>(std::llround(
                                              running / sum * static_cast<double>(total))));
    upto = std::max(upto, given);
    parts[i] = upto - given;
    given = upto;
  }
  return parts;
}

}  // namespace shoplake::simulate
