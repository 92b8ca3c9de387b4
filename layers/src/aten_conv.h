#pragma once
// The `aten` algorithm: torch::conv2d and its own autograd (oneDNN on CPU, cuDNN on GPU), and
// ATen's convolution_backward for the gradient passes on their own.
#include "conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::aten {

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g);

struct Gradients {
  at::Tensor gx, gw;  // undefined where not wanted
};
// d loss / d x and d loss / d w for gy = d loss / d y, by ATen's convolution_backward. It is
// differentiable (its derivative is convolution's double backward), so it also serves a
// backward that records a graph.
Gradients conv2d_backward(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g, bool want_gx, bool want_gw);

}  // namespace oaconv::aten
