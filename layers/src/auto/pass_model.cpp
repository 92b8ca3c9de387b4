// The pure parts of `auto`: the decision rule and the cost model.
//
// Cost model, calibrated from build/bench/bench_layers on this project's machine kind (2 cores,
// AVX-512, 2 threads, float32, forward + backward): time = multiply-adds / rate for aten and
// direct, and the spectral tiling model (fft/tiling.cpp) split evenly over the three passes.
//   aten (oneDNN): 117-154 GMAC/s on dense layers with >= 16x32 channels per group; 27 GMAC/s
//     on 16->16 k15 at 256x256; 3.5 GMAC/s on depthwise k31 — modelled as 130 GMAC/s scaled by
//     sqrt(min(1, Cg*Og / 512)) and by 0.4 for kernels larger than 11.
//   direct: ~55 GMAC/s on dense layers, ~24 GMAC/s depthwise.
// Rates scale with the thread count (measured 1.97-2.1x from 1 to 2 threads), and with the CPU and
// the kernel set in use (isa/rate_scales.h).
#include "pass_model.h"

#include "conv_passes.h"
#include "../algorithm_registry.h"
#include "../fft/tiling.h"
#include "../isa/rate_scales.h"

#include <oaconv/options.h>

#include "../conv_geometry.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace oaconv {

PassAlgorithms per_pass_fastest(const PassTimes& seconds, double margin) {
  Algorithm chosen[autotune::kPasses];
  const int aten = autotune::candidate_index(Algorithm::kAten);
  for (int pass = 0; pass < autotune::kPasses; ++pass) {
    const auto& t = seconds[pass];
    int best = -1;
    for (int c = 0; c < autotune::kCandidates; ++c) {
      if (t[c] >= 0 && (best < 0 || t[c] < t[best])) best = c;
    }
    // Keep the baseline unless the winner is clearly faster.
    if (best < 0 || (t[aten] >= 0 && t[best] * (1.0 + margin) >= t[aten])) best = aten;
    chosen[pass] = autotune::candidate(best);
  }
  return PassAlgorithms{chosen[0], chosen[1], chosen[2]};
}

PassAlgorithms decide_pass_algorithms(const PassTimes& seconds, const StepTimes& step_seconds, double mix_step_seconds,
                                      double margin) {
  const PassAlgorithms mix = per_pass_fastest(seconds, margin);
  // Whole-step options: every single algorithm with a measured step, and the mix if its own
  // step was measured (or it is one of those single algorithms).
  const auto single = [](int c) { return PassAlgorithms{autotune::candidate(c), autotune::candidate(c), autotune::candidate(c)}; };
  PassAlgorithms best = mix;
  double best_total = -1;
  for (int c = 0; c < autotune::kCandidates; ++c) {
    if (single(c) == mix && step_seconds[c] >= 0) best_total = step_seconds[c];
  }
  if (best_total < 0) best_total = mix_step_seconds;
  bool any_step = best_total >= 0;
  for (int c = 0; c < autotune::kCandidates; ++c) {
    if (step_seconds[c] < 0) continue;
    any_step = true;
    if (best_total < 0 || step_seconds[c] < best_total) {
      best = single(c);
      best_total = step_seconds[c];
    }
  }
  if (!any_step) return mix;  // forward only (inference), or nothing measured whole
  // The baseline stays unless beaten by the margin.
  const double aten_step = step_seconds[autotune::candidate_index(Algorithm::kAten)];
  const PassAlgorithms all_aten = single(autotune::candidate_index(Algorithm::kAten));
  if (aten_step >= 0 && !(best == all_aten) && best_total * (1.0 + margin) >= aten_step) return all_aten;
  return best;
}

