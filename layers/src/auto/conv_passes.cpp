#include "conv_passes.h"

#include "../aten_conv.h"
#include "../direct/direct_conv.h"
#include "../direct/direct_passes.h"
#include "../fft/spectral_conv.h"
#include "../non_finite_fallback.h"

#include <ATen/ATen.h>

namespace oaconv::autotune {
namespace {

bool is_spectral(Algorithm a) { return a == Algorithm::kFft || a == Algorithm::kOverlapAdd; }

}  // namespace

const char* to_string(Pass pass) {
  switch (pass) {
    case Pass::kForward: return "forward";
    case Pass::kGradInput: return "grad_input";
    case Pass::kGradWeight: return "grad_weight";
  }
  return "?";
}

Algorithm candidate(int index) {
  static const Algorithm all[kCandidates] = {Algorithm::kAten, Algorithm::kDirect, Algorithm::kFft,
                                             Algorithm::kOverlapAdd};
  TORCH_INTERNAL_ASSERT(index >= 0 && index < kCandidates, "autotune::candidate: index ", index);
  return all[index];
}

int candidate_index(Algorithm algorithm) {
  for (int i = 0; i < kCandidates; ++i) {
    if (candidate(i) == algorithm) return i;
  }
  TORCH_INTERNAL_ASSERT(false, "autotune::candidate_index: ", oaconv::to_string(algorithm), " is not a candidate");
}

at::Tensor run_forward(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g) {
  if (algorithm == Algorithm::kAten) return aten::conv2d(x, w, bias, g);
  if (is_spectral(algorithm)) return fft::spectral_forward(g, algorithm, x, w, bias, false).y;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kDirect);
  at::Tensor y = at::empty({g.batch, g.out_channels, g.out_h, g.out_w}, x.options());
  direct::forward_out(x.contiguous(), w.contiguous(), bias.defined() ? bias.contiguous() : at::Tensor(), g, y);
  return finite_or_aten_forward(y, x, w, bias, g);
}

at::Tensor run_grad_input(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g) {
  if (algorithm == Algorithm::kAten) return aten::conv2d_backward(gy, x, w, g, true, false).gx.contiguous();
  if (is_spectral(algorithm)) return fft::spectral_backward(g, algorithm, x, w, gy, true, false, {}, {}).gx;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kDirect);
  at::Tensor gx = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_input_out(gy.contiguous(), w.contiguous(), g, gx);
  return finite_or_aten_grad_input(gx, gy, x, w, g);
}

at::Tensor run_grad_weight(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                           const ConvGeometry& g) {
  if (algorithm == Algorithm::kAten) return aten::conv2d_backward(gy, x, w, g, false, true).gw;
  if (is_spectral(algorithm)) return fft::spectral_backward(g, algorithm, x, w, gy, false, true, {}, {}).gw;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kDirect);
  at::Tensor gw = at::empty(w.sizes(), w.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_weight_out(gy.contiguous(), x.contiguous(), g, gw);
  return finite_or_aten_grad_weight(gw, gy, x, w, g);
}

void run_training_step(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g, const at::Tensor& gy) {
  at::Tensor y;
  if (algorithm == Algorithm::kAten) {
    y = aten::conv2d(x, w, bias, g);
  } else if (algorithm == Algorithm::kDirect) {
    y = direct::conv2d(x, w, bias, g);
  } else {
    y = fft::conv2d(x, w, bias, g, algorithm);
  }
  y.backward(gy);
}

}  // namespace oaconv::autotune
