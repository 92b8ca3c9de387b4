#include "algorithm_choice.h"

#include "auto/pass_model.h"

#include <ATen/Parallel.h>

namespace oaconv {

Algorithm resolve_algorithm(Algorithm requested, const ConvGeometry& g, c10::ScalarType dtype,
                            c10::Device device) {
  const bool ours_can_run = device.is_cpu() && (dtype == c10::kFloat || dtype == c10::kDouble);
  if (!ours_can_run) return Algorithm::kAten;
  if (requested == Algorithm::kAuto) return choose_algorithm(g);
  return requested;
}

Algorithm choose_algorithm(const ConvGeometry& g) {
  // The cost model's forward pick; at run time kAuto measures instead and may use a different
  // algorithm per pass (auto/autotuner.cpp). Never kAuto itself, so resolution always ends.
  return decide_pass_algorithms(autotune::modelled_seconds(g, at::get_num_threads())).forward;
}

}  // namespace oaconv
