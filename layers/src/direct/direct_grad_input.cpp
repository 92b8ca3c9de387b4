// Grad-input pass of the direct algorithm.
//
// gx[c, h] = sum_o sum_a gy[o, (h + pt - a*dh) / sh] * w[o, c, a]   (only where the division is
// exact and in range). Insert sh - 1 zeros between grad-output rows (sw - 1 between columns),
// pad by (k - 1) * d minus the forward padding, and this is a stride-1 correlation with the
// kernel flipped in both axes and its in/out channels swapped (per group): the same spatial
// kernel as the forward pass, producing exactly H x W values.
#include "correlate_padded.h"
#include "direct_passes.h"

#include <ATen/ATen.h>

#include <algorithm>

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
  // Zero-inserted, padded grad-output: rows H + (kh-1)*dh, columns enough for whole vectors.
  const int64_t rows = g.in[0] + (g.kernel[0] - 1) * g.dilation[0];
  const int64_t cols = std::max(g.in[1] + (g.kernel[1] - 1) * g.dilation[1],
                                required_padded_width(g.in[1], g.kernel[1], 1, g.dilation[1], gy.scalar_type()));
  at::Tensor spread = at::zeros({g.batch, g.out_channels, rows, cols}, gy.options());
  const int64_t top = (g.kernel[0] - 1) * g.dilation[0] - g.pad_before[0];
  const int64_t left = (g.kernel[1] - 1) * g.dilation[1] - g.pad_before[1];
  const auto [i0, i1] = placed_range(g.out[0], top, g.stride[0], rows);
  const auto [j0, j1] = placed_range(g.out[1], left, g.stride[1], g.in[1] + (g.kernel[1] - 1) * g.dilation[1]);
  if (i1 > i0 && j1 > j0) {
    spread.slice(2, top + i0 * g.stride[0], top + (i1 - 1) * g.stride[0] + 1, g.stride[0])
        .slice(3, left + j0 * g.stride[1], left + (j1 - 1) * g.stride[1] + 1, g.stride[1])
        .copy_(gy.slice(2, i0, i1).slice(3, j0, j1));
  }

  // Per group: w (G, Og, Cg, kh, kw) -> (G, Cg, Og, kh, kw), flipped -> (C, Og, kh, kw).
  const int64_t og = g.out_per_group();
  const int64_t cg = g.in_per_group();
  const at::Tensor w_t = w.reshape({g.groups, og, cg, g.kernel[0], g.kernel[1]})
                             .transpose(1, 2)
                             .flip({3, 4})
                             .reshape({g.in_channels, og, g.kernel[0], g.kernel[1]})
                             .contiguous();
  const CorrelateShape shape{g.batch, g.out_channels, g.in_channels, g.groups,
                             rows,    cols,           g.kernel[0],    g.kernel[1],
                             1,       1,              g.dilation[0],  g.dilation[1],
                             g.in[0],  g.in[1]};
  correlate_padded_out(spread, w_t, at::Tensor(), shape, gx);
}

}  // namespace oaconv::direct
