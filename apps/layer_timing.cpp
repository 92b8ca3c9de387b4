#include "layer_timing.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace oaconv::apps {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

LayerTiming time_layer(Algorithm algorithm, const LayerShape& s, int repeats, int warmup) {
  at::manual_seed(0);
  const at::Tensor x = at::randn(s.input_sizes()).requires_grad_(true);
  const at::Tensor w = (at::randn(s.weight_sizes()) * 0.1).requires_grad_(true);
  const at::Tensor b = at::randn({s.out_channels}).requires_grad_(true);

  auto forward = [&] {
    at::NoGradGuard no_grad;
    (void)s.run(x, w, b, algorithm);
  };
  // A training step: forward, backward, and a (tiny) update of the weight in place, as an
  // optimizer makes it, so no step reuses the previous step's kernel spectrum.
  auto forward_backward = [&] {
    const at::Tensor y = s.run(x, w, b, algorithm);
    y.backward(at::ones_like(y));
    at::NoGradGuard no_grad;
    w.add_(w.grad(), -1e-7);
    w.mutable_grad().zero_();
  };
  LayerTiming timing;
  timing.cold_s = seconds(forward_backward);
  for (int i = 1; i < warmup; ++i) forward_backward();
  std::vector<double> f, fb;
  for (int i = 0; i < repeats; ++i) f.push_back(seconds(forward));
  const bool was_timing = phase_timing_enabled();
  set_phase_timing(true);
  reset_phase_times();
  for (int i = 0; i < repeats; ++i) fb.push_back(seconds(forward_backward));
  timing.phases = phase_times();
  set_phase_timing(was_timing);
  timing.forward_s = median(f);
  timing.forward_backward_s = median(fb);
  auto per_step = [&](double& v) { v /= std::max(1, repeats); };
  per_step(timing.phases.input_transform);
  per_step(timing.phases.kernel_transform);
  per_step(timing.phases.spectral_product);
  per_step(timing.phases.inverse_transform);
  per_step(timing.phases.overlap_add);
  return timing;
}

}  // namespace oaconv::apps
