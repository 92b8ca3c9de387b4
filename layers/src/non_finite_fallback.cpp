#include "non_finite_fallback.h"

#include "aten_conv.h"

#include <ATen/ATen.h>

#include <cmath>

namespace oaconv {

bool all_finite(const at::Tensor& t) { return std::isfinite(t.sum().item<double>()); }

at::Tensor finite_or_aten_forward(at::Tensor y, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                                  const ConvGeometry& g) {
  if (all_finite(y)) return y;
  return aten::convolution(x, w, bias, g).contiguous();
}

at::Tensor finite_or_aten_grad_input(at::Tensor gx, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                                     const ConvGeometry& g) {
  if (all_finite(gx)) return gx;
  return aten::convolution_backward(gy, x, w, g, true, false).gx.contiguous();
}

at::Tensor finite_or_aten_grad_weight(at::Tensor gw, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                                      const ConvGeometry& g) {
  if (all_finite(gw)) return gw;
  return aten::convolution_backward(gy, x, w, g, false, true).gw.contiguous();
}

}  // namespace oaconv
