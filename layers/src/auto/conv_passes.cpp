#include "conv_passes.h"

#include "../aten_conv.h"
#include "../conv_node.h"
#include "../memory_format_copy.h"

#include <ATen/ATen.h>

#include <tuple>

namespace oaconv::autotune {

static_assert(std::tuple_size<PassTimes::value_type>::value == kCandidates &&
                  std::tuple_size<StepTimes>::value == kCandidates,
              "autotune's time tables have one column per registered algorithm");

Algorithm candidate(int index) {
  TORCH_INTERNAL_ASSERT(index >= 0 && index < kCandidates, "autotune::candidate: index ", index);
  return algorithm_registry()[index].algorithm;
}

int candidate_index(Algorithm algorithm) {
  for (int i = 0; i < kCandidates; ++i) {
    if (candidate(i) == algorithm) return i;
  }
  TORCH_INTERNAL_ASSERT(false, "autotune::candidate_index: ", oaconv::to_string(algorithm), " is not a candidate");
}

at::Tensor run_forward(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g) {
  // In the layout oaconv's node gives the result (conv_node.cpp): a copy for a channels-last call.
  return in_memory_format(registry_entry(algorithm).forward(x, w, bias, g), aten::result_memory_format(x, w, g));
}

at::Tensor run_grad_input(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g) {
  return in_memory_format(registry_entry(algorithm).grad_input(gy, x, w, g), aten::result_memory_format(x, w, g));
}

at::Tensor run_grad_weight(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                           const ConvGeometry& g) {
  return registry_entry(algorithm).grad_weight(gy, x, w, g);
}

void run_training_step(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g, const at::Tensor& gy) {
  const at::Tensor y = algorithm == Algorithm::kAten
                           ? aten::convolution(x, w, bias, g)
                           : conv_with_pass_algorithms(x, w, bias, g, {algorithm, algorithm, algorithm});
  y.backward(gy);
}

}  // namespace oaconv::autotune
