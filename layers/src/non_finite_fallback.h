#pragma once
// NaN and Inf land where torch puts them, whatever the algorithm.
//
// A spectral result mixes every value of a tile (with fft, of the whole image): one NaN or Inf
// in an input, weight or grad-output, or a sum that overflows inside a transform, turns the
// whole tile into NaN, where a spatial convolution makes non-finite only the outputs whose
// window holds it, and keeps Inf as Inf. The direct loops are spatial but multiply the zero
// padding too (0 · Inf = NaN), which oneDNN does not do in float32 and ATen's im2col does in
// float64: torch's own pattern depends on its backend. So a pass of ours whose result holds any
// non-finite value is recomputed by ATen, which by construction gives torch's pattern. Finite
// results cost one vectorised sum over them (any NaN or Inf makes the sum non-finite; a finite
// sum that overflows only costs a needless recomputation).
#include "conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv {

// False when `t` holds a NaN or an Inf (or its finite values sum past the type's range).
bool all_finite(const at::Tensor& t);

// The pass's result `y`/`gx`/`gw` when all finite, else the same pass computed by ATen.
at::Tensor finite_or_aten_forward(at::Tensor y, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                                  const ConvGeometry& g);
at::Tensor finite_or_aten_grad_input(at::Tensor gx, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                                     const ConvGeometry& g);
at::Tensor finite_or_aten_grad_weight(at::Tensor gw, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                                      const ConvGeometry& g);

}  // namespace oaconv
