#pragma once
// The backward of a convolution when autograd records a graph of it (create_graph=true, as in
// gradient penalties, double backward, Hessian-vector products). oaconv's own passes write
// into plain tensors with no history, so their results would silently drop every path through
// the backward and give wrong second derivatives. Instead, such a backward is computed by
// ATen's convolution_backward, which is itself differentiable (its derivative is convolution's
// double backward), so derivatives of every order are exact.
#include "conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv {

struct ConvGradients {
  at::Tensor grad_input, grad_weight, grad_bias;  // undefined where not wanted
};

// True inside a backward when autograd is recording its graph (GradMode is on in a backward
// exactly when create_graph was asked for).
bool backward_records_graph();

// d(loss)/d(input, weight, bias) of `g`'s convolution for the output gradient `grad_output`,
// as differentiable functions of grad_output, input and weight (for a transposed `g`, of the
// transposed convolution: input is its input, grad_output the gradient of its output).
ConvGradients graph_conv_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                  const at::Tensor& weight, const ConvGeometry& g,
                                  bool want_input, bool want_weight, bool want_bias);

}  // namespace oaconv
