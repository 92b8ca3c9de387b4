// The spectral product (per-frequency complex matrix products) against sgemm on this machine:
// both report FLOP/s, so the product's efficiency is visible. Shapes are those of the layer
// targets (rows = batch x tiles, channels, frequencies of the chosen FFT size).
#include "bench_threads.h"
#include "fft/spectral_gemm.h"

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

namespace {

using oaconv::fft::SpectrumMatrix;

// Forward-pass product: Y[m, n] = sum_k X[m, k] conj(W[n, k]) at `freq` frequencies.
void BM_SpectralProduct(benchmark::State& state) {
  oaconv::bench::configure_threads();
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2), freq = state.range(3);
  const int64_t stride = (freq + 7) / 8 * 8;  // complex, 64-byte multiples
  const at::Tensor x = at::randn({m * k, stride, 2});
  const at::Tensor w = at::randn({n * k, stride, 2});
  at::Tensor y = at::empty({m * n, stride, 2});
  const int64_t plane = 2 * stride;
  const SpectrumMatrix<float> a{x.data_ptr<float>(), k * plane, plane};
  const SpectrumMatrix<float> b{w.data_ptr<float>(), plane, k * plane};
  const SpectrumMatrix<float> c{y.data_ptr<float>(), n * plane, plane};
  for (auto _ : state) {
    oaconv::fft::spectral_gemm<float>(m, n, k, plane, a, false, b, true, c);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(oaconv::fft::spectral_gemm_flops(m, n, k, freq) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Sgemm(benchmark::State& state) {
  oaconv::bench::configure_threads();
  const int64_t s = state.range(0);
  const at::Tensor a = at::randn({s, s}), b = at::randn({s, s});
  at::Tensor c = at::empty({s, s});
  for (auto _ : state) {
    at::mm_out(c, a, b);
    benchmark::DoNotOptimize(c.data_ptr<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * s * s * s * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// m = N*T, n = out channels, k = in channels, frequencies = P_h * (P_w/2 + 1).
BENCHMARK(BM_SpectralProduct)
    ->ArgNames({"m", "n", "k", "freq"})
    ->Args({32, 32, 16, 70 * 36})     // N32 C16->32 64x64 k7, fft (P 70)
    ->Args({288, 32, 16, 32 * 17})    // same, oaa 32x32 tiles
    ->Args({16, 32, 32, 75 * 38})     // N16 C32->32 64x64 k11, fft (P 75)
    ->Args({64, 32, 32, 40 * 21})     // same, oaa 2x2 tiles at P 40
    ->Args({4, 16, 16, 270 * 136})    // N4 C16->16 256x256 k15, fft
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Sgemm)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
