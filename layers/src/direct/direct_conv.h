#pragma once
// The direct algorithm as a differentiable op.
#include "../conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::direct {

// x (N, C, H, W), w, bias (or undefined): the output, with an autograd node whose backward
// runs direct_grad_input / direct_grad_weight for the inputs that need a gradient.
at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g);

}  // namespace oaconv::direct
