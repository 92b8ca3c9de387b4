#pragma once
// The `aten` algorithm: torch::conv2d and its own autograd (oneDNN on CPU, cuDNN on GPU).
#include "conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::aten {

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g);

}  // namespace oaconv::aten
