#pragma once
// How an image is cut for the spectral algorithms, per axis.
//
// Working in "full" coordinates (stride 1, kernel dilated to K = d*(k-1)+1 taps), the unpadded
// input of length H is cut into T disjoint tiles of B samples. Each tile is placed at offset K-1
// of an FFT buffer of size P >= B + K - 1, so the circular correlation with the kernel (placed
// at offset 0) equals the linear one: no wrap-around ever reaches a sample that matters.
//   fft: one tile holding the whole image (B = H, P = efficient size >= H + K - 1).
//   oaa: B chosen by the cost model below.
#include "../conv_geometry.h"

#include <oaconv/algorithm.h>

#include <cstdint>
#include <string>

namespace oaconv::fft {

// Smallest n' >= n whose only prime factors are 2, 3, 5, 7 (sizes FFTW handles well).
int64_t next_fast_size(int64_t n);
// Smallest n' >= n of the form 2^a 3^b or 2^a 3^b 5: measured on this machine kind, factors
// of 7 and repeated 5s cost 20-50 % more per point (70x70 vs 72x72: 1.24x the time for 0.95x
// the points), so the spectral algorithms use these sizes.
int64_t next_efficient_size(int64_t n);

struct AxisTiling {
  int64_t length = 0;  // input samples H along this axis (unpadded)
  int64_t kernel = 0;  // dilated kernel taps K
  int64_t tile = 0;    // B: input samples per tile
  int64_t fft = 0;     // P: transform size, >= B + K - 1
  int64_t tiles = 0;   // T = ceil(H / B)
  bool operator==(const AxisTiling& o) const {
    return length == o.length && kernel == o.kernel && tile == o.tile && fft == o.fft && tiles == o.tiles;
  }
};

// Axes depth, rows, cols: a convolution of rank 1 or 2 has unit leading axes (tile 1, FFT size
// 1), so one engine runs every rank and a 2-D problem's transforms stay 2-D ones.
struct Tiling {
  AxisTiling depth{1, 1, 1, 1, 1}, rows, cols;
  int64_t tiles() const { return depth.tiles * rows.tiles * cols.tiles; }
  // Complex frequencies of one real transform: P_d * P_h * (P_w / 2 + 1).
  int64_t frequencies() const { return depth.fft * rows.fft * (cols.fft / 2 + 1); }
  int64_t points() const { return depth.fft * rows.fft * cols.fft; }
  // "2x3 tiles of 40x40 at FFT 54x54", with a third size first when the depth axis is cut.
  std::string to_string() const;
  bool operator==(const Tiling& o) const { return depth == o.depth && rows == o.rows && cols == o.cols; }
};

// Tiling for one axis with a given FFT size P (B = P - K + 1, as large as P allows).
AxisTiling axis_tiling_for_fft_size(int64_t length, int64_t kernel, int64_t fft);

// Modelled seconds of one training step (forward + both gradients) with this tiling: each
// tile needs 2(N*C + N*O) + O*C/G transforms of P_d x P_h x P_w, and 3 spectral products of
// 8 * N * C * O / G flops per frequency; rates are this machine kind's (see ANCHORS.md).
double modelled_step_seconds(const ConvGeometry& g, const Tiling& t, int threads);

// The tiling `algorithm` (kFft or kOverlapAdd) uses for this convolution. For kOverlapAdd the
// FFT size per axis is the fast size minimising the modelled cost (like scipy's oaconvolve
// block choice, but counting channels and the spectral product, which dominate in a CNN).
Tiling choose_tiling(Algorithm algorithm, const ConvGeometry& g, int threads);

// Whether oaa's tiling is fft's single tile: then the two run the same code (the algorithm
// only picks the tiling).
bool overlap_add_is_fft(const ConvGeometry& g, int threads);

}  // namespace oaconv::fft
