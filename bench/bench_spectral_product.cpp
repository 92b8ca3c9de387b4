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

// The three passes' products with the operand layouts the layer uses: rows = N*T, C in, O out.
//   pass 0 forward      Y[nt,o]  = sum_c X[nt,c] conj(W[o,c])
//   pass 1 grad input   GX[nt,c] = sum_o G[nt,o] W[o,c]
//   pass 2 grad weight  GW[o,c]  = sum_nt conj(G[nt,o]) X[nt,c]
void BM_SpectralPass(benchmark::State& state) {
  oaconv::bench::configure_threads();
  const int64_t pass = state.range(0), rows = state.range(1), c = state.range(2), o = state.range(3),
                freq = state.range(4);
  const int64_t stride = (freq + 7) / 8 * 8, plane = 2 * stride;
  const at::Tensor x = at::randn({rows * c, stride, 2}), gy = at::randn({rows * o, stride, 2});
  const at::Tensor w = at::randn({o * c, stride, 2});
  at::Tensor out = at::empty({std::max(rows * std::max(c, o), o * c), stride, 2});
  float* X = x.data_ptr<float>();
  float* G = gy.data_ptr<float>();
  float* W = w.data_ptr<float>();
  float* Out = out.data_ptr<float>();
  for (auto _ : state) {
    if (pass == 0) {
      oaconv::fft::spectral_gemm<float>(rows, o, c, plane, {X, c * plane, plane}, false, {W, plane, c * plane}, true,
                                        {Out, o * plane, plane});
    } else if (pass == 1) {
      oaconv::fft::spectral_gemm<float>(rows, c, o, plane, {G, o * plane, plane}, false, {W, c * plane, plane}, false,
                                        {Out, c * plane, plane});
    } else {
      oaconv::fft::spectral_gemm<float>(o, c, rows, plane, {G, plane, o * plane}, true, {X, c * plane, plane}, false,
                                        {Out, c * plane, plane});
    }
    benchmark::DoNotOptimize(Out);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(oaconv::fft::spectral_gemm_flops(rows, o, c, freq) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_SpectralPass)
    ->ArgNames({"pass", "rows", "c", "o", "freq"})
    ->Args({0, 16, 32, 32, 80 * 41})  // N16 C32->32 64x64 k11, fft at P 80
    ->Args({1, 16, 32, 32, 80 * 41})
    ->Args({2, 16, 32, 32, 80 * 41})
    ->Args({0, 32, 16, 32, 72 * 37})  // N32 C16->32 64x64 k7, fft at P 72
    ->Args({1, 32, 16, 32, 72 * 37})
    ->Args({2, 32, 16, 32, 72 * 37})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

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
