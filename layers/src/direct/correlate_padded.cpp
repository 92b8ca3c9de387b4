#include "correlate_padded.h"

#include "../parallel_tasks.h"
#include "../simd_vec.h"
#include "depthwise_blocked.h"
#include "placed_planes.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

namespace oaconv::direct {
namespace {

// Output channels computed together: each input vector loaded is used kOutBlock times, and
// kOutBlock accumulator vectors stay in registers across the whole (c, a, b) reduction.
constexpr int kOutBlock = 4;

template <typename T, bool kUnitStride>
void correlate_kernel(const T* xp, const T* w, const T* bias, T* y, const CorrelateShape& s) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int kLanes = S::kLanes;
  const int64_t cg = s.in_channels / s.groups;
  const int64_t og = s.out_channels / s.groups;
  const int64_t blocks_per_group = (og + kOutBlock - 1) / kOutBlock;
  const int64_t taps = cg * s.kernel_d * s.kernel_h * s.kernel_w;
  const int64_t tasks = s.batch * s.groups * blocks_per_group;
  const int64_t padded_plane = s.padded_d * s.padded_h * s.padded_w;

  parallel_range(tasks, [&](int64_t begin, int64_t end) {
    // Weights of one output block, interleaved per tap: wb[tap * kOutBlock + k].
    std::vector<T> wb(taps * kOutBlock);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / (s.groups * blocks_per_group);
      const int64_t g = (task / blocks_per_group) % s.groups;
      const int64_t o0 = g * og + (task % blocks_per_group) * kOutBlock;
      const int64_t nb = std::min<int64_t>(kOutBlock, g * og + og - o0);
      for (int64_t t = 0; t < taps; ++t)
        for (int k = 0; k < kOutBlock; ++k) wb[t * kOutBlock + k] = k < nb ? w[(o0 + k) * taps + t] : T(0);
      const T* x_group = xp + (n * s.in_channels + g * cg) * padded_plane;

      // Output rows r = (z, i) of every slice z, each starting at its own row of xp.
      for (int64_t r = 0; r < s.out_d * s.out_h; ++r) {
        const int64_t z = r / s.out_h, i = r % s.out_h;
        const T* x_row = x_group + (z * s.stride_d * s.padded_h + i * s.stride_h) * s.padded_w;
        for (int64_t j0 = 0; j0 < s.out_w; j0 += kLanes) {
          Vec acc[kOutBlock];
          for (int k = 0; k < kOutBlock; ++k) acc[k] = S::broadcast(bias && k < nb ? bias[o0 + k] : T(0));
          const T* wt = wb.data();
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t e = 0; e < s.kernel_d; ++e) {
              for (int64_t a = 0; a < s.kernel_h; ++a) {
                const T* xr = x_row + ((c * s.padded_d + e * s.dilation_d) * s.padded_h + a * s.dilation_h) * s.padded_w +
                              j0 * s.stride_w;
                for (int64_t b = 0; b < s.kernel_w; ++b, wt += kOutBlock) {
                  const T* xb = xr + b * s.dilation_w;
                  const Vec xv = kUnitStride ? S::load(xb) : S::load_strided(xb, s.stride_w);
                  for (int k = 0; k < kOutBlock; ++k) acc[k] += xv * wt[k];
                }
              }
            }
          }
          const int64_t width = std::min<int64_t>(kLanes, s.out_w - j0);
          for (int k = 0; k < nb; ++k) {
            T* yr = y + ((n * s.out_channels + o0 + k) * s.out_d * s.out_h + r) * s.out_w + j0;
            for (int64_t v = 0; v < width; ++v) yr[v] = acc[k][v];
          }
        }
      }
    }
  });
}

