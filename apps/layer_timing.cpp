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

// One algorithm's layer: its own weight and bias (each updated by its own steps), the input
// shared by all.
struct TimedLayer {
  Algorithm algorithm;
  at::Tensor w, b;
  std::vector<double> forward, step;
  LayerTiming timing;
};

}  // namespace

std::vector<LayerTiming> time_layers(const std::vector<Algorithm>& algorithms, const LayerShape& s, int repeats,
                                     int warmup) {
  at::manual_seed(0);
  const at::Tensor x = at::randn(s.input_sizes()).contiguous(s.memory_format()).requires_grad_(true);
  const at::Tensor w0 = at::randn(s.weight_sizes()) * 0.1, b0 = at::randn({s.out_channels});
  std::vector<TimedLayer> layers;
  for (Algorithm a : algorithms) {
    layers.push_back({a, w0.clone().requires_grad_(true), b0.clone().requires_grad_(true), {}, {}, {}});
  }
  const auto forward = [&](TimedLayer& l) {
    at::NoGradGuard no_grad;
    (void)s.run(x, l.w, l.b, l.algorithm);
  };
  // A training step: forward, backward, and a (tiny) update of the weight in place, as an
  // optimizer makes it, so no step reuses the previous step's kernel transform. The input's
  // gradient is handed over, not accumulated, as a previous layer would take it.
  const auto step = [&](TimedLayer& l) {
    const at::Tensor y = s.run(x, l.w, l.b, l.algorithm);
    y.backward(at::ones_like(y));
    at::NoGradGuard no_grad;
    l.w.add_(l.w.grad(), -1e-7);
    l.w.mutable_grad().zero_();
    l.b.mutable_grad().zero_();
    x.mutable_grad().reset();
  };
  for (TimedLayer& l : layers) {
    l.timing.cold_s = seconds([&] { step(l); });
    for (int i = 1; i < warmup; ++i) step(l);
  }
  const bool was_timing = phase_timing_enabled();
  // Each round starts one algorithm further on, so that none always runs right after the same
  // one.
  const size_t n = layers.size();
  for (int round = 0; round < repeats; ++round) {
    for (size_t i = 0; i < n; ++i) {
      TimedLayer& l = layers[(round + i) % n];
      set_phase_timing(false);
      l.forward.push_back(seconds([&] { forward(l); }));
      set_phase_timing(true);
      reset_phase_times();
      l.step.push_back(seconds([&] { step(l); }));
      l.timing.phases += phase_times();
    }
  }
  set_phase_timing(was_timing);
  std::vector<LayerTiming> out;
  for (TimedLayer& l : layers) {
    l.timing.forward_s = median(l.forward);
    l.timing.forward_backward_s = median(l.step);
    l.timing.phases.scale_seconds(1.0 / std::max(1, repeats));
    out.push_back(l.timing);
  }
  return out;
}

}  // namespace oaconv::apps
