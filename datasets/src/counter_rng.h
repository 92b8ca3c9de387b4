#pragma once
// A counter-based random generator: every draw is a pure function of (seed, sample index,
// stream, counter), so sample i of a data set is the same on every machine, thread count and
// access order. SplitMix64 finalisers mix the key; uniform and normal samplers are our own
// (std::*_distribution differ between standard libraries).
#include <cmath>
#include <cstdint>

namespace oaconv::datasets {

// SplitMix64's finaliser: a bijective 64-bit mix.
constexpr uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class CounterRng {
 public:
  // One independent generator per (seed, index, stream).
  CounterRng(uint64_t seed, uint64_t index, uint64_t stream)
      : key_(mix64(mix64(mix64(seed) ^ index) ^ (stream * 0xd1b54a32d192ed03ULL))) {}

  uint64_t next_u64() { return mix64(key_ ^ mix64(counter_++)); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n) (n > 0), by 128-bit multiply (no modulo bias worth noting).
  int64_t index(int64_t n) {
    return static_cast<int64_t>((static_cast<unsigned __int128>(next_u64()) * static_cast<uint64_t>(n)) >> 64);
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Standard normal by Box-Muller (both draws from this generator's counter).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // An approximate standard normal from one 64-bit draw: the sum of four 16-bit uniforms
  // (Irwin-Hall, n = 4), centred and scaled to unit variance. Tails end at +-3.46; for
  // sensor noise, where millions are drawn, that is what a camera model needs, at a tenth of
  // Box-Muller's cost.
  float fast_normal() {
    const uint64_t r = next_u64();
    const uint32_t sum = static_cast<uint32_t>(r & 0xffff) + static_cast<uint32_t>((r >> 16) & 0xffff) +
                         static_cast<uint32_t>((r >> 32) & 0xffff) + static_cast<uint32_t>(r >> 48);
    // Each term ~ U[0, 65536): the sum has mean 131070 and variance 4 * 65536^2 / 12.
    return (static_cast<float>(sum) - 131070.0f) * (1.7320508f / 65536.0f);
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

// Named streams, so adding draws to one part of the pipeline never shifts another's.
enum RngStream : uint64_t {
  kStreamLabels = 1,
  kStreamShape = 2,
  kStreamColors = 3,
  kStreamBackground = 4,
  kStreamLight = 5,
  kStreamCamera = 6,
  kStreamNoise = 7,
};

}  // namespace oaconv::datasets
