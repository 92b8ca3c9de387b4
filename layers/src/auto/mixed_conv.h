#pragma once
// A differentiable convolution whose forward, grad-input and grad-weight passes each run with
// their own algorithm (what `auto` picks per pass). Spectral work is shared where two passes
// use the same spectral algorithm: forward's kernel spectrum serves grad-input, forward's input
// spectra serve grad-weight, and one grad-output transform serves both gradients.
#include "../conv_geometry.h"

#include <oaconv/autotune.h>

#include <ATen/core/Tensor.h>

namespace oaconv::autotune {

at::Tensor mixed_conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g,
                        const PassAlgorithms& algorithms);

}  // namespace oaconv::autotune
