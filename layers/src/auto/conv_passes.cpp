#include "conv_passes.h"

#include "../aten_conv.h"
#include "../direct/direct_conv.h"
#include "../direct/direct_passes.h"
#include "../fft/spectral_conv.h"

#include <ATen/ATen.h>

#include <array>

namespace oaconv::autotune {
namespace {

bool is_spectral(Algorithm a) { return a == Algorithm::kFft || a == Algorithm::kOverlapAdd; }

// aten's backward on the explicitly padded input when the padding is asymmetric ("same" with
// an even kernel), as aten::conv2d does in forward.
std::tuple<at::Tensor, at::Tensor> aten_backward(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                                                 const ConvGeometry& g, bool want_gx, bool want_gw) {
  const std::array<int64_t, 2> stride{g.stride_h, g.stride_w}, dilation{g.dilation_h, g.dilation_w};
  const std::array<int64_t, 2> no_output_padding{0, 0};
  const bool symmetric = g.symmetric_padding();
  const at::Tensor input =
      symmetric ? x : at::constant_pad_nd(x, {g.pad_left, g.pad_right, g.pad_top, g.pad_bottom}, 0);
  const std::array<int64_t, 2> padding{symmetric ? g.pad_top : 0, symmetric ? g.pad_left : 0};
  auto [gx, gw, gb] = at::convolution_backward(gy, input, w, c10::nullopt, stride, padding, dilation, false,
                                               no_output_padding, g.groups, {want_gx, want_gw, false});
  if (want_gx && !symmetric) gx = gx.narrow(2, g.pad_top, g.in_h).narrow(3, g.pad_left, g.in_w).contiguous();
  return {gx, gw};
}

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
  return y;
}

at::Tensor run_grad_input(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g) {
  if (algorithm == Algorithm::kAten) return std::get<0>(aten_backward(gy, x, w, g, true, false));
  if (is_spectral(algorithm)) return fft::spectral_backward(g, algorithm, x, w, gy, true, false, {}, {}).gx;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kDirect);
  at::Tensor gx = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_input_out(gy.contiguous(), w.contiguous(), g, gx);
  return gx;
}

at::Tensor run_grad_weight(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                           const ConvGeometry& g) {
  if (algorithm == Algorithm::kAten) return std::get<1>(aten_backward(gy, x, w, g, false, true));
  if (is_spectral(algorithm)) return fft::spectral_backward(g, algorithm, x, w, gy, false, true, {}, {}).gw;
  TORCH_INTERNAL_ASSERT(algorithm == Algorithm::kDirect);
  at::Tensor gw = at::empty(w.sizes(), w.options().memory_format(at::MemoryFormat::Contiguous));
  direct::grad_weight_out(gy.contiguous(), x.contiguous(), g, gw);
  return gw;
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
