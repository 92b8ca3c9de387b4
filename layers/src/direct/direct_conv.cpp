// Autograd glue of the direct algorithm: saves the input and weight, and in backward computes
// only the gradients autograd asks for.
#include "direct_conv.h"

#include "direct_passes.h"
#include "../graph_backward.h"
#include "../non_finite_fallback.h"

#include <torch/autograd.h>

namespace oaconv::direct {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct DirectConv2dFunction : public torch::autograd::Function<DirectConv2dFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const at::Tensor& bias, const std::vector<int64_t>& geometry) {
    const ConvGeometry g = ConvGeometry::from_vector(geometry);
    at::Tensor y = at::empty({g.batch, g.out_channels, g.out_h, g.out_w}, x.options());
    const bool has_bias = bias.numel() > 0;
    forward_out(x, w, has_bias ? bias : at::Tensor(), g, y);
    y = finite_or_aten_forward(y, x, w, has_bias ? bias : at::Tensor(), g);
    ctx->save_for_backward({x, w});
    ctx->saved_data["geometry"] = geometry;
    ctx->saved_data["has_bias"] = has_bias;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const ConvGeometry g = ConvGeometry::from_vector(ctx->saved_data["geometry"].toIntVector());
    const bool want_gb = ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2);
    if (backward_records_graph()) {
      ConvGradients d = graph_conv_backward(grad_outputs[0], x, w, g, ctx->needs_input_grad(0),
                                            ctx->needs_input_grad(1), want_gb);
      return {d.grad_input, d.grad_weight, d.grad_bias, at::Tensor()};
    }
    const at::Tensor gy = grad_outputs[0].contiguous();
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {
      gx = at::empty_like(x, at::MemoryFormat::Contiguous);
      grad_input_out(gy, w, g, gx);
      gx = finite_or_aten_grad_input(gx, gy, x, w, g);
    }
    if (ctx->needs_input_grad(1)) {
      gw = at::empty_like(w, at::MemoryFormat::Contiguous);
      grad_weight_out(gy, x, g, gw);
      gw = finite_or_aten_grad_weight(gw, gy, x, w, g);
    }
    if (want_gb) gb = gy.sum({0, 2, 3});
    return {gx, gw, gb, at::Tensor()};
  }
};

}  // namespace

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g) {
  // LibTorch 1.13's custom functions cannot take an undefined tensor: "no bias" travels as an
  // empty one.
  const at::Tensor b = bias.defined() ? bias : at::empty({0}, x.options());
  return DirectConv2dFunction::apply(x.contiguous(), w.contiguous(), b, g.to_vector());
}

}  // namespace oaconv::direct
