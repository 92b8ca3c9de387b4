#pragma once
// The spectral algorithms (kFft, kOverlapAdd) as a differentiable op.
#include "../conv_geometry.h"

#include <oaconv/algorithm.h>

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// Forward transforms the input tiles once and keeps their spectra for the weight gradient
// (when they fit the workspace limit), takes the kernel spectrum from the cache, and in
// backward transforms the grad-output once for both gradients.
at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g,
                  Algorithm algorithm);

}  // namespace oaconv::fft
