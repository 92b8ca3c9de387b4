// Grad-weight pass of the direct algorithm.
//
// gw[o, c, e, a, b] = sum_n sum_z sum_i sum_j gy[n, o, z, i, j] *
//                     xp[n, g*Cg + c, z*sd + e*dd, i*sh + a*dh, j*sw + b*dw]
//
// One task per (o, c) pair reduces over the batch and the whole output volume, so tasks never
// write the same element. The taps of one kernel row are held in registers, up to kRowTaps at a
// time: per output row, a SIMD vector of grad-output columns is loaded once and multiplied into
// each of them. Holding every tap instead (k^2 accumulators: 49 vectors at k 7, 961 at k 31)
// keeps them in memory, a load and a store per multiply-add, from L2 once they outgrow L1.
#include "correlate_padded.h"
#include "channel_layout.h"
#include "depthwise_blocked.h"
#include "direct_passes.h"
#include "../parallel_tasks.h"
#include "../simd_vec.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <utility>

namespace oaconv::direct {
namespace {

// Strides and sizes of the padded operands the kernel reads.
struct GradWeightOperands {
  int64_t dp, hp, wp;  // padded input: depth, rows, row length
  int64_t gy_w;        // grad-output row length, a whole number of SIMD vectors (zeros past out_w)
  int64_t phase_len;   // > 0: input rows stored in stride_w phases of this length (placed_planes.h)
};

constexpr int kRowTaps = 8;  // tap accumulators in registers (+ the grad-output vector and a load)

// sums[b] += sum_{z,i,j} gy_plane[z, i, j] * x_plane[z*sd + e*dd, i*sh + a*dh, j*sw + (b0 + b)*dw]
// for b < NB: the taps b0 .. b0 + NB - 1 of kernel row (e, a), from one (n, o) grad-output plane
// and one (n, c) padded input plane.
template <typename T, bool kUnitLoads, int NB>
void row_taps(const T* gy_plane, const T* x_plane, const ConvGeometry& g, const GradWeightOperands& op, int64_t e,
              int64_t a, int64_t b0, T* sums) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int kLanes = S::kLanes;
  const int64_t out_rows = g.out[0] * g.out[1];
  // Where tap b0 + b's columns start in a row, and the step between output columns' inputs:
  // contiguous in a phased row, stride_w apart in a plain one.
  int64_t col[NB];
  for (int b = 0; b < NB; ++b) {
    const int64_t p = (b0 + b) * g.dilation[2];
    col[b] = op.phase_len > 0 ? phased_column(p, g.stride[2], op.phase_len) : p;
  }
  const int64_t step = op.phase_len > 0 ? 1 : g.stride[2];
  Vec acc[NB];
  for (int b = 0; b < NB; ++b) acc[b] = S::broadcast(T(0));
  for (int64_t r = 0; r < out_rows; ++r) {  // output rows (z, i) of every slice
    const int64_t z = r / g.out[1], i = r % g.out[1];
    const T* xr = x_plane + ((z * g.stride[0] + e * g.dilation[0]) * op.hp + i * g.stride[1] + a * g.dilation[1]) * op.wp;
    const T* gr = gy_plane + r * op.gy_w;
    for (int64_t j0 = 0; j0 < g.out[2]; j0 += kLanes) {
      const Vec gv = S::load(gr + j0);
      const T* xj = xr + j0 * step;
      for (int b = 0; b < NB; ++b) {
        const T* xb = xj + col[b];
        acc[b] += gv * (kUnitLoads ? S::load(xb) : S::load_strided(xb, step));
      }
    }
  }
  for (int b = 0; b < NB; ++b) sums[b] += S::sum(acc[b]);
}

template <typename T, bool kUnitLoads>
void row_taps_dispatch(int nb, const T* gy_plane, const T* x_plane, const ConvGeometry& g,
                       const GradWeightOperands& op, int64_t e, int64_t a, int64_t b0, T* sums) {
  static_assert(kRowTaps == 8, "row_taps_dispatch covers 1 to 8 taps");
  switch (nb) {
    case 8: return row_taps<T, kUnitLoads, 8>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 7: return row_taps<T, kUnitLoads, 7>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 6: return row_taps<T, kUnitLoads, 6>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 5: return row_taps<T, kUnitLoads, 5>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 4: return row_taps<T, kUnitLoads, 4>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 3: return row_taps<T, kUnitLoads, 3>(gy_plane, x_plane, g, op, e, a, b0, sums);
    case 2: return row_taps<T, kUnitLoads, 2>(gy_plane, x_plane, g, op, e, a, b0, sums);
    default: return row_taps<T, kUnitLoads, 1>(gy_plane, x_plane, g, op, e, a, b0, sums);
  }
}

// planes(n, o, c) gives the (n, o) grad-output plane (rows of op.gy_w) and the (n, c) padded
// input plane (op.dp x op.hp x op.wp); it is called on the task's thread.
template <typename T, bool kUnitLoads, typename Planes>
void grad_weight_kernel(const Planes& planes, T* gw, const ConvGeometry& g, const GradWeightOperands& op) {
  const int64_t cg = g.in_per_group();
  const int64_t og = g.out_per_group();
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  parallel_tasks(g.out_channels * cg, [&](int64_t task) {
    const int64_t o = task / cg;
    const int64_t c = cg * (o / og) + task % cg;  // input channel (global)
    T* out = gw + task * taps;
    std::fill(out, out + taps, T(0));
    // One image at a time: its two planes stay in cache while every kernel row passes over them.
    for (int64_t n = 0; n < g.batch; ++n) {
      const std::pair<const T*, const T*> p = planes(n, o, c);
      for (int64_t e = 0; e < g.kernel[0]; ++e) {
        for (int64_t a = 0; a < g.kernel[1]; ++a) {
          T* row = out + (e * g.kernel[1] + a) * g.kernel[2];
          for (int64_t b0 = 0; b0 < g.kernel[2]; b0 += kRowTaps) {
            const int nb = static_cast<int>(std::min<int64_t>(kRowTaps, g.kernel[2] - b0));
            row_taps_dispatch<T, kUnitLoads>(nb, p.first, p.second, g, op, e, a, b0, row + b0);
          }
        }
      }
    }
  });
}

template <typename T, typename Planes>
void grad_weight_dispatch(const Planes& planes, T* gw, const ConvGeometry& g, const GradWeightOperands& op) {
  if (g.stride[2] == 1 || op.phase_len > 0) {
    grad_weight_kernel<T, true>(planes, gw, g, op);
  } else {
    grad_weight_kernel<T, false>(planes, gw, g, op);
  }
}

}  // namespace

