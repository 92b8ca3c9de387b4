#include "depthwise_blocked.h"

#include "../parallel_tasks.h"
#include "../simd_vec.h"

#include <ATen/Dispatch.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace oaconv::direct {
namespace {

// Output positions of a row computed together: 8 independent chains of multiply-adds cover the
// FMA units' latency on AVX2 and AVX-512; with the weight vector and one loaded input vector
// they use 10 registers.
constexpr int kPositions = 8;

// dst[k * L + c] = src[c][offset + k] for k, c < L: an L x L tile from L rows (one per channel)
// to L channel vectors. Sizes known at compile time let the compiler do it with vector
// permutes instead of L^2 scalar moves.
template <typename T, int L>
inline void tile_to_channels(const T* const* src, int64_t offset, T* dst) {
  T tile[L][L];
  for (int c = 0; c < L; ++c) std::memcpy(tile[c], src[c] + offset, L * sizeof(T));
  for (int k = 0; k < L; ++k)
    for (int c = 0; c < L; ++c) dst[k * L + c] = tile[c][k];
}

// dst[c][offset + k] = src[k * L + c]: the inverse, channel vectors back to rows.
template <typename T, int L>
inline void tile_from_channels(const T* src, T* const* dst, int64_t offset) {
  T tile[L][L];
  std::memcpy(tile, src, sizeof(tile));
  for (int c = 0; c < L; ++c)
    for (int k = 0; k < L; ++k) dst[c][offset + k] = tile[k][c];
}

// Places channel blocks of a source (N, C, axes sizes) channel-innermost into [Dp][Hp][Wp][L]
// buffers: zeros where no source sample lands, whole L x L tiles where the columns are
// consecutive and the block is full.
template <typename T, int L>
class ChannelBlockPlacer {
 public:
  ChannelBlockPlacer(const T* src, int64_t channels, const PlacedAxis (&axes)[3], int64_t wp)
      : src_(src), channels_(channels), axes_(axes), wp_(wp) {
    const PlacedAxis& aw = axes[2];
    for (int64_t j = 0; j < aw.size; ++j) {
      const int64_t p = aw.offset + j * aw.spacing;
      if (p < 0 || p >= wp) continue;
      if (first_ < 0) first_ = j;
      column_.push_back(p);
    }
    first_ = std::max<int64_t>(first_, 0);  // no column lands: the copy loops do nothing
  }

  // Channels c0 .. c0 + lanes - 1 of image n into dst.
  void place(int64_t n, int64_t c0, int64_t lanes, T* dst) const {
    const PlacedAxis &ad = axes_[0], &ah = axes_[1], &aw = axes_[2];
    const int64_t volume = ad.size * ah.size * aw.size;
    const bool tiles = lanes == L && aw.spacing == 1;
    const int64_t ncols = static_cast<int64_t>(column_.size());
    const int64_t p0 = ncols > 0 ? column_[0] : 0;
    const T* src_rows[L];
    for (int64_t pd = 0; pd < ad.padded; ++pd) {
      const int64_t z = placed_source(ad, pd);
      for (int64_t ph = 0; ph < ah.padded; ++ph) {
        const int64_t i = z < 0 ? -1 : placed_source(ah, ph);
        T* dst_row = dst + (pd * ah.padded + ph) * wp_ * L;
        if (i < 0 || ncols == 0) {
          std::fill(dst_row, dst_row + wp_ * L, T(0));
          continue;
        }
        for (int64_t c = 0; c < lanes; ++c) {
          src_rows[c] = src_ + (n * channels_ + c0 + c) * volume + (z * ah.size + i) * aw.size + first_;
        }
        if (!tiles) {
          std::fill(dst_row, dst_row + wp_ * L, T(0));
          for (int64_t c = 0; c < lanes; ++c) {
            for (int64_t k = 0; k < ncols; ++k) dst_row[column_[k] * L + c] = src_rows[c][k];
          }
          continue;
        }
        std::fill(dst_row, dst_row + p0 * L, T(0));
        std::fill(dst_row + (p0 + ncols) * L, dst_row + wp_ * L, T(0));
        int64_t k = 0;
        for (; k + L <= ncols; k += L) tile_to_channels<T, L>(src_rows, k, dst_row + (p0 + k) * L);
        for (; k < ncols; ++k)
          for (int64_t c = 0; c < L; ++c) dst_row[(p0 + k) * L + c] = src_rows[c][k];
      }
    }
  }

