#include "layer_passes.h"

#include <oaconv/autotune.h>
#include <oaconv/explain.h>
#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <vector>

namespace oaconv::bench {

const char* to_string(Operation op) {
  switch (op) {
    case Operation::kForward: return "forward";
    case Operation::kGradInput: return "grad_input";
    case Operation::kGradWeight: return "grad_weight";
    case Operation::kForwardBackward: return "fwd_bwd";
  }
  return "?";
}

double modelled_seconds(const LayerShape& shape, Algorithm algorithm, Operation op) {
  const PassTimes m = modelled_pass_seconds({shape.batch, shape.in_channels, shape.size, shape.size},
                                            {shape.out_channels, shape.in_channels / shape.groups, shape.kernel, shape.kernel},
                                            Conv2dFuncOptions().padding(shape.kernel / 2).groups(shape.groups),
                                            at::get_num_threads());
  TORCH_CHECK(algorithm != Algorithm::kAuto, "oaconv_bench: the cost model has no column for auto");
  const int c = algorithm == Algorithm::kAten ? 0 : algorithm == Algorithm::kDirect ? 1 : algorithm == Algorithm::kFft ? 2 : 3;
  switch (op) {
    case Operation::kForward: return m[0][c];
    case Operation::kGradInput: return m[1][c];
    case Operation::kGradWeight: return m[2][c];
    case Operation::kForwardBackward: return m[0][c] + m[1][c] + m[2][c];
  }
  return m[0][c];
}

bool overlap_add_runs_fft_code(const LayerShape& shape) {
  const std::vector<int64_t> input{shape.batch, shape.in_channels, shape.size, shape.size};
  const std::vector<int64_t> weight{shape.out_channels, shape.in_channels / shape.groups, shape.kernel, shape.kernel};
  const auto options = Conv2dFuncOptions().padding(shape.kernel / 2).groups(shape.groups);
  return spectral_tiling(input, weight, options, Algorithm::kOverlapAdd) ==
         spectral_tiling(input, weight, options, Algorithm::kFft);
}

LayerPasses::LayerPasses(const LayerShape& s, Algorithm algorithm, Operation op)
    : op_(op),
      options_(Conv2dFuncOptions().padding(s.kernel / 2).groups(s.groups).algorithm(algorithm)) {
  at::manual_seed(0);
  const bool x_grad = op != Operation::kGradWeight;
  const bool w_grad = op != Operation::kGradInput;
  x_ = at::randn({s.batch, s.in_channels, s.size, s.size}).requires_grad_(x_grad);
  w_ = (at::randn({s.out_channels, s.in_channels / s.groups, s.kernel, s.kernel}) * 0.05).requires_grad_(w_grad);
  b_ = at::randn({s.out_channels}).requires_grad_(w_grad);
  const int64_t out = s.size + 2 * (s.kernel / 2) - s.kernel + 1;
  gy_ = at::randn({s.batch, s.out_channels, out, out});
}

void LayerPasses::prepare() {
  if (op_ == Operation::kGradInput || op_ == Operation::kGradWeight) y_ = conv2d(x_, w_, b_, options_);
}

void LayerPasses::run() {
  switch (op_) {
    case Operation::kForward: {
      y_ = conv2d(x_, w_, b_, options_);
      at::NoGradGuard no_grad;
      w_.add_(0.0);  // as in training, every forward follows a weight update
      break;
    }
    case Operation::kGradInput:
    case Operation::kGradWeight:
      y_.backward(gy_);
      break;
    case Operation::kForwardBackward: {
      conv2d(x_, w_, b_, options_).backward(gy_);
      at::NoGradGuard no_grad;
      w_.add_(0.0);  // an optimizer step: the weight's version changes
      break;
    }
  }
}

LayerPasses LayerPasses::with_algorithm(Algorithm algorithm) const {
  LayerPasses other = *this;
  other.options_.algorithm(algorithm);
  other.y_ = at::Tensor();
  return other;
}

std::string LayerPasses::auto_choice() const {
  const PassAlgorithms a = auto_pass_algorithms(x_.sizes(), w_.sizes(), options_, x_.scalar_type()).algorithms;
  return to_string(a.forward) + "/" + to_string(a.grad_input) + "/" + to_string(a.grad_weight);
}

}  // namespace oaconv::bench
