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

bool always_takes_channels_last(const ConvGeometry&, at::ScalarType, ConvPass) { return true; }

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

bool direct_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype, ConvPass pass) {
  const ConvGeometry g3 = with_leading_unit_axes(g, kMaxSpatialRank);
  switch (pass) {
    case ConvPass::kForward: return direct::forward_takes_channels_last(g3, dtype);
    case ConvPass::kGradInput: return direct::grad_input_takes_channels_last(g3, dtype);
    case ConvPass::kGradWeight: return direct::grad_weight_takes_channels_last(g3, dtype);
  }
  return false;
}

// An operand of the direct passes at rank 3 (unit leading axes): packed NCDHW, or, where the
// pass takes channels-last, a packed channels-last tensor as it comes (a view with a unit depth).
at::Tensor direct_operand(const at::Tensor& t, const ConvGeometry& g, bool takes_channels_last) {
  if (takes_channels_last) {
    const at::Tensor t3 = unsqueeze_to_rank(t, g, kMaxSpatialRank);
    if (t3.is_contiguous(at::MemoryFormat::ChannelsLast3d)) return t3;
  }
  return unsqueeze_to_rank(contiguous_nchw(t), g, kMaxSpatialRank).contiguous();
}

// A densely packed result of the direct passes: in torch's layout for the call where the pass's
// kernels write any layout, else NCHW (made torch's by the caller).
at::Tensor direct_result(c10::IntArrayRef sizes, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g,
                         bool takes_channels_last) {
  return at::empty(sizes, x.options().memory_format(takes_channels_last ? aten::result_memory_format(x, w, g)
                                                                        : at::MemoryFormat::Contiguous));
}

// The direct loops write every element of a densely packed result (they run at rank 3: a 1-D or
// 2-D case on unit leading axes, written through a view of the result of the caller's rank —
// a result that is itself a view would forbid in-place ops on it under autograd); a result
// holding NaN or Inf is recomputed by aten (non_finite_fallback.h).
at::Tensor direct_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  const bool channels_last = direct_takes_channels_last(g, x.scalar_type(), ConvPass::kForward);
  const at::Tensor y = direct_result(g.output_sizes(), x, w, g, channels_last);
  at::Tensor y3 = unsqueeze_to_rank(y, g, kMaxSpatialRank);
  direct::forward_out(direct_operand(x, g, channels_last), unsqueeze_to_rank(w, g, kMaxSpatialRank).contiguous(),
                      bias.defined() ? bias.contiguous() : at::Tensor(), with_leading_unit_axes(g, kMaxSpatialRank), y3);
  return finite_or_aten_forward(y, x, w, bias, g);
}
at::Tensor direct_grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const bool channels_last = direct_takes_channels_last(g, gy.scalar_type(), ConvPass::kGradInput);
  const at::Tensor gx = direct_result(g.input_sizes(), x, w, g, channels_last);
  at::Tensor gx3 = unsqueeze_to_rank(gx, g, kMaxSpatialRank);
  direct::grad_input_out(direct_operand(gy, g, channels_last), unsqueeze_to_rank(w, g, kMaxSpatialRank).contiguous(),
                         with_leading_unit_axes(g, kMaxSpatialRank), gx3);
  return finite_or_aten_grad_input(gx, gy, x, w, g);
}
at::Tensor direct_grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const bool channels_last = direct_takes_channels_last(g, x.scalar_type(), ConvPass::kGradWeight);
  at::Tensor gw = at::empty(w.sizes(), w.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_weight_out(direct_operand(gy, g, channels_last), direct_operand(x, g, channels_last),
                          with_leading_unit_axes(g, kMaxSpatialRank), gw);
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
       autotune::aten_modelled_seconds, autotune::aten_pass_factors, always_takes_channels_last},
      {Algorithm::kDirect, direct_declines, direct_forward, direct_grad_input, direct_grad_weight, false,
       autotune::direct_modelled_seconds, nullptr, direct_takes_channels_last},
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

bool takes_channels_last(const AlgorithmEntry& e, const ConvGeometry& g, at::ScalarType dtype, ConvPass pass) {
  return e.takes_channels_last != nullptr && e.takes_channels_last(g, dtype, pass);
}

const AlgorithmEntry& registry_entry(Algorithm algorithm) {
  for (const AlgorithmEntry& e : algorithm_registry()) {
    if (e.algorithm == algorithm) return e;
  }
  TORCH_INTERNAL_ASSERT(false, "oaconv::registry_entry: ", to_string(algorithm), " is not a registered algorithm");
}

}  // namespace oaconv
