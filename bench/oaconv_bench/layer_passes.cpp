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
  TORCH_CHECK(algorithm != Algorithm::kAuto, "oaconv_bench: the cost model has no column for auto");
  const PassTimes m = shape.with_options(algorithm, [&](const auto& options) {
    return modelled_pass_seconds(shape.input_sizes(), shape.weight_sizes(), options, at::get_num_threads());
  });
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
  const auto tiling = [&](Algorithm a) {
    return shape.with_options(a, [&](const auto& options) {
      return spectral_tiling(shape.input_sizes(), shape.weight_sizes(), options, a);
    });
  };
  return tiling(Algorithm::kOverlapAdd) == tiling(Algorithm::kFft);
}

LayerPasses::LayerPasses(const LayerShape& s, Algorithm algorithm, Operation op)
    : op_(op), shape_(s), algorithm_(algorithm) {
  at::manual_seed(0);
  const bool x_grad = op != Operation::kGradWeight;
  const bool w_grad = op != Operation::kGradInput;
  x_ = at::randn(s.input_sizes()).requires_grad_(x_grad);
  w_ = (at::randn(s.weight_sizes()) * 0.05).requires_grad_(w_grad);
  b_ = at::randn({s.out_channels}).requires_grad_(w_grad);
  gy_ = at::randn(s.output_sizes());
}

void LayerPasses::prepare() {
  if (op_ == Operation::kGradInput || op_ == Operation::kGradWeight) y_ = shape_.run(x_, w_, b_, algorithm_);
}

void LayerPasses::run() {
  switch (op_) {
    case Operation::kForward: {
      y_ = shape_.run(x_, w_, b_, algorithm_);
      at::NoGradGuard no_grad;
      w_.add_(0.0);  // as in training, every forward follows a weight update
      break;
    }
    case Operation::kGradInput:
    case Operation::kGradWeight:
      y_.backward(gy_);
      break;
    case Operation::kForwardBackward: {
      shape_.run(x_, w_, b_, algorithm_).backward(gy_);
      at::NoGradGuard no_grad;
      w_.add_(0.0);  // an optimizer step: the weight's version changes
      break;
    }
  }
}

LayerPasses LayerPasses::with_algorithm(Algorithm algorithm) const {
  LayerPasses other = *this;
  other.algorithm_ = algorithm;
  other.y_ = at::Tensor();
  return other;
}

std::string LayerPasses::auto_choice() const {
  const PassAlgorithms a = shape_.with_options(Algorithm::kAuto, [&](const auto& options) {
    // auto remembers calls with a channels-last input or weight apart.
    const bool channels_last = x_.suggest_memory_format() != at::MemoryFormat::Contiguous ||
                               w_.suggest_memory_format() != at::MemoryFormat::Contiguous;
    return auto_pass_algorithms(x_.sizes(), w_.sizes(), options, x_.scalar_type(), channels_last).algorithms;
  });
  return to_string(a.forward) + "/" + to_string(a.grad_input) + "/" + to_string(a.grad_weight);
}

}  // namespace oaconv::bench
