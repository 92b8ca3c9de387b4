#include "conv_node.h"

#include "algorithm_registry.h"
#include "aten_conv.h"
#include "fft/spectral_conv.h"
#include "graph_backward.h"
#include "memory_format_copy.h"
#include "non_finite_fallback.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

namespace oaconv {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool is_spectral(Algorithm a) { return registry_entry(a).spectral; }

struct ConvNodeFunction : public torch::autograd::Function<ConvNodeFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                            const std::vector<int64_t>& geometry, const std::vector<int64_t>& algorithms,
                            bool weight_grad) {
    const ConvGeometry g = ConvGeometry::from_vector(geometry);
    const auto forward_algorithm = static_cast<Algorithm>(algorithms[0]);
    const bool has_bias = bias.numel() > 0;
    const at::Tensor b = has_bias ? bias : at::Tensor();
    at::Tensor y, kernel_spectrum, input_spectra;
    if (is_spectral(forward_algorithm)) {
      const bool keep = weight_grad && algorithms[2] == algorithms[0];
      fft::SpectralForward f = fft::spectral_forward(g, forward_algorithm, x, w, b, keep);
      y = f.y;
      if (algorithms[1] == algorithms[0]) kernel_spectrum = f.kernel_spectrum;
      input_spectra = f.input_spectra;
    } else {
      y = registry_entry(forward_algorithm).forward(x, w, b, g);
    }
    y = in_memory_format(y, aten::result_memory_format(x, w, g));
    ctx->save_for_backward({x, w});
    ctx->saved_data["geometry"] = geometry;
    ctx->saved_data["algorithms"] = algorithms;
    ctx->saved_data["has_bias"] = has_bias;
    ctx->saved_data["kernel_spectrum"] = kernel_spectrum;
    ctx->saved_data["input_spectra"] = input_spectra;
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
      return {d.grad_input, d.grad_weight, d.grad_bias, at::Tensor(), at::Tensor(), at::Tensor()};
    }
    const std::vector<int64_t> algorithms = ctx->saved_data["algorithms"].toIntVector();
    const auto gi = static_cast<Algorithm>(algorithms[1]), gwa = static_cast<Algorithm>(algorithms[2]);
    const bool want_gx = ctx->needs_input_grad(0), want_gw = ctx->needs_input_grad(1);
    // A channels-last grad-output stays so where a pass reads it as it comes (the other then
    // makes its own NCHW copy); else it is made NCHW once, for both.
    const at::ScalarType dtype = grad_outputs[0].scalar_type();
    const bool keep_layout = (want_gx && takes_channels_last(registry_entry(gi), g, dtype, ConvPass::kGradInput)) ||
                             (want_gw && takes_channels_last(registry_entry(gwa), g, dtype, ConvPass::kGradWeight));
    const at::Tensor gy = keep_layout ? grad_outputs[0] : contiguous_nchw(grad_outputs[0]);
    const at::Tensor kernel_spectrum = ctx->saved_data["kernel_spectrum"].toTensor();
    const at::Tensor input_spectra = ctx->saved_data["input_spectra"].toTensor();
    at::Tensor gx, gw, gb;
    if (want_gx && want_gw && gi == gwa && is_spectral(gi)) {
      fft::SpectralGradients both = fft::spectral_backward(g, gi, x, w, gy, true, true, kernel_spectrum, input_spectra);
      gx = both.gx;
      gw = both.gw;
    } else {
      if (want_gx) {
        gx = is_spectral(gi) ? fft::spectral_backward(g, gi, x, w, gy, true, false, kernel_spectrum, {}).gx
                             : registry_entry(gi).grad_input(gy, x, w, g);
      }
      if (want_gw) {
        gw = is_spectral(gwa) ? fft::spectral_backward(g, gwa, x, w, gy, false, true, {}, input_spectra).gw
                              : registry_entry(gwa).grad_weight(gy, x, w, g);
      }
    }
    if (gx.defined()) gx = in_memory_format(gx, aten::result_memory_format(x, w, g));
    if (want_gb) gb = bias_gradient(gy);
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// A transposed convolution: the adjoint convolution's passes re-assigned. Its forward is the
// adjoint's grad-input of the input, its grad-input the adjoint's forward of the grad-output,
// its grad-weight the adjoint's grad-weight with the two swapped (the input plays the adjoint's
// grad-output, the grad-output its input).
struct TransposedConvNodeFunction : public torch::autograd::Function<TransposedConvNodeFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& w, const at::Tensor& bias,
                            const std::vector<int64_t>& geometry, const std::vector<int64_t>& algorithms) {
    const ConvGeometry g = ConvGeometry::from_vector(geometry);
    const bool has_bias = bias.numel() > 0;
    // Non-finite values land where torch's transposed convolution puts them, which is not
    // always where the adjoint's passes put them: torch's also multiplies the inputs whose
    // every product falls in the cropped padding (a NaN there makes its weight gradient NaN;
    // mathematically it has no part in the output). So with any non-finite input, and for any
    // result that holds NaN or Inf (overflow), ATen's transposed convolution computes the pass.
    const bool finite_inputs = all_finite(input) && all_finite(w) && (!has_bias || all_finite(bias));
    at::Tensor y;
    if (finite_inputs) {
      // The adjoint's grad-input reads only the sizes of its input (never its values).
      const at::Tensor adjoint_input = at::empty(g.input_sizes(), input.options());
      y = registry_entry(static_cast<Algorithm>(algorithms[0])).grad_input(input, adjoint_input, w, g);
      if (has_bias) {
        std::vector<int64_t> per_channel(g.rank + 2, 1);
        per_channel[1] = g.in_channels;
        y.add_(bias.view(per_channel));
      }
    }
    if (!finite_inputs || !all_finite(y)) {
      y = aten::conv_transpose(input, w, has_bias ? bias : at::Tensor(), g).contiguous();
    }
    ctx->saved_data["finite_inputs"] = finite_inputs;
    ctx->save_for_backward({input, w});
    ctx->saved_data["geometry"] = geometry;
    ctx->saved_data["algorithms"] = algorithms;
    ctx->saved_data["has_bias"] = has_bias;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& w = saved[1];
    const ConvGeometry g = ConvGeometry::from_vector(ctx->saved_data["geometry"].toIntVector());
    const bool want_gb = ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2);
    if (backward_records_graph()) {
      ConvGradients d = graph_conv_backward(grad_outputs[0], input, w, g, ctx->needs_input_grad(0),
                                            ctx->needs_input_grad(1), want_gb);
      return {d.grad_input, d.grad_weight, d.grad_bias, at::Tensor(), at::Tensor()};
    }
    const std::vector<int64_t> algorithms = ctx->saved_data["algorithms"].toIntVector();
    const at::Tensor gy = contiguous_nchw(grad_outputs[0]);
    at::Tensor gx, gw, gb;
    const bool want_gx = ctx->needs_input_grad(0), want_gw = ctx->needs_input_grad(1);
    if (!ctx->saved_data["finite_inputs"].toBool() || !all_finite(gy)) {  // torch's pattern (forward's comment)
      const aten::Gradients d = aten::conv_transpose_backward(gy, input, w, g, want_gx, want_gw);
      gx = d.gx;
      gw = d.gw;
    } else {
      if (want_gx) {
        gx = registry_entry(static_cast<Algorithm>(algorithms[1])).forward(gy, w, at::Tensor(), g);
        if (!all_finite(gx)) gx = aten::conv_transpose_backward(gy, input, w, g, true, false).gx.contiguous();
      }
      if (want_gw) {
        gw = registry_entry(static_cast<Algorithm>(algorithms[2])).grad_weight(contiguous_nchw(input), gy, w, g);
        if (!all_finite(gw)) gw = aten::conv_transpose_backward(gy, input, w, g, false, true).gw.contiguous();
      }
    }
    if (want_gb) gb = bias_gradient(gy);
    return {gx, gw, gb, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor conv_with_pass_algorithms(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                                       const ConvGeometry& g, const PassAlgorithms& algorithms) {
  const at::Tensor b = bias.defined() ? bias : at::empty({0}, x.options());
  const bool weight_grad = at::GradMode::is_enabled() && w.requires_grad();
  const std::vector<int64_t> chosen{static_cast<int64_t>(algorithms.forward), static_cast<int64_t>(algorithms.grad_input),
                                    static_cast<int64_t>(algorithms.grad_weight)};
  return ConvNodeFunction::apply(x, w, b, g.to_vector(), chosen, weight_grad);
}

at::Tensor conv_transpose_with_pass_algorithms(const at::Tensor& input, const at::Tensor& w, const at::Tensor& bias,
                                               const ConvGeometry& g, const PassAlgorithms& algorithms) {
  TORCH_INTERNAL_ASSERT(g.transposed, "conv_transpose_with_pass_algorithms: the geometry is not transposed");
  const at::Tensor b = bias.defined() ? bias : at::empty({0}, input.options());
  const std::vector<int64_t> chosen{static_cast<int64_t>(algorithms.forward), static_cast<int64_t>(algorithms.grad_input),
                                    static_cast<int64_t>(algorithms.grad_weight)};
  return TransposedConvNodeFunction::apply(input, w, b, g.to_vector(), chosen);
}

}  // namespace oaconv
