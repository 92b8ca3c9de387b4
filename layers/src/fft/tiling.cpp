#include "tiling.h"

#include "../isa/rate_scales.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace oaconv::fft {
namespace {

// Rates on this project's machine kind (AVX-512, per thread; ANCHORS.md and bench/): batched real
// FFTW transforms at ~18 GFLOP/s in the 2.5 N log2 N convention, the spectral product at
// ~40 GFLOP/s, and a per-tile overhead for gathering and scattering (memory-bound); scaled to
// the CPU and kernel set in use (isa/rate_scales.h).
constexpr double kFftFlopsPerSecond = 18e9;
constexpr double kProductFlopsPerSecond = 40e9;
constexpr double kBytesPerSecond = 8e9;

std::vector<int64_t> fast_sizes_between(int64_t lo, int64_t hi) {
  std::vector<int64_t> sizes;
  for (int64_t n = next_efficient_size(lo); n <= hi; n = next_efficient_size(n + 1)) sizes.push_back(n);
  return sizes;
}

// With T = ceil(H / B) tiles needed at FFT size P, spread H evenly over them; the smaller
// tile may then fit a smaller fast size.
AxisTiling balanced_axis(int64_t length, int64_t kernel, int64_t fft) {
  const AxisTiling widest = axis_tiling_for_fft_size(length, kernel, fft);
  const int64_t even_tile = (length + widest.tiles - 1) / widest.tiles;
  return axis_tiling_for_fft_size(length, kernel, next_efficient_size(even_tile + kernel - 1));
}

}  // namespace

int64_t next_fast_size(int64_t n) {
  TORCH_INTERNAL_ASSERT(n >= 1);
  for (int64_t m = n;; ++m) {
    int64_t r = m;
    for (int64_t p : {2, 3, 5, 7}) {
      while (r % p == 0) r /= p;
    }
    if (r == 1) return m;
  }
}

int64_t next_efficient_size(int64_t n) {
  TORCH_INTERNAL_ASSERT(n >= 1);
  for (int64_t m = n;; ++m) {
    int64_t r = m;
    for (int64_t p : {2, 3}) {
      while (r % p == 0) r /= p;
    }
    if (r == 1 || r == 5) return m;
  }
}

std::string Tiling::to_string() const {
  std::ostringstream s;
  const bool solid = depth.fft > 1;
  if (solid) s << depth.tiles << "x";
  s << rows.tiles << "x" << cols.tiles << " tiles of ";
  if (solid) s << depth.tile << "x";
  s << rows.tile << "x" << cols.tile << " at FFT ";
  if (solid) s << depth.fft << "x";
  s << rows.fft << "x" << cols.fft;
  return s.str();
}

AxisTiling axis_tiling_for_fft_size(int64_t length, int64_t kernel, int64_t fft) {
  TORCH_INTERNAL_ASSERT(fft >= kernel);
  AxisTiling a;
  a.length = length;
  a.kernel = kernel;
  a.fft = fft;
  a.tile = std::min(length, fft - kernel + 1);
  a.tiles = (length + a.tile - 1) / a.tile;
  return a;
}

double modelled_step_seconds(const ConvGeometry& g, const Tiling& t, int threads) {
  const double n = g.batch, c = g.in_channels, o = g.out_channels, cg = g.in_per_group();
  const double points = static_cast<double>(t.points());
  const double fft_flops = 2.5 * points * std::log2(std::max(points, 2.0));
  const double transforms = t.tiles() * 2.0 * (n * c + n * o) + o * cg;
  const double product_flops = 3.0 * t.tiles() * 8.0 * n * c * (o / g.groups) * t.frequencies();
  // Real tile buffers and split spectra written and read once per transform.
  const double bytes = transforms * points * 4.0 * 3.0;
  const double rate = std::max(1, threads);
  const isa::RateScales scale = isa::rate_scales();
  return transforms * fft_flops / (kFftFlopsPerSecond * scale.fft * rate) +
         product_flops / (kProductFlopsPerSecond * scale.product * rate) +
         bytes / (kBytesPerSecond * scale.bytes * rate);
}

Tiling choose_tiling(Algorithm algorithm, const ConvGeometry& geometry, int threads) {
  const ConvGeometry g = with_leading_unit_axes(geometry, kMaxSpatialRank);
  std::array<int64_t, kMaxSpatialRank> kernel{}, full{};
  Tiling best;
  AxisTiling* const axes[kMaxSpatialRank] = {&best.depth, &best.rows, &best.cols};
  for (int a = 0; a < kMaxSpatialRank; ++a) {
    kernel[a] = g.kernel_extent(a);
    full[a] = next_efficient_size(g.in[a] + kernel[a] - 1);
    *axes[a] = axis_tiling_for_fft_size(g.in[a], kernel[a], full[a]);
  }
  if (algorithm == Algorithm::kFft) return best;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kOverlapAdd);
  // Candidate FFT sizes per axis: from just above the kernel up to the full-image size; tiles
  // smaller than the kernel waste most of each transform on the overlap.
  std::array<std::vector<int64_t>, kMaxSpatialRank> sizes;
  for (int a = 0; a < kMaxSpatialRank; ++a) sizes[a] = fast_sizes_between(std::min(2 * kernel[a], full[a]), full[a]);
  std::vector<std::pair<double, Tiling>> candidates;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int64_t pd : sizes[0]) {
    for (int64_t ph : sizes[1]) {
      for (int64_t pw : sizes[2]) {
        Tiling t;
        t.depth = balanced_axis(g.in[0], kernel[0], pd);
        t.rows = balanced_axis(g.in[1], kernel[1], ph);
        t.cols = balanced_axis(g.in[2], kernel[2], pw);
        const double cost = modelled_step_seconds(g, t, threads);
        candidates.emplace_back(cost, t);
        best_cost = std::min(best_cost, cost);
      }
    }
  }
  // The model is only good to a few percent; within 5 % of the best, fewer tiles win (less
  // overlap, fewer gathers and overlap-adds, measured faster on this machine kind), then cost.
  candidates.emplace_back(modelled_step_seconds(g, best, threads), best);  // the one-tile FFT
  best_cost = std::min(best_cost, candidates.back().first);
  double chosen_cost = std::numeric_limits<double>::infinity();
  for (const auto& [cost, t] : candidates) {
    if (cost > 1.05 * best_cost) continue;
    if (chosen_cost == std::numeric_limits<double>::infinity() || t.tiles() < best.tiles() ||
        (t.tiles() == best.tiles() && cost < chosen_cost)) {
      best = t;
      chosen_cost = cost;
    }
  }
  return best;
}

bool overlap_add_is_fft(const ConvGeometry& g, int threads) {
  return choose_tiling(Algorithm::kOverlapAdd, g, threads) == choose_tiling(Algorithm::kFft, g, threads);
}

}  // namespace oaconv::fft