 private:
  const T* src_;
  int64_t channels_;
  const PlacedAxis (&axes_)[3];
  int64_t wp_;
  std::vector<int64_t> column_;  // padded column of each source column that lands
  int64_t first_ = -1;           // the first source column that lands
};

// acc[q] += sum_b w[b] x[q + b] for one kernel row of width KW at unit stride and dilation, with
// the row's P + KW - 1 input vectors loaded once and held in registers: every input vector serves
// up to KW multiply-adds, where a load per multiply-add made the loads the limit. With 32 vector
// registers (AVX-512): 8 accumulators and up to 20 inputs and a weight.
template <typename T, int P, int KW>
inline void window_row(const T* row, const T* w, typename Simd<T>::Vec (&acc)[P]) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int L = S::kLanes;
  Vec win[P + KW - 1];
#pragma GCC unroll 32
  for (int t = 0; t < P + KW - 1; ++t) win[t] = S::load(row + t * L);
#pragma GCC unroll 16
  for (int b = 0; b < KW; ++b) {
    const Vec wv = S::load(w + b * L);
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) acc[q] += win[q + b] * wv;
  }
}

// window_row for the kernel widths it is instantiated for; false for others.
template <typename T, int P>
bool window_row_for(int64_t kw, const T* row, const T* w, typename Simd<T>::Vec (&acc)[P]) {
  switch (kw) {
    case 3: window_row<T, P, 3>(row, w, acc); return true;
    case 5: window_row<T, P, 5>(row, w, acc); return true;
    case 7: window_row<T, P, 7>(row, w, acc); return true;
    case 9: window_row<T, P, 9>(row, w, acc); return true;
    case 11: window_row<T, P, 11>(row, w, acc); return true;
    case 13: window_row<T, P, 13>(row, w, acc); return true;
    default: return false;
  }
}

