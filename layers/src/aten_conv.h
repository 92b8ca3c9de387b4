#pragma once
// The `aten` algorithm: ATen's convolution and its own autograd (oneDNN on CPU, cuDNN on GPU),
// and ATen's convolution_backward for the gradient passes on their own, for any rank.
#include "conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::aten {

// y = bias + x ⋆ w for the convolution g describes (for a transposed g, its adjoint
// convolution: x has g.input_sizes()).
at::Tensor convolution(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g);

struct Gradients {
  at::Tensor gx, gw;  // undefined where not wanted
};
// d loss / d x and d loss / d w of that convolution for gy = d loss / d y, by ATen's
// convolution_backward. It is differentiable (its derivative is convolution's double
// backward), so it also serves a backward that records a graph.
Gradients convolution_backward(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g,
                               bool want_gx, bool want_gw);

// The memory format of ATen's output and grad-input for the convolution g describes, which
// every algorithm's results are given so that they match torch's in strides as well as values:
// LibTorch 1.13 on CPU (oneDNN's rule, and its slow paths') makes them channels-last for a 2-D
// convolution whose input or weight suggests channels-last, contiguous for every other rank and
// for transposed convolutions.
at::MemoryFormat result_memory_format(const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g);

// The transposed convolution a transposed g describes, on its own input (g.output_sizes()),
// and its gradients: ATen's transposed convolution, exactly as torch's conv_transpose.
at::Tensor conv_transpose(const at::Tensor& input, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g);
Gradients conv_transpose_backward(const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& w,
                                  const ConvGeometry& g, bool want_gx, bool want_gw);

}  // namespace oaconv::aten
