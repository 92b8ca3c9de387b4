#include "graph_backward.h"

#include <ATen/ATen.h>

#include <array>

namespace oaconv {

bool backward_records_graph() { return at::GradMode::is_enabled(); }

ConvGradients graph_conv_backward(const at::Tensor& grad_output, const at::Tensor& input,
                                  const at::Tensor& weight, const ConvGeometry& g,
                                  bool want_input, bool want_weight, bool want_bias) {
  ConvGradients out;
  if (want_bias) out.grad_bias = grad_output.sum({0, 2, 3});
  if (!want_input && !want_weight) return out;
  // convolution_backward takes one padding per axis; "same" with an even dilated kernel pads
  // one more row/column at the bottom/right, so that case pads explicitly (constant_pad_nd is
  // differentiable) and crops the padded input's gradient back.
  const bool symmetric = g.symmetric_padding();
  const at::Tensor x =
      symmetric ? input : at::constant_pad_nd(input, {g.pad_left, g.pad_right, g.pad_top, g.pad_bottom}, 0);
  const std::array<int64_t, 2> stride{g.stride_h, g.stride_w};
  const std::array<int64_t, 2> dilation{g.dilation_h, g.dilation_w};
  const std::array<int64_t, 2> padding{symmetric ? g.pad_top : 0, symmetric ? g.pad_left : 0};
  const std::array<int64_t, 2> no_output_padding{0, 0};
  auto grads = at::convolution_backward(grad_output, x, weight, c10::nullopt, stride, padding, dilation,
                                        /*transposed=*/false, no_output_padding, g.groups,
                                        {want_input, want_weight, false});
  if (want_input) {
    out.grad_input = symmetric ? std::get<0>(grads)
                               : std::get<0>(grads).narrow(2, g.pad_top, g.in_h).narrow(3, g.pad_left, g.in_w);
  }
  if (want_weight) out.grad_weight = std::get<1>(grads);
  return out;
}

}  // namespace oaconv