template <typename T>
void depthwise_blocked(const T* src, const PlacedAxis (&axes)[3], const T* w, const T* bias, T* y,
                       const CorrelateShape& s) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t channels = s.out_channels;
  const int64_t blocks = (channels + L - 1) / L;
  const int64_t taps = s.kernel_d * s.kernel_h * s.kernel_w;
  const int64_t dp = s.padded_d, hp = s.padded_h, wp = s.padded_w;
  const int64_t out_rows = s.out_d * s.out_h, out_plane = out_rows * s.out_w;

  // Weights and bias per channel block, channel innermost (zero past the last channel).
  std::vector<T> wb(static_cast<size_t>(blocks * taps * L), T(0)), bb(static_cast<size_t>(blocks * L), T(0));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) wb[((c / L) * taps + t) * L + c % L] = w[c * taps + t];
    if (bias) bb[c] = bias[c];
  }
  const ChannelBlockPlacer<T, L> placer(src, channels, axes, wp);

  parallel_tasks(s.batch * blocks, [&](int64_t task) {
    const int64_t n = task / blocks, cb = task % blocks;
    const int64_t c0 = cb * L, lanes = std::min(L, channels - c0);
    T* x = placed_buffer<T, 0>(dp * hp * wp * L);
    T* out = placed_buffer<T, 1>(out_plane * L);
    placer.place(n, c0, lanes, x);
    const T* wk = wb.data() + cb * taps * L;
    const Vec b0 = S::load(bb.data() + cb * L);
    const int64_t step = s.stride_w * L;  // between consecutive output positions' inputs
    const bool unit_row = s.stride_w == 1 && s.dilation_w == 1;
    for (int64_t r = 0; r < out_rows; ++r) {
      const int64_t z = r / s.out_h, i = r % s.out_h;
      T* out_row = out + r * s.out_w * L;
      const auto positions = [&](int64_t j0, auto count) {
        constexpr int P = decltype(count)::value;
        Vec acc[P];
        for (int q = 0; q < P; ++q) acc[q] = b0;
        const T* wt = wk;
        for (int64_t e = 0; e < s.kernel_d; ++e) {
          for (int64_t a = 0; a < s.kernel_h; ++a) {
            const T* row = x + ((z * s.stride_d + e * s.dilation_d) * hp + i * s.stride_h + a * s.dilation_h) * wp * L +
                           j0 * step;
            if constexpr (kSimdRegisters >= 32 && P == kPositions) {
              if (unit_row && window_row_for<T, P>(s.kernel_w, row, wt, acc)) {
                wt += s.kernel_w * L;
                continue;
              }
            }
            for (int64_t b = 0; b < s.kernel_w; ++b, wt += L) {
              const Vec wv = S::load(wt);
              const T* xb = row + b * s.dilation_w * L;
              for (int q = 0; q < P; ++q) acc[q] += S::load(xb + q * step) * wv;
            }
          }
        }
        for (int q = 0; q < P; ++q) S::store(out_row + (j0 + q) * L, acc[q]);
      };
      // The row's last positions in blocks of 4, 2, 1: one at a time they would be chains of
      // dependent multiply-adds (k 13 at 28 columns: 4 positions took as long as the other 24).
      int64_t j0 = 0;
      for (; j0 + kPositions <= s.out_w; j0 += kPositions) positions(j0, std::integral_constant<int, kPositions>());
      if (j0 + 4 <= s.out_w) positions(j0, std::integral_constant<int, 4>()), j0 += 4;
      if (j0 + 2 <= s.out_w) positions(j0, std::integral_constant<int, 2>()), j0 += 2;
      if (j0 < s.out_w) positions(j0, std::integral_constant<int, 1>());
    }
    // Back to the block's output planes.
    T* y_planes[L];
    for (int64_t c = 0; c < lanes; ++c) y_planes[c] = y + (n * channels + c0 + c) * out_plane;
    int64_t k = 0;
    if (lanes == L) {
      for (; k + L <= out_plane; k += L) tile_from_channels<T, L>(out + k * L, y_planes, k);
    }
    for (; k < out_plane; ++k)
      for (int64_t c = 0; c < lanes; ++c) y_planes[c][k] = out[k * L + c];
  });
}


// Taps b0 .. b0 + NB - 1 of kernel row (e, a): sums[b] += sum over the output positions of
// gy(position) * x(position's input at that tap), one vector of channels each.
template <typename T, int NB>
void row_taps_blocked(const T* xb, const T* gb, const ConvGeometry& g, int64_t hp, int64_t wp, int64_t e,
                      int64_t a, int64_t b0, typename Simd<T>::Vec* sums) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  Vec acc[NB];
  for (int b = 0; b < NB; ++b) acc[b] = Vec{};
  const int64_t step = g.stride[2] * L, tap_step = g.dilation[2] * L;
  for (int64_t r = 0; r < g.out[0] * g.out[1]; ++r) {
    const int64_t z = r / g.out[1], i = r % g.out[1];
    const T* xrow = xb + ((z * g.stride[0] + e * g.dilation[0]) * hp + i * g.stride[1] + a * g.dilation[1]) * wp * L +
                    b0 * tap_step;
    const T* grow = gb + r * g.out[2] * L;
    for (int64_t j = 0; j < g.out[2]; ++j) {
      const Vec gv = S::load(grow + j * L);
      const T* xj = xrow + j * step;
      for (int b = 0; b < NB; ++b) acc[b] += S::load(xj + b * tap_step) * gv;
    }
  }
  for (int b = 0; b < NB; ++b) sums[b] += acc[b];
}

