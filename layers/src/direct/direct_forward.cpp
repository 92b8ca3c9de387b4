// Forward pass of the direct algorithm: pad the input once, then one register-blocked
// correlation over (batch, output-channel block, output row, SIMD vector of columns).
#include "correlate_padded.h"
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
  const double rounded = std::ceil(static_cast<double>(g.out_w) / kLanes) * kLanes;
  const double need_w = (rounded - 1) * static_cast<double>(g.stride_w) +
                        static_cast<double>(g.kernel_w - 1) * static_cast<double>(g.dilation_w) + 1;
  return need_w > 4.0 * static_cast<double>(g.padded_w()) + 256;
}

at::Tensor pad_input(const at::Tensor& x, const ConvGeometry& g) {
  const int64_t need_w = required_padded_width(g.out_w, g.kernel_w, g.stride_w, g.dilation_w,
                                               x.scalar_type());
  const int64_t right = std::max(g.pad_right, need_w - g.in_w - g.pad_left);
  return at::constant_pad_nd(x, {g.pad_left, right, g.pad_top, g.pad_bottom}, 0).contiguous();
}

void forward_out(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                 const ConvGeometry& g, at::Tensor& y) {
  const at::Tensor xp = pad_input(x, g);
  const CorrelateShape shape{g.batch,     g.in_channels, g.out_channels, g.groups,
                             xp.size(2),  xp.size(3),    g.kernel_h,     g.kernel_w,
                             g.stride_h,  g.stride_w,    g.dilation_h,   g.dilation_w,
                             g.out_h,     g.out_w};
  correlate_padded_out(xp, w.contiguous(), bias, shape, y);
}

}  // namespace oaconv::direct
