// Grad-input pass of the direct algorithm.
//
// gx[c, h] = sum_o sum_a gy[o, (h + pt - a*dh) / sh] * w[o, c, a]   (per axis; only where the
// division is exact and in range). Insert s - 1 zeros between grad-output samples along each
// axis, pad by (k - 1) * d minus the forward padding, and this is a stride-1 correlation with
// the kernel flipped in every axis and its in/out channels swapped (per group): the same
// spatial kernel as the forward pass, producing exactly D x H x W values.
#include "correlate_padded.h"
#include "depthwise_blocked.h"
#include "direct_passes.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <tuple>

namespace oaconv::direct {
namespace {

// Index range [first, last) of grad-output rows i with 0 <= offset + i*stride < extent.
std::pair<int64_t, int64_t> placed_range(int64_t count, int64_t offset, int64_t stride, int64_t extent) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = offset >= extent ? 0 : std::min<int64_t>(count, (extent - 1 - offset) / stride + 1);
  return {first, std::max(first, last)};
}

}  // namespace

void grad_input_out(const at::Tensor& gy, const at::Tensor& w, const ConvGeometry& g,
                    at::Tensor& gx) {
  TORCH_INTERNAL_ASSERT(g.rank == 3 && gy.dim() == 5);
  // Zero-inserted, padded grad-output: per axis the input size + (k-1)*d, the columns enough for
  // whole vectors.
  std::array<int64_t, 3> extent{}, offset{}, first{}, last{};
  for (int a = 0; a < 3; ++a) {
    extent[a] = g.in[a] + (g.kernel[a] - 1) * g.dilation[a];
    offset[a] = (g.kernel[a] - 1) * g.dilation[a] - g.pad_before[a];
    std::tie(first[a], last[a]) = placed_range(g.out[a], offset[a], g.stride[a], extent[a]);
  }
  const int64_t cols =
      std::max(extent[2], required_padded_width(g.in[2], g.kernel[2], 1, g.dilation[2], gy.scalar_type()));
  const int64_t og = g.out_per_group();
  const int64_t cg = g.in_per_group();
  // Per group: w (G, Og, Cg, k...) -> (G, Cg, Og, k...), flipped -> (C, Og, k...).
  const at::Tensor w_t = w.reshape({g.groups, og, cg, g.kernel[0], g.kernel[1], g.kernel[2]})
                             .transpose(1, 2)
                             .flip({3, 4, 5})
                             .reshape({g.in_channels, og, g.kernel[0], g.kernel[1], g.kernel[2]})
                             .contiguous();
  const CorrelateShape shape{g.batch,       g.out_channels, g.in_channels, g.groups,      extent[0],
                             extent[1],     cols,           g.kernel[0],   g.kernel[1],   g.kernel[2],
                             1,             1,              1,             g.dilation[0], g.dilation[1],
                             g.dilation[2], g.in[0],        g.in[1],       g.in[2]};
  if (cg == 1 || depthwise_blocked_applies(shape, gy.scalar_type())) {
    // One input channel per group (depthwise), or groups of 2-4 channels in the channel-blocked
    // kernel: each task places its own grad-output planes, zeros inserted, into its buffer
    // (placed_planes.h) instead of the whole spread tensor.
    const PlacedAxis axes[3] = {{g.out[0], offset[0], g.stride[0], extent[0]},
                                {g.out[1], offset[1], g.stride[1], extent[1]},
                                {g.out[2], offset[2], g.stride[2], cols}};
    correlate_placed_out(gy.contiguous(), axes, w_t, at::Tensor(), shape, gx);
    return;
  }
  at::Tensor spread = at::zeros({g.batch, g.out_channels, extent[0], extent[1], cols}, gy.options());
  if (last[0] > first[0] && last[1] > first[1] && last[2] > first[2]) {
    at::Tensor target = spread, source = gy;
    for (int a = 0; a < 3; ++a) {
      target = target.slice(2 + a, offset[a] + first[a] * g.stride[a], offset[a] + (last[a] - 1) * g.stride[a] + 1,
                            g.stride[a]);
      source = source.slice(2 + a, first[a], last[a]);
    }
    target.copy_(source);
  }

  correlate_padded_out(spread, w_t, at::Tensor(), shape, gx);
}

}  // namespace oaconv::direct