namespace autotune {

namespace {

// Rates below are at 2 threads.
double thread_scale(int threads) { return std::max(1, threads) / 2.0; }
double channel_pairs(const ConvGeometry& g) { return static_cast<double>(g.in_per_group() * g.out_per_group()); }

}  // namespace

double aten_modelled_seconds(const ConvGeometry& g, int threads) {
  const bool large_kernel = *std::max_element(g.kernel.begin(), g.kernel.begin() + g.rank) > 11;
  const double rate = 130e9 * std::sqrt(std::min(1.0, channel_pairs(g) / 512.0)) * (large_kernel ? 0.4 : 1.0) *
                      isa::rate_scales().aten * thread_scale(threads);
  return g.forward_macs() / rate;
}

// aten's depthwise grad-weight is far slower than its forward, more so as the kernel grows
// (`oaconv info` on the depthwise_models shapes, 2 threads, float32: 1.3x its forward at k3,
// 10x at k5 stride 2, 25x at k7, 50x at k13): modelled as taps / 5 times the forward, so that
// auto does not spend a first call's 0.3-0.4 s measuring one that cannot win.
std::array<double, 3> aten_pass_factors(const ConvGeometry& g) {
  if (g.in_per_group() != 1 || g.out_per_group() != 1) return {1.0, 1.0, 1.0};
  double taps = 1;
  for (int64_t a = 0; a < g.rank; ++a) taps *= static_cast<double>(g.kernel[a]);
  return {1.0, 1.0, std::max(1.0, taps / 5.0)};
}

double direct_modelled_seconds(const ConvGeometry& g, int threads) {
  const double rate = (channel_pairs(g) >= 16 ? 55e9 : 24e9) * isa::rate_scales().direct * thread_scale(threads);
  return g.forward_macs() / rate;
}

double fft_modelled_seconds(const ConvGeometry& g, int threads) {
  return fft::modelled_step_seconds(g, fft::choose_tiling(Algorithm::kFft, g, threads), threads) / 3;
}

double oaa_modelled_seconds(const ConvGeometry& g, int threads) {
  return fft::modelled_step_seconds(g, fft::choose_tiling(Algorithm::kOverlapAdd, g, threads), threads) / 3;
}

PassTimes modelled_seconds(const ConvGeometry& g, int threads) {
  PassTimes t;
  for (int c = 0; c < kCandidates; ++c) {
    const AlgorithmEntry& e = algorithm_registry()[c];
    // A candidate that declines the case has no time: the decision rule skips it.
    const double seconds = e.declines(g) != nullptr ? -1.0 : e.modelled_pass_seconds(g, threads);
    const std::array<double, 3> factor = e.pass_factors != nullptr && seconds >= 0 ? e.pass_factors(g)
                                                                                  : std::array<double, 3>{1, 1, 1};
    for (int pass = 0; pass < kPasses; ++pass) t[pass][c] = seconds * factor[pass];
  }
  return t;
}

}  // namespace autotune

PassTimes modelled_pass_seconds(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                const Conv2dFuncOptions& options, int threads) {
  return autotune::modelled_seconds(
      geometry_of_sizes(input_sizes, weight_sizes, conv_request(options), "oaconv::modelled_pass_seconds"), threads);
}

template <typename Options>
PassTimes modelled_pass_seconds(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                                int threads) {
  const ConvGeometry g =
      geometry_of_sizes(input_sizes, weight_sizes, conv_request(options), "oaconv::modelled_pass_seconds");
  const PassTimes t = autotune::modelled_seconds(g, threads);
  // The model is of the adjoint's passes; a transposed call runs them re-assigned.
  return g.transposed ? PassTimes{t[1], t[0], t[2]} : t;
}

#define OACONV_MODELLED_PASS_SECONDS(Options) \
  template PassTimes modelled_pass_seconds<Options>(c10::IntArrayRef, c10::IntArrayRef, const Options&, int);
OACONV_MODELLED_PASS_SECONDS(ConvFuncOptions<1>)
OACONV_MODELLED_PASS_SECONDS(ConvFuncOptions<3>)
OACONV_MODELLED_PASS_SECONDS(ConvTransposeFuncOptions<1>)
OACONV_MODELLED_PASS_SECONDS(ConvTransposeFuncOptions<2>)
OACONV_MODELLED_PASS_SECONDS(ConvTransposeFuncOptions<3>)
#undef OACONV_MODELLED_PASS_SECONDS

}  // namespace oaconv
