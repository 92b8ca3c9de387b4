#include "graph_backward.h"

#include "aten_conv.h"

#include <ATen/ATen.h>

namespace oaconv {

bool backward_records_graph() { return at::GradMode::is_enabled(); }

ConvGradients graph_conv_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                  const at::Tensor& weight, const ConvGeometry& g,
                                  bool want_input, bool want_weight, bool want_bias) {
  const aten::Gradients d =
      g.transposed ? aten::conv_transpose_backward(grad_output, input, weight, g, want_input, want_weight)
                   : aten::convolution_backward(grad_output, input, weight, g, want_input, want_weight);
  return {d.gx, d.gw, want_bias ? bias_gradient(grad_output) : at::Tensor()};
}

}  // namespace oaconv
