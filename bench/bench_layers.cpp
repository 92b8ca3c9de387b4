// Forward+backward time of one layer per algorithm, on the shapes of the FFT/OaA speed targets
// (float32, padding k/2). aten runs in the same binary for every shape, so ratios are honest.
// Each step bumps the weight's version as an optimizer step would, so the kernel transform is
// paid every step (training), not served from the cache. The first call (FFTW planning, kernel
// transform) is timed apart as `cold_ms`.
#include "bench_threads.h"

#include <oaconv/oaconv.h>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

struct Shape {
  const char* name;
  int64_t n, c, o, hw, k, groups;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s{
      {"N32_C16to32_64x64_k7", 32, 16, 32, 64, 7, 1},
      {"N16_C32to32_64x64_k11", 16, 32, 32, 64, 11, 1},
      {"N4_C16to16_256x256_k15", 4, 16, 16, 256, 15, 1},
      {"N8_dw64_64x64_k31", 8, 64, 64, 64, 31, 64},
      {"N32_C32to32_32x32_k3", 32, 32, 32, 32, 3, 1},
      // The four convolutions of the `large` classifier preset (training/src/target_classifier.cpp)
      // at batch 64.
      {"large1_N64_C3to16_64x64_k15", 64, 3, 16, 64, 15, 1},
      {"large2_N64_C16to32_32x32_k13", 64, 16, 32, 32, 13, 1},
      {"large3_N64_C32to64_16x16_k11", 64, 32, 64, 16, 11, 1},
      {"large4_N64_C64to128_8x8_k7", 64, 64, 128, 8, 7, 1},
  };
  return s;
}

void step(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const oaconv::Conv2dFuncOptions& o) {
  const at::Tensor y = oaconv::conv2d(x, w, b, o);
  y.backward(at::ones_like(y));
  at::NoGradGuard no_grad;
  w.add_(0.0);  // an optimizer step: the weight's version changes
}

void BM_LayerForwardBackward(benchmark::State& state, Shape s, oaconv::Algorithm algorithm) {
  oaconv::bench::configure_threads();
  at::manual_seed(0);
  const at::Tensor x = at::randn({s.n, s.c, s.hw, s.hw}).requires_grad_(true);
  const at::Tensor w = (at::randn({s.o, s.c / s.groups, s.k, s.k}) * 0.05).requires_grad_(true);
  const at::Tensor b = at::randn({s.o}).requires_grad_(true);
  const auto options = oaconv::Conv2dFuncOptions().padding(s.k / 2).groups(s.groups).algorithm(algorithm);
  oaconv::clear_caches();
  const auto t0 = std::chrono::steady_clock::now();
  step(x, w, b, options);
  const double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  oaconv::set_phase_timing(true);
  oaconv::reset_phase_times();
  for (auto _ : state) step(x, w, b, options);
  const oaconv::PhaseTimes phases = oaconv::phase_times();
  oaconv::set_phase_timing(false);
  const double steps = static_cast<double>(state.iterations());
  const double out = s.hw;  // stride 1, padding k/2, odd k
  const double macs = double(s.n) * s.o * (s.c / s.groups) * s.k * s.k * out * out;
  state.counters["cold_ms"] = cold * 1e3;
  // Direct-equivalent work of forward + grad input + grad weight.
  state.counters["GFLOP/s"] = benchmark::Counter(3 * 2 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (algorithm == oaconv::Algorithm::kFft || algorithm == oaconv::Algorithm::kOverlapAdd) {
    state.counters["input_fft_ms"] = phases.input_transform / steps * 1e3;
    state.counters["kernel_fft_ms"] = phases.kernel_transform / steps * 1e3;
    state.counters["product_ms"] = phases.spectral_product / steps * 1e3;
    state.counters["inverse_fft_ms"] = phases.inverse_transform / steps * 1e3;
    state.counters["overlap_add_ms"] = phases.overlap_add / steps * 1e3;
    state.counters["workspace_MiB"] = phases.peak_workspace_bytes / 1048576.0;
  }
}

const bool registered = [] {
  for (const Shape& s : shapes()) {
    for (auto a : {oaconv::Algorithm::kAten, oaconv::Algorithm::kFft, oaconv::Algorithm::kOverlapAdd,
                   oaconv::Algorithm::kDirect}) {
      const std::string name = std::string("fwd_bwd/") + s.name + "/" + oaconv::to_string(a);
      benchmark::RegisterBenchmark(name.c_str(), BM_LayerForwardBackward, s, a)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(1.0);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
