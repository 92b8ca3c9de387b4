#include "aten_conv.h"

#include <ATen/ATen.h>

#include <array>

namespace oaconv::aten {

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g) {
  const std::array<int64_t, 2> stride{g.stride_h, g.stride_w};
  const std::array<int64_t, 2> dilation{g.dilation_h, g.dilation_w};
  if (g.symmetric_padding()) {
    const std::array<int64_t, 2> padding{g.pad_top, g.pad_left};
    return at::conv2d(x, w, bias, stride, padding, dilation, g.groups);
  }
  // "same" with an even dilated kernel: the extra row/column goes bottom/right, as in torch.
  const at::Tensor padded = at::constant_pad_nd(x, {g.pad_left, g.pad_right, g.pad_top, g.pad_bottom}, 0);
  const std::array<int64_t, 2> no_padding{0, 0};
  return at::conv2d(padded, w, bias, stride, no_padding, dilation, g.groups);
}

}  // namespace oaconv::aten
