#include "graph_backward.h"

#include "aten_conv.h"

#include <ATen/ATen.h>

namespace oaconv {

bool backward_records_graph() { return at::GradMode::is_enabled(); }

ConvGradients graph_conv_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                  const at::Tensor& weight, const ConvGeometry& g,
                                  bool want_input, bool want_weight, bool want_bias) {
  const aten::Gradients d = aten::conv2d_backward(grad_output, input, weight, g, want_input, want_weight);
  return {d.gx, d.gw, want_bias ? grad_output.sum({0, 2, 3}) : at::Tensor()};
}

}  // namespace oaconv
