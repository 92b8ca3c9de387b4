#pragma once
// The one autograd node of oaconv's own algorithms: a differentiable convolution whose forward,
// grad-input and grad-weight passes each run with their own registered algorithm (the same one
// for all three when a layer asks for one; `auto`'s pick per pass otherwise). Spectral work is
// shared where two passes use the same spectral algorithm: forward's kernel spectrum serves
// grad-input, forward's input spectra serve grad-weight, and one grad-output transform serves
// both gradients. aten keeps its own autograd.
#include "conv_geometry.h"

#include <oaconv/autotune.h>

#include <ATen/core/Tensor.h>

namespace oaconv {

at::Tensor conv_with_pass_algorithms(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                                     const ConvGeometry& g, const PassAlgorithms& algorithms);

// A transposed convolution (g.transposed) on its input, `algorithms` naming the algorithm of
// each of its own passes (its forward runs the adjoint convolution's grad-input pass, and so on:
// conv_geometry.h).
at::Tensor conv_transpose_with_pass_algorithms(const at::Tensor& input, const at::Tensor& w, const at::Tensor& bias,
                                               const ConvGeometry& g, const PassAlgorithms& algorithms);

}  // namespace oaconv
