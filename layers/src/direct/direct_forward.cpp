// Forward pass of the direct algorithm: pad the input once, then one register-blocked
// correlation over (batch, output-channel block, output row, SIMD vector of columns). The
// geometry and tensors are rank 3 (see direct_passes.h).
#include "channel_layout.h"
#include "correlate_padded.h"
#include "depthwise_blocked.h"
#include "direct_passes.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace oaconv::direct {

bool row_padding_is_excessive(const ConvGeometry& g) {
  // float32 has the most lanes per vector, so the widest rows; four times the padded width
  // (plus a few vectors for tiny images) leaves every ordinary stride alone.
  // In double: with a stride near 2^62 the width itself would overflow int64.
  constexpr double kLanes = 64 / sizeof(float);
  const int w = static_cast<int>(g.rank) - 1;  // the column axis
  const double rounded = std::ceil(static_cast<double>(g.out[w]) / kLanes) * kLanes;
  const double need_w = (rounded - 1) * static_cast<double>(g.stride[w]) +
                        static_cast<double>(g.kernel[w] - 1) * static_cast<double>(g.dilation[w]) + 1;
  return need_w > 4.0 * static_cast<double>(g.padded(w)) + 256;
}

at::Tensor pad_input(const at::Tensor& x, const ConvGeometry& g) {
  TORCH_INTERNAL_ASSERT(g.rank == 3 && x.dim() == 5);
  const int64_t need_w = required_padded_width(g.out[2], g.kernel[2], g.stride[2], g.dilation[2],
                                               x.scalar_type());
  const int64_t right = std::max(g.pad_after[2], need_w - g.in[2] - g.pad_before[2]);
  return at::constant_pad_nd(x, {g.pad_before[2], right, g.pad_before[1], g.pad_after[1], g.pad_before[0],
                                 g.pad_after[0]},
                             0)
      .contiguous();
}

CorrelateShape correlate_shape(const ConvGeometry& g, const at::Tensor& xp) {
  const bool padded = xp.defined();
  return CorrelateShape{g.batch,       g.in_channels, g.out_channels, g.groups,      padded ? xp.size(2) : 0,
                        padded ? xp.size(3) : 0,    padded ? xp.size(4) : 0,    g.kernel[0],    g.kernel[1],   g.kernel[2],
                        g.stride[0],   g.stride[1],   g.stride[2],    g.dilation[0], g.dilation[1],
                        g.dilation[2], g.out[0],      g.out[1],       g.out[2]};
}

bool forward_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype) {
  return depthwise_blocked_applies(correlate_shape(g, at::Tensor()), dtype);
}

void forward_out(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                 const ConvGeometry& g, at::Tensor& y) {
  const bool blocked = forward_takes_channels_last(g, x.scalar_type());
  TORCH_INTERNAL_ASSERT(blocked ? packed_nchw_or_channels_last(y) : y.is_contiguous());
  if (g.out_channels == g.groups || blocked) {
    // One output channel per group, or groups of 2-4 channels in the channel-blocked kernel:
    // each task pads its own planes (placed_planes.h). Per axis
    // the rows the correlation reads, (out - 1) * s + (k - 1) * d + 1, the columns rounded up
    // to whole vectors of output columns.
    PlacedAxis axes[3];
    forward_input_axes(g, axes);
    axes[2].padded = required_padded_width(g.out[2], g.kernel[2], g.stride[2], g.dilation[2], x.scalar_type());
    CorrelateShape shape = correlate_shape(g, at::Tensor());
    shape.padded_d = axes[0].padded, shape.padded_h = axes[1].padded, shape.padded_w = axes[2].padded;
    const bool as_it_is = blocked ? packed_nchw_or_channels_last(x) : x.is_contiguous();
    correlate_placed_out(as_it_is ? x : x.contiguous(), axes, w.contiguous(), bias, shape, y);
    return;
  }
  const at::Tensor xp = pad_input(x, g);
  correlate_padded_out(xp, w.contiguous(), bias, correlate_shape(g, xp), y);
}

}  // namespace oaconv::direct