// One output channel per group (depthwise convolutions, blurs): blocking output channels would
// leave 3 of 4 accumulators idle, so block kRows output rows instead — independent FMA chains,
// none wasted, one broadcast weight per kRows loads and multiply-adds. `group_input(n, g)` gives
// the Cg padded input planes of image n's group g (Dp x Hp rows of s.padded_w values, stored in
// s.stride_w phases so that every load is contiguous); it is called once per task, on the
// task's thread.
template <typename T, typename GroupInput>
void correlate_rows_kernel(const GroupInput& group_input, const T* w, const T* bias, T* y, const CorrelateShape& s) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int kLanes = S::kLanes;
  constexpr int kRows = 4;
  const int64_t cg = s.in_channels / s.groups;
  const int64_t taps = cg * s.kernel_d * s.kernel_h * s.kernel_w;
  // Rows r = (z, i) of all slices of an output plane, each starting at its own row of xp.
  const int64_t out_rows = s.out_d * s.out_h;
  // Tasks are bands of rows of an output plane: a single blurred image (one plane) still
  // spreads over every thread.
  const int64_t planes = s.batch * s.out_channels;
  const int64_t wanted_bands = (4 * at::get_num_threads() + planes - 1) / planes;
  const int64_t row_groups = (out_rows + kRows - 1) / kRows;
  const int64_t band_rows = kRows * ((row_groups + std::min(wanted_bands, row_groups) - 1) / std::min(wanted_bands, row_groups));
  const int64_t bands = (out_rows + band_rows - 1) / band_rows;
  // Rows are stored in stride_w phases (placed_planes.h): tap b's columns start at col[b].
  const int64_t row_len = s.padded_w, phase_len = row_len / s.stride_w;
  std::vector<int64_t> col(static_cast<size_t>(s.kernel_w));
  for (int64_t b = 0; b < s.kernel_w; ++b) col[b] = phased_column(b * s.dilation_w, s.stride_w, phase_len);
  parallel_tasks(planes * bands, [&](int64_t task) {
    const int64_t plane = task / bands, band = task % bands;
    const int64_t n = plane / s.out_channels, o = plane % s.out_channels;
    const int64_t g = o;  // one output channel per group
    const T* wo = w + o * taps;
    const T* x_group = group_input(n, g);
    T* y_plane = y + (n * s.out_channels + o) * out_rows * s.out_w;
    const T b0 = bias ? bias[o] : T(0);
    const int64_t band_end = std::min(out_rows, (band + 1) * band_rows);
    for (int64_t i0 = band * band_rows; i0 < band_end; i0 += kRows) {
      const int rows = static_cast<int>(std::min<int64_t>(kRows, band_end - i0));
      const T* x_row[kRows];
      for (int q = 0; q < kRows; ++q) {
        const int64_t r = i0 + std::min(q, rows - 1);  // rows past the band repeat its last (not stored)
        const int64_t z = r / s.out_h, i = r % s.out_h;
        x_row[q] = x_group + (z * s.stride_d * s.padded_h + i * s.stride_h) * row_len;
      }
      // kRows x NV accumulators (NV vectors of columns): 8 independent FMA chains keep both FMA
      // units busy through their latency.
      const auto block = [&](int64_t j0, auto vectors) {
        constexpr int NV = decltype(vectors)::value;
        Vec acc[kRows][NV];
        for (int q = 0; q < kRows; ++q)
          for (int v = 0; v < NV; ++v) acc[q][v] = S::broadcast(b0);
        const T* wt = wo;
        for (int64_t c = 0; c < cg; ++c) {
          for (int64_t e = 0; e < s.kernel_d; ++e) {
            for (int64_t a = 0; a < s.kernel_h; ++a) {
              const int64_t tap_row = ((c * s.padded_d + e * s.dilation_d) * s.padded_h + a * s.dilation_h) * row_len + j0;
              for (int64_t b = 0; b < s.kernel_w; ++b, ++wt) {
                const Vec wv = S::broadcast(*wt);
                for (int q = 0; q < kRows; ++q) {
                  for (int v = 0; v < NV; ++v) acc[q][v] += S::load(x_row[q] + tap_row + col[b] + v * kLanes) * wv;
                }
              }
            }
          }
        }
        for (int q = 0; q < rows; ++q) {
          for (int v = 0; v < NV; ++v) {
            const int64_t j = j0 + v * kLanes;
            const int64_t width = std::min<int64_t>(kLanes, s.out_w - j);
            T* yr = y_plane + (i0 + q) * s.out_w + j;
            if (width == kLanes) {
              S::store(yr, acc[q][v]);
            } else {
              for (int64_t l = 0; l < width; ++l) yr[l] = acc[q][v][l];
            }
          }
        }
      };
      int64_t j0 = 0;
      for (; j0 + kLanes < s.out_w; j0 += 2 * kLanes) block(j0, std::integral_constant<int, 2>());
      if (j0 < s.out_w) block(j0, std::integral_constant<int, 1>());
    }
  });
}

}  // namespace

