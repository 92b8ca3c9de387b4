// oaconv::conv2d: validate, resolve the algorithm, run it.
#include <oaconv/functional.h>

#include "algorithm_choice.h"
#include "algorithm_registry.h"
#include "auto/autotuner.h"
#include "aten_conv.h"
#include "conv_geometry.h"
#include "conv_node.h"

#include <ATen/ATen.h>

namespace oaconv {
namespace {

at::Tensor run_batched(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                       const Conv2dFuncOptions& options) {
  const ConvGeometry g = make_conv_geometry(input, weight, bias, options);
  PassAlgorithms chosen;
  if (options.algorithm() == Algorithm::kAuto && ours_can_run(g, input.scalar_type(), input.device())) {
    // auto on a case our algorithms can run: one algorithm per pass, measured once per shape.
    // (Not resolve_algorithm(kAuto) first: its cost model made auto 15-20 us a call slower than
    // aten on a 0.5 ms k = 1 layer step, 3-4 %.)
    chosen = autotune::choose_for_call(g, input, weight, bias);
    // A choice loaded from a cache file is not trusted to respect what each algorithm runs.
    for (Algorithm* pass : {&chosen.forward, &chosen.grad_input, &chosen.grad_weight}) {
      if (registry_entry(*pass).declines(g) != nullptr) *pass = Algorithm::kAten;
    }
  } else {
    const Algorithm a = resolve_algorithm(options.algorithm(), g, input.scalar_type(), input.device());
    chosen = PassAlgorithms{a, a, a};
  }
  TORCH_INTERNAL_ASSERT(chosen.forward != Algorithm::kAuto && chosen.grad_input != Algorithm::kAuto &&
                            chosen.grad_weight != Algorithm::kAuto,
                        "oaconv::conv2d: kAuto was not resolved");
  // aten alone keeps ATen's own autograd; anything else runs in oaconv's one node.
  const bool all_aten = chosen.forward == Algorithm::kAten && chosen.grad_input == Algorithm::kAten &&
                        chosen.grad_weight == Algorithm::kAten;
  if (all_aten) return aten::conv2d(input, weight, bias, g);
  return conv2d_with_pass_algorithms(input, weight, bias, g, chosen);
}

}  // namespace

at::Tensor conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  const Conv2dFuncOptions& options) {
  TORCH_CHECK(input.defined(), "oaconv::conv2d: the input is an undefined tensor");
  if (input.dim() == 3) {  // unbatched (C, H, W), as torch::conv2d accepts
    return run_batched(input.unsqueeze(0), weight, bias, options).squeeze(0);
  }
  return run_batched(input, weight, bias, options);
}

}  // namespace oaconv
