#include "layer_benchmark.h"

#include "../bench_threads.h"

#include <oaconv/oaconv.h>

#include <ATen/Parallel.h>

#include <chrono>
#include <memory>

namespace oaconv::bench {
namespace {

// The layer of the warm row, and its cold time (reported by every call of the repetition).
struct WarmRow {
  std::unique_ptr<LayerPasses> layer;
  double cold_ms = 0;
};

WarmRow& warm_row() {
  static WarmRow w;
  return w;
}

// sum += a - b, phase by phase.
void add_difference(PhaseTimes& sum, const PhaseTimes& a, const PhaseTimes& b) {
  sum.input_transform += a.input_transform - b.input_transform;
  sum.kernel_transform += a.kernel_transform - b.kernel_transform;
  sum.spectral_product += a.spectral_product - b.spectral_product;
  sum.inverse_transform += a.inverse_transform - b.inverse_transform;
  sum.overlap_add += a.overlap_add - b.overlap_add;
}

}  // namespace

std::string& warm_row_name() {
  static std::string name;
  return name;
}

void run_layer_benchmark(benchmark::State& state, const std::string& row, const LayerShape& shape,
                         Algorithm algorithm, Operation op) {
  configure_threads();
  WarmRow& warm = warm_row();
  // A slow baseline's first call is its first timed iteration (reported as cold_ms too).
  const bool first_call_timed = (algorithm == Algorithm::kAten || algorithm == Algorithm::kDirect) &&
                                is_slow_baseline(algorithm, modelled_seconds(shape, algorithm, op));
  bool cold_pending = false;
  if (warm_row_name() != row || !warm.layer) {
    // Another row ran in between (the previous call, or another repetition interleaved):
    // start cold. FFTW's own wisdom from earlier shapes may remain, as in any process.
    warm.layer.reset();
    warm_row_name().clear();
    auto layer = std::make_unique<LayerPasses>(shape, algorithm, op);
    clear_caches();
    clear_autotune_cache();
    const auto t0 = std::chrono::steady_clock::now();
    layer->prepare();
    if (first_call_timed) {
      cold_pending = true;
    } else {
      layer->run();
    }
    warm.cold_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    warm.layer = std::move(layer);
    warm_row_name() = row;
  }
  LayerPasses& layer = *warm.layer;
  set_phase_timing(true);
  PhaseTimes p;  // of the timed parts only
  for (auto _ : state) {
    if (op == Operation::kGradInput || op == Operation::kGradWeight) {
      state.PauseTiming();
      layer.prepare();
      state.ResumeTiming();
    }
    const PhaseTimes before = phase_times();
    if (cold_pending) {
      const auto t0 = std::chrono::steady_clock::now();
      layer.run();
      warm.cold_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      cold_pending = false;
    } else {
      layer.run();
    }
    add_difference(p, phase_times(), before);
  }
  set_phase_timing(false);
  state.counters["cold_ms"] = warm.cold_ms;
  const double passes = op == Operation::kForwardBackward ? 3.0 : 1.0;
  state.counters["GFLOP/s"] =
      benchmark::Counter(passes * 2 * shape.forward_macs() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = at::get_num_threads();
  if (algorithm == Algorithm::kAuto) state.SetLabel(layer.auto_choice());  // forward/grad_input/grad_weight
  const double n = static_cast<double>(state.iterations());
  if (p.input_transform + p.kernel_transform + p.spectral_product > 0) {
    state.counters["input_fft_ms"] = p.input_transform / n * 1e3;
    state.counters["kernel_fft_ms"] = p.kernel_transform / n * 1e3;
    state.counters["product_ms"] = p.spectral_product / n * 1e3;
    state.counters["inverse_fft_ms"] = p.inverse_transform / n * 1e3;
    state.counters["overlap_add_ms"] = p.overlap_add / n * 1e3;
  }
}

}  // namespace oaconv::bench