int64_t required_padded_width(int64_t out_w, int64_t kernel_w, int64_t stride_w,
                              int64_t dilation_w, at::ScalarType dtype) {
  const int64_t lanes = 64 / static_cast<int64_t>(c10::elementSize(dtype));
  const int64_t rounded = (out_w + lanes - 1) / lanes * lanes;
  return (rounded - 1) * stride_w + (kernel_w - 1) * dilation_w + 1;
}

void correlate_padded_out(const at::Tensor& xp, const at::Tensor& w, const at::Tensor& bias,
                          const CorrelateShape& shape, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(xp.is_contiguous() && w.is_contiguous() && y.is_contiguous());
  TORCH_INTERNAL_ASSERT(shape.out_channels != shape.groups, "one output channel per group: correlate_placed_out");
  TORCH_INTERNAL_ASSERT(xp.dim() == 5 && xp.size(2) == shape.padded_d && xp.size(3) == shape.padded_h &&
                        xp.size(4) == shape.padded_w);
  TORCH_INTERNAL_ASSERT(shape.padded_w >= required_padded_width(shape.out_w, shape.kernel_w, shape.stride_w,
                                                                shape.dilation_w, xp.scalar_type()));
  TORCH_INTERNAL_ASSERT(y.dim() == 5 && y.size(2) == shape.out_d && y.size(3) == shape.out_h &&
                        y.size(4) == shape.out_w);
  if (y.numel() == 0) return;  // an empty batch or output: nothing to compute (the loops divide by the plane count)
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "oaconv::direct::correlate_padded", [&] {
    const scalar_t* bias_ptr = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    if (shape.stride_w == 1) {
      correlate_kernel<scalar_t, true>(xp.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), bias_ptr,
                                       y.data_ptr<scalar_t>(), shape);
    } else {
      correlate_kernel<scalar_t, false>(xp.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(), bias_ptr,
                                        y.data_ptr<scalar_t>(), shape);
    }
  });
}

void correlate_placed_out(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                          const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(w.is_contiguous() && source.dim() == 5);
  TORCH_INTERNAL_ASSERT(axes[0].padded == shape.padded_d && axes[1].padded == shape.padded_h &&
                        axes[2].padded == shape.padded_w);
  TORCH_INTERNAL_ASSERT(shape.padded_w >= required_padded_width(shape.out_w, shape.kernel_w, shape.stride_w,
                                                                shape.dilation_w, source.scalar_type()));
  for (int a = 0; a < 3; ++a) TORCH_INTERNAL_ASSERT(source.size(2 + a) == axes[a].size);
  if (y.numel() == 0) return;
  if (depthwise_blocked_applies(shape, source.scalar_type())) {
    correlate_depthwise_blocked(source, axes, w, bias, shape, y);  // either packed layout
    return;
  }
  TORCH_INTERNAL_ASSERT(source.is_contiguous() && y.is_contiguous());
  TORCH_INTERNAL_ASSERT(shape.out_channels == shape.groups, "correlate_placed_out: one output channel per group");
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(source.scalar_type(), "oaconv::direct::correlate_placed", [&] {
    const scalar_t* bias_ptr = b.defined() ? b.data_ptr<scalar_t>() : nullptr;
    const scalar_t* src = source.data_ptr<scalar_t>();
    const int64_t cg = shape.in_channels / shape.groups;
    const int64_t source_volume = axes[0].size * axes[1].size * axes[2].size;
    // Rows in stride_w phases: the kernel sees rows of that length.
    CorrelateShape phased = shape;
    phased.padded_w = shape.stride_w * phase_length(shape.padded_w, shape.stride_w);
    const int64_t padded_volume = phased.padded_d * phased.padded_h * phased.padded_w;
    const auto group_input = [&](int64_t n, int64_t g) {
      scalar_t* planes = placed_buffer<scalar_t>(cg * padded_volume);
      for (int64_t c = 0; c < cg; ++c) {
        place_volume(src + ((n * shape.groups + g) * cg + c) * source_volume, axes, planes + c * padded_volume,
                     shape.stride_w);
      }
      return static_cast<const scalar_t*>(planes);
    };
    correlate_rows_kernel(group_input, w.data_ptr<scalar_t>(), bias_ptr, y.data_ptr<scalar_t>(), phased);
  });
}

}  // namespace oaconv::direct