template <typename T>
void grad_weight_blocked(const T* x, const PlacedAxis (&xa)[3], const T* gy, const ConvGeometry& g, T* gw) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  constexpr int kRowTaps = 8;  // tap accumulators in registers
  const int64_t channels = g.in_channels, blocks = (channels + L - 1) / L;
  const int64_t kh = g.kernel[1], kw = g.kernel[2], taps = g.kernel[0] * kh * kw;
  const int64_t dp = xa[0].padded, hp = xa[1].padded, wp = xa[2].padded;
  const int64_t out_plane = g.out[0] * g.out[1] * g.out[2];
  const PlacedAxis gya[3] = {{g.out[0], 0, 1, g.out[0]}, {g.out[1], 0, 1, g.out[1]}, {g.out[2], 0, 1, g.out[2]}};
  const ChannelBlockPlacer<T, L> x_placer(x, channels, xa, wp), gy_placer(gy, channels, gya, g.out[2]);
  parallel_tasks(blocks, [&](int64_t cb) {
    const int64_t c0 = cb * L, lanes = std::min(L, channels - c0);
    T* xb = placed_buffer<T, 0>(dp * hp * wp * L);
    T* gb = placed_buffer<T, 1>(out_plane * L);
    std::vector<Vec> sums(static_cast<size_t>(taps), Vec{});
    for (int64_t n = 0; n < g.batch; ++n) {
      x_placer.place(n, c0, lanes, xb);
      gy_placer.place(n, c0, lanes, gb);
      for (int64_t e = 0; e < g.kernel[0]; ++e) {
        for (int64_t a = 0; a < kh; ++a) {
          Vec* row = sums.data() + (e * kh + a) * kw;
          for (int64_t b0 = 0; b0 < kw; b0 += kRowTaps) {
            static_assert(kRowTaps == 8, "the switch covers 1 to 8 taps");
            switch (std::min<int64_t>(kRowTaps, kw - b0)) {
              case 8: row_taps_blocked<T, 8>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 7: row_taps_blocked<T, 7>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 6: row_taps_blocked<T, 6>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 5: row_taps_blocked<T, 5>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 4: row_taps_blocked<T, 4>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 3: row_taps_blocked<T, 3>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              case 2: row_taps_blocked<T, 2>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
              default: row_taps_blocked<T, 1>(xb, gb, g, hp, wp, e, a, b0, row + b0); break;
            }
          }
        }
      }
    }
    for (int64_t c = 0; c < lanes; ++c)
      for (int64_t t = 0; t < taps; ++t) gw[(c0 + c) * taps + t] = sums[t][c];
  });
}

}  // namespace

bool depthwise_blocked_applies(const CorrelateShape& shape, at::ScalarType dtype) {
  if (shape.in_channels != shape.groups || shape.out_channels != shape.groups) return false;
  const int64_t lanes = dtype == at::kDouble ? Simd<double>::kLanes : Simd<float>::kLanes;
  const int64_t blocks = shape.batch * ((shape.out_channels + lanes - 1) / lanes);
  return blocks >= 2 * at::get_num_threads();
}

bool depthwise_blocked_grad_weight_applies(const ConvGeometry& g, at::ScalarType dtype) {
  if (g.in_per_group() != 1 || g.out_per_group() != 1) return false;
  const int64_t lanes = dtype == at::kDouble ? Simd<double>::kLanes : Simd<float>::kLanes;
  return (g.in_channels + lanes - 1) / lanes >= 2 * at::get_num_threads();
}

void grad_weight_depthwise_blocked(const at::Tensor& x, const PlacedAxis (&x_axes)[3], const at::Tensor& gy,
                                   const ConvGeometry& g, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(g.in_per_group() == 1 && g.out_per_group() == 1);
  TORCH_INTERNAL_ASSERT(x.is_contiguous() && gy.is_contiguous() && gw.is_contiguous());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::direct::grad_weight_depthwise_blocked", [&] {
    grad_weight_blocked<scalar_t>(x.data_ptr<scalar_t>(), x_axes, gy.data_ptr<scalar_t>(), g, gw.data_ptr<scalar_t>());
  });
}

void correlate_depthwise_blocked(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                                 const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(shape.in_channels == shape.groups && shape.out_channels == shape.groups);
  TORCH_INTERNAL_ASSERT(source.is_contiguous() && w.is_contiguous() && y.is_contiguous());
  if (y.numel() == 0) return;
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(source.scalar_type(), "oaconv::direct::correlate_depthwise_blocked", [&] {
    depthwise_blocked<scalar_t>(source.data_ptr<scalar_t>(), axes, w.data_ptr<scalar_t>(),
                                b.defined() ? b.data_ptr<scalar_t>() : nullptr, y.data_ptr<scalar_t>(), shape);
  });
}

}  // namespace oaconv::direct
