#include "algorithm_choice.h"

namespace oaconv {

Algorithm resolve_algorithm(Algorithm requested, const ConvGeometry& g, c10::ScalarType dtype,
                            c10::Device device) {
  const bool ours_can_run = device.is_cpu() && (dtype == c10::kFloat || dtype == c10::kDouble);
  if (!ours_can_run) return Algorithm::kAten;
  if (requested == Algorithm::kAuto) return choose_algorithm(g);
  return requested;
}

Algorithm choose_algorithm(const ConvGeometry& g) {
  // Until the FFT algorithms land, oneDNN is the fastest choice for every shape we measured:
  // direct is the readable reference, within 10x of aten but not faster.
  (void)g;
  return Algorithm::kAten;
}

}  // namespace oaconv
