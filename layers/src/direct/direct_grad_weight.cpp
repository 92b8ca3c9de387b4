// Grad-weight pass of the direct algorithm.
//
// gw[o, c, e, a, b] = sum_n sum_z sum_i sum_j gy[n, o, z, i, j] *
//                     xp[n, g*Cg + c, z*sd + e*dd, i*sh + a*dh, j*sw + b*dw]
//
// One task per (o, c) pair reduces over the batch and the whole output volume, so tasks never
// write the same element. Per output row, a SIMD vector of grad-output columns is loaded once
// and multiplied into all kd*kh*kw tap accumulators.
#include "correlate_padded.h"
#include "direct_passes.h"
#include "../simd_vec.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <vector>

namespace oaconv::direct {
namespace {

template <typename T, bool kUnitStride>
void grad_weight_kernel(const T* gy, const T* xp, T* gw, const ConvGeometry& g, int64_t dp, int64_t hp,
                        int64_t wp, int64_t gy_w) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int kLanes = S::kLanes;
  const int64_t cg = g.in_per_group();
  const int64_t og = g.out_per_group();
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  const int64_t out_rows = g.out[0] * g.out[1];

  at::parallel_for(0, g.out_channels * cg, 1, [&](int64_t begin, int64_t end) {
    std::vector<Vec> acc(taps);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / cg;
      const int64_t c = g.in_per_group() * (o / og) + task % cg;  // input channel (global)
      for (auto& v : acc) v = S::broadcast(T(0));
      for (int64_t n = 0; n < g.batch; ++n) {
        const T* gy_plane = gy + (n * g.out_channels + o) * out_rows * gy_w;
        const T* x_plane = xp + (n * g.in_channels + c) * dp * hp * wp;
        for (int64_t r = 0; r < out_rows; ++r) {  // output rows (z, i) of every slice
          const int64_t z = r / g.out[1], i = r % g.out[1];
          for (int64_t j0 = 0; j0 < g.out[2]; j0 += kLanes) {
            const Vec gv = S::load(gy_plane + r * gy_w + j0);  // zero beyond out_w
            Vec* acc_tap = acc.data();
            for (int64_t e = 0; e < g.kernel[0]; ++e) {
              for (int64_t a = 0; a < g.kernel[1]; ++a) {
                const T* xr = x_plane + ((z * g.stride[0] + e * g.dilation[0]) * hp + i * g.stride[1] + a * g.dilation[1]) * wp +
                              j0 * g.stride[2];
                for (int64_t b = 0; b < g.kernel[2]; ++b, ++acc_tap) {
                  const T* xb = xr + b * g.dilation[2];
                  *acc_tap += gv * (kUnitStride ? S::load(xb) : S::load_strided(xb, g.stride[2]));
                }
              }
            }
          }
        }
      }
      T* out = gw + task * taps;
      for (int64_t t = 0; t < taps; ++t) out[t] = S::sum(acc[t]);
    }
  });
}

}  // namespace

void grad_weight_out(const at::Tensor& gy, const at::Tensor& x, const ConvGeometry& g,
                     at::Tensor& gw) {
  const at::Tensor xp = pad_input(x, g);
  // Grad-output with its rows padded to whole SIMD vectors, the extra columns zero.
  const int64_t lanes = 64 / static_cast<int64_t>(gy.element_size());
  const int64_t gy_w = (g.out[2] + lanes - 1) / lanes * lanes;
  const at::Tensor gy_padded = at::constant_pad_nd(gy, {0, gy_w - g.out[2]}, 0).contiguous();
  TORCH_INTERNAL_ASSERT(gw.is_contiguous());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::direct::grad_weight", [&] {
    if (g.stride[2] == 1) {
      grad_weight_kernel<scalar_t, true>(gy_padded.data_ptr<scalar_t>(), xp.data_ptr<scalar_t>(),
                                         gw.data_ptr<scalar_t>(), g, xp.size(2), xp.size(3), xp.size(4), gy_w);
    } else {
      grad_weight_kernel<scalar_t, false>(gy_padded.data_ptr<scalar_t>(), xp.data_ptr<scalar_t>(),
                                          gw.data_ptr<scalar_t>(), g, xp.size(2), xp.size(3), xp.size(4), gy_w);
    }
  });
}

}  // namespace oaconv::direct
