#include "algorithm_registry.h"

#include "aten_conv.h"
#include "auto/pass_model.h"
#include "direct/direct_passes.h"
#include "fft/spectral_conv.h"
#include "memory_format_copy.h"
#include "non_finite_fallback.h"
#include "winograd/winograd_conv.h"

#include <ATen/ATen.h>

namespace oaconv {
namespace {

const char* never_declines(const ConvGeometry&) { return nullptr; }

const char* direct_declines(const ConvGeometry& g) {
  if (direct::row_padding_is_excessive(g)) {
    return "direct: its SIMD rows would read whole vectors of outputs at this stride, a padded input many times "
           "the size of the input";
  }
  return nullptr;
}

at::Tensor aten_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  return aten::convolution(x, w, bias, g);
}
at::Tensor aten_grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  // Densely packed, in the layout ATen gives (channels-last for a channels-last 2-D call).
  return in_memory_format(aten::convolution_backward(gy, x, w, g, true, false).gx, aten::result_memory_format(x, w, g));
}
at::Tensor aten_grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  return aten::convolution_backward(gy, x, w, g, false, true).gw;
}

// The direct loops write every element of a contiguous result (they run at rank 3: a 1-D or
// 2-D case on unit leading axes, written through a view of the result of the caller's rank —
// a result that is itself a view would forbid in-place ops on it under autograd); a result
// holding NaN or Inf is recomputed by aten (non_finite_fallback.h).
at::Tensor direct_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  const ConvGeometry g3 = with_leading_unit_axes(g, kMaxSpatialRank);
  const at::Tensor y = at::empty(g.output_sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  at::Tensor y3 = unsqueeze_to_rank(y, g, kMaxSpatialRank);
  direct::forward_out(unsqueeze_to_rank(contiguous_nchw(x), g, kMaxSpatialRank).contiguous(),
                      unsqueeze_to_rank(w, g, kMaxSpatialRank).contiguous(),
                      bias.defined() ? bias.contiguous() : at::Tensor(), g3, y3);
  return finite_or_aten_forward(y, x, w, bias, g);
}
at::Tensor direct_grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const ConvGeometry g3 = with_leading_unit_axes(g, kMaxSpatialRank);
  const at::Tensor gx = at::empty(g.input_sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  at::Tensor gx3 = unsqueeze_to_rank(gx, g, kMaxSpatialRank);
  direct::grad_input_out(unsqueeze_to_rank(contiguous_nchw(gy), g, kMaxSpatialRank).contiguous(),
                         unsqueeze_to_rank(w, g, kMaxSpatialRank).contiguous(), g3, gx3);
  return finite_or_aten_grad_input(gx, gy, x, w, g);
}
at::Tensor direct_grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const ConvGeometry g3 = with_leading_unit_axes(g, kMaxSpatialRank);
  at::Tensor gw = at::empty(w.sizes(), w.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_weight_out(unsqueeze_to_rank(contiguous_nchw(gy), g, kMaxSpatialRank).contiguous(),
                          unsqueeze_to_rank(contiguous_nchw(x), g, kMaxSpatialRank).contiguous(), g3, gw);
  return finite_or_aten_grad_weight(gw, gy, x, w, g);
}

// The spectral passes alone (no spectra shared with another pass); fft::spectral_forward and
// spectral_backward do their own non-finite fallback.
template <Algorithm A>
at::Tensor spectral_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  return fft::spectral_forward(g, A, x, w, bias, false).y;
}
template <Algorithm A>
at::Tensor spectral_grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  return fft::spectral_backward(g, A, x, w, gy, true, false, {}, {}).gx;
}
template <Algorithm A>
at::Tensor spectral_grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  return fft::spectral_backward(g, A, x, w, gy, false, true, {}, {}).gw;
}

// Winograd's passes: a case it declines is aten's (a per-pass combination may name it for any
// case), and a result holding NaN or Inf is recomputed by aten (its transforms mix values: one
// Inf makes NaN of a whole tile).
at::Tensor winograd_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  if (winograd::declines(g) != nullptr) return aten_forward(x, w, bias, g);
  return finite_or_aten_forward(winograd::forward(contiguous_nchw(x), w, bias, g), x, w, bias, g);
}
at::Tensor winograd_grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  if (winograd::declines(g) != nullptr) return aten_grad_input(gy, x, w, g);
  return finite_or_aten_grad_input(winograd::grad_input(contiguous_nchw(gy), x, w, g), gy, x, w, g);
}
at::Tensor winograd_grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  if (winograd::declines(g) != nullptr) return aten_grad_weight(gy, x, w, g);
  return finite_or_aten_grad_weight(winograd::grad_weight(contiguous_nchw(gy), contiguous_nchw(x), w, g), gy, x, w, g);
}

}  // namespace

const std::array<AlgorithmEntry, kRegisteredAlgorithms>& algorithm_registry() {
  static const std::array<AlgorithmEntry, kRegisteredAlgorithms> entries{{
      {Algorithm::kAten, never_declines, aten_forward, aten_grad_input, aten_grad_weight, false,
       autotune::aten_modelled_seconds, autotune::aten_pass_factors},
      {Algorithm::kDirect, direct_declines, direct_forward, direct_grad_input, direct_grad_weight, false,
       autotune::direct_modelled_seconds},
      {Algorithm::kFft, never_declines, spectral_forward<Algorithm::kFft>, spectral_grad_input<Algorithm::kFft>,
       spectral_grad_weight<Algorithm::kFft>, true, autotune::fft_modelled_seconds},
      {Algorithm::kOverlapAdd, never_declines, spectral_forward<Algorithm::kOverlapAdd>,
       spectral_grad_input<Algorithm::kOverlapAdd>, spectral_grad_weight<Algorithm::kOverlapAdd>, true,
       autotune::oaa_modelled_seconds},
      {Algorithm::kWinograd, winograd::declines, winograd_forward, winograd_grad_input, winograd_grad_weight, false,
       winograd::modelled_pass_seconds},
  }};
  return entries;
}

const AlgorithmEntry& registry_entry(Algorithm algorithm) {
  for (const AlgorithmEntry& e : algorithm_registry()) {
    if (e.algorithm == algorithm) return e;
  }
  TORCH_INTERNAL_ASSERT(false, "oaconv::registry_entry: ", to_string(algorithm), " is not a registered algorithm");
}

}  // namespace oaconv
