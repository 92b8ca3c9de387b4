#include "algorithm_choice.h"

#include "auto/pass_model.h"
#include "algorithm_registry.h"

#include <ATen/Parallel.h>

namespace oaconv {

bool ours_can_run(const ConvGeometry& g, c10::ScalarType dtype, c10::Device device) {
  // No input channels: torch's result is shaped by aten's own rule ([N, 0, H, W] in LibTorch
  // 1.13, not [N, O, Ho, Wo]), so only aten can match it.
  // A transposed convolution whose output_padding reaches its stride has an adjoint with more
  // outputs than the call has inputs: aten's own transposed convolution runs it.
  return device.is_cpu() && (dtype == c10::kFloat || dtype == c10::kDouble) && g.in_channels > 0 &&
         g.out_channels > 0 && g.adjoint_is_exact();
}

Algorithm resolve_algorithm(Algorithm requested, const ConvGeometry& g, c10::ScalarType dtype,
                            c10::Device device) {
  if (!ours_can_run(g, dtype, device)) return Algorithm::kAten;
  if (requested == Algorithm::kAuto) return choose_algorithm(g);
  // A declined case falls back to aten, which runs everything (algorithm_registry.h).
  if (registry_entry(requested).declines(g) != nullptr) return Algorithm::kAten;
  return requested;
}

Algorithm choose_algorithm(const ConvGeometry& g) {
  // The cost model's forward pick; at run time kAuto measures instead and may use a different
  // algorithm per pass (auto/autotuner.cpp). Never kAuto itself, so resolution always ends.
  return decide_pass_algorithms(autotune::modelled_seconds(g, at::get_num_threads())).forward;
}

}  // namespace oaconv
