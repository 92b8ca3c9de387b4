#include "spectral_conv.h"

#include "kernel_spectrum_cache.h"
#include "overlap_add_passes.h"

#include <oaconv/profiling.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

namespace oaconv::fft {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

SpectralProblem problem_for(const std::vector<int64_t>& geometry, int64_t algorithm, c10::ScalarType dtype) {
  return make_spectral_problem(ConvGeometry::from_vector(geometry), static_cast<Algorithm>(algorithm), dtype,
                               at::get_num_threads());
}

struct SpectralConv2dFunction : public torch::autograd::Function<SpectralConv2dFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                            const std::vector<int64_t>& geometry, int64_t algorithm, bool weight_grad) {
    const SpectralProblem p = problem_for(geometry, algorithm, x.scalar_type());
    const ConvGeometry& g = p.g;
    const at::Tensor xc = x.contiguous();
    const bool has_bias = bias.numel() > 0;
    at::Tensor y = at::empty({g.batch, g.out_channels, g.out_h, g.out_w}, x.options());
    const at::Tensor kernel_spectrum = KernelSpectrumCache::instance().get(p, w);

    // Input spectra are kept for the weight gradient only if they fit the workspace limit.
    const bool keep_spectra = weight_grad && p.input_spectrum_bytes_per_item() * g.batch <= workspace_limit();
    const int64_t chunk = p.batch_chunk(workspace_limit());
    std::vector<at::Tensor> input_spectra;
    for (int64_t n0 = 0; n0 < g.batch; n0 += chunk) {
      const int64_t n = std::min(chunk, g.batch - n0);
      at::Tensor y_chunk = y.narrow(0, n0, n);
      const at::Tensor x_spectrum = transform_input(p, xc.narrow(0, n0, n));
      forward_chunk(p, x_spectrum, kernel_spectrum, has_bias ? bias.contiguous() : at::Tensor(), y_chunk);
      if (keep_spectra) input_spectra.push_back(x_spectrum);
    }
    ctx->save_for_backward({x, w});
    ctx->saved_data["geometry"] = geometry;
    ctx->saved_data["algorithm"] = algorithm;
    ctx->saved_data["has_bias"] = has_bias;
    ctx->saved_data["chunk"] = chunk;
    ctx->saved_data["kernel_spectrum"] = kernel_spectrum;
    ctx->saved_data["input_spectra"] = input_spectra;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor x = saved[0].contiguous();
    const at::Tensor& w = saved[1];
    const SpectralProblem p = problem_for(ctx->saved_data["geometry"].toIntVector(),
                                          ctx->saved_data["algorithm"].toInt(), x.scalar_type());
    const ConvGeometry& g = p.g;
    const at::Tensor gy = grad_outputs[0].contiguous();
    const at::Tensor kernel_spectrum = ctx->saved_data["kernel_spectrum"].toTensor();
    const auto input_spectra = ctx->saved_data["input_spectra"].toTensorVector();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const bool want_gx = ctx->needs_input_grad(0), want_gw = ctx->needs_input_grad(1);

    at::Tensor gx, gw, gb;
    if (want_gx) gx = at::empty_like(x, at::MemoryFormat::Contiguous);
    if (want_gw) gw = at::zeros_like(w, at::MemoryFormat::Contiguous);
    if (want_gx || want_gw) {
      int64_t chunk_index = 0;
      for (int64_t n0 = 0; n0 < g.batch; n0 += chunk, ++chunk_index) {
        const int64_t n = std::min(chunk, g.batch - n0);
        // One transform of the grad-output serves both gradients.
        const at::Tensor gy_spectrum = transform_grad_output(p, gy.narrow(0, n0, n));
        if (want_gx) {
          at::Tensor gx_chunk = gx.narrow(0, n0, n);
          grad_input_chunk(p, gy_spectrum, kernel_spectrum, gx_chunk);
        }
        if (want_gw) {
          const at::Tensor x_spectrum = input_spectra.empty() ? transform_input(p, x.narrow(0, n0, n))
                                                              : input_spectra[chunk_index];
          grad_weight_chunk(p, gy_spectrum, x_spectrum, /*accumulate=*/chunk_index > 0, gw);
        }
      }
    }
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = gy.sum({0, 2, 3});
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g,
                  Algorithm algorithm) {
  // LibTorch 1.13's custom functions cannot take an undefined tensor: "no bias" is empty.
  const at::Tensor b = bias.defined() ? bias : at::empty({0}, x.options());
  // Inside forward, grad mode is off: whether the weight will want a gradient is decided here.
  const bool weight_grad = at::GradMode::is_enabled() && w.requires_grad();
  return SpectralConv2dFunction::apply(x, w, b, g.to_vector(), static_cast<int64_t>(algorithm), weight_grad);
}

}  // namespace oaconv::fft