void grad_weight_out(const at::Tensor& gy, const at::Tensor& x, const ConvGeometry& g,
                     at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(gw.is_contiguous());
  // Grad-output rows padded to whole SIMD vectors, the extra columns zero.
  const int64_t lanes = 64 / static_cast<int64_t>(gy.element_size());
  const int64_t gy_w = (g.out[2] + lanes - 1) / lanes * lanes;
  PlacedAxis x_axes[3];
  forward_input_axes(g, x_axes);
  if (depthwise_blocked_grad_weight_applies(g, x.scalar_type())) {
    grad_weight_depthwise_blocked(packed_nchw_or_channels_last(x) ? x : x.contiguous(), x_axes,
                                  packed_nchw_or_channels_last(gy) ? gy : gy.contiguous(), g, gw);
    return;
  }
  if (g.out_per_group() == 1) {
    // One output channel per group: every (n, c) input plane and (n, o) grad-output plane is
    // read by one task only, which pads it into its own buffer (placed_planes.h).
    PlacedAxis gy_axes[3];
    for (int a = 0; a < 3; ++a) gy_axes[a] = {g.out[a], 0, 1, g.out[a]};
    x_axes[2].padded = required_padded_width(g.out[2], g.kernel[2], g.stride[2], g.dilation[2], x.scalar_type());
    gy_axes[2].padded = gy_w;
    const int64_t phase_len = phase_length(x_axes[2].padded, g.stride[2]);
    const GradWeightOperands op{x_axes[0].padded, x_axes[1].padded, g.stride[2] * phase_len, gy_w, phase_len};
    const at::Tensor xc = x.contiguous(), gyc = gy.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::direct::grad_weight", [&] {
      const scalar_t* xs = xc.data_ptr<scalar_t>();
      const scalar_t* gys = gyc.data_ptr<scalar_t>();
      const int64_t x_volume = g.in[0] * g.in[1] * g.in[2], gy_volume = g.out[0] * g.out[1] * g.out[2];
      const auto planes = [&](int64_t n, int64_t o, int64_t c) {
        scalar_t* xb = placed_buffer<scalar_t, 0>(op.dp * op.hp * op.wp);
        scalar_t* gb = placed_buffer<scalar_t, 1>(g.out[0] * g.out[1] * gy_w);
        place_volume(xs + (n * g.in_channels + c) * x_volume, x_axes, xb, g.stride[2]);
        place_volume(gys + (n * g.out_channels + o) * gy_volume, gy_axes, gb);
        return std::pair<const scalar_t*, const scalar_t*>(gb, xb);
      };
      grad_weight_dispatch(planes, gw.data_ptr<scalar_t>(), g, op);
    });
    return;
  }
  const at::Tensor xp = pad_input(x, g);
  const at::Tensor gy_padded = at::constant_pad_nd(gy, {0, gy_w - g.out[2]}, 0).contiguous();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::direct::grad_weight", [&] {
    const GradWeightOperands op{xp.size(2), xp.size(3), xp.size(4), gy_w, 0};
    const scalar_t* xps = xp.data_ptr<scalar_t>();
    const scalar_t* gys = gy_padded.data_ptr<scalar_t>();
    const auto planes = [&](int64_t n, int64_t o, int64_t c) {
      return std::pair<const scalar_t*, const scalar_t*>(gys + (n * g.out_channels + o) * g.out[0] * g.out[1] * gy_w,
                                                         xps + (n * g.in_channels + c) * op.dp * op.hp * op.wp);
    };
    grad_weight_dispatch(planes, gw.data_ptr<scalar_t>(), g, op);
  });
}

}  // namespace oaconv::direct
