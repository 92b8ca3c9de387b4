#include "interleaved_comparison.h"

#include "layer_benchmark.h"
#include "../bench_threads.h"

#include <oaconv/oaconv.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <numeric>
#include <random>

namespace oaconv::bench {
namespace {

constexpr double kExcludedFactor = 3.0;  // vs the fastest warm call: left out of the rounds
constexpr double kUnrunFactor = 10.0;    // aten/direct vs the cost model's best: not run

struct Contender {
  Algorithm algorithm;
  std::unique_ptr<LayerPasses> layer;
  double warm_seconds = 0;
  bool in_rounds = true;
};

// The layers of the warm row (Google Benchmark calls a row several times per repetition).
struct WarmComparison {
  std::vector<Contender> contenders;
  double auto_cold_ms = 0;
};

WarmComparison& warm_comparison() {
  static WarmComparison w;
  return w;
}

double seconds_of(LayerPasses& layer) {
  layer.prepare();
  const auto t0 = std::chrono::steady_clock::now();
  layer.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

void run_interleaved_comparison(benchmark::State& state, const std::string& row, const LayerShape& shape,
                                const std::vector<Algorithm>& algorithms, Operation op) {
  configure_threads();
  WarmComparison& warm = warm_comparison();
  if (warm_row_name() != row || warm.contenders.empty()) {
    warm_row_name().clear();
    warm.contenders.clear();
    clear_caches();
    clear_autotune_cache();
    // Spectral and auto first, so the fastest warm time is known before aten and direct run;
    // one of those whose first call already takes kExcludedFactor x that is not run again, and
    // one the cost model puts over kUnrunFactor x the modelled best is not run at all (aten at
    // k = 31 on 512 x 512 takes 8 s a call; its own row has its time).
    std::vector<Algorithm> order = algorithms;
    std::stable_partition(order.begin(), order.end(),
                          [](Algorithm a) { return a != Algorithm::kAten && a != Algorithm::kDirect; });
    double model_best = -1;
    for (Algorithm a : {Algorithm::kAten, Algorithm::kDirect, Algorithm::kFft, Algorithm::kOverlapAdd}) {
      const double t = modelled_seconds(shape, a, op);
      model_best = model_best < 0 ? t : std::min(model_best, t);
    }
    double fastest = -1;
    for (Algorithm a : order) {
      const bool baseline = a == Algorithm::kAten || a == Algorithm::kDirect;
      if (baseline && modelled_seconds(shape, a, op) > kUnrunFactor * model_best) continue;
      // One set of tensors for all: where each algorithm's data lies in memory moved the
      // ratio of two runs of the same code (aten and auto running aten) by up to 9 %.
      Contender c{a, warm.contenders.empty() ? std::make_unique<LayerPasses>(shape, a, op)
                                             : std::make_unique<LayerPasses>(warm.contenders[0].layer->with_algorithm(a))};
      const double cold = seconds_of(*c.layer);  // planning, kernel spectra, auto's measuring
      if (a == Algorithm::kAuto) warm.auto_cold_ms = cold * 1e3;
      c.warm_seconds = baseline && fastest >= 0 && cold > kExcludedFactor * fastest ? cold : seconds_of(*c.layer);
      fastest = fastest < 0 ? c.warm_seconds : std::min(fastest, c.warm_seconds);
      warm.contenders.push_back(std::move(c));
    }
    for (Contender& c : warm.contenders) {
      c.in_rounds = c.algorithm == Algorithm::kAuto || c.warm_seconds <= kExcludedFactor * fastest;
    }
    warm_row_name() = row;
  }
  std::vector<Contender*> rounds;
  for (Contender& c : warm.contenders) {
    if (c.in_rounds) rounds.push_back(&c);
  }
  // Each round in a fresh random order: a step runs after whatever ran before it (the caches
  // hold that one's data), and with a fixed cyclic order each algorithm would always follow
  // the same one - auto after oaa, aten after auto's aten, which measured auto 5-11 % slower
  // than the aten it runs.
  std::vector<std::vector<double>> times(rounds.size());
  std::vector<size_t> order(rounds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937 random(12345);
  for (auto _ : state) {
    std::shuffle(order.begin(), order.end(), random);
    for (size_t j : order) times[j].push_back(seconds_of(*rounds[j]->layer));
  }
  for (size_t j = 0; j < rounds.size(); ++j) {
    state.counters[to_string(rounds[j]->algorithm) + "_ms"] = median(times[j]) * 1e3;
  }
  for (const Contender& c : warm.contenders) {
    if (!c.in_rounds) state.counters[to_string(c.algorithm) + "_excluded_ms"] = c.warm_seconds * 1e3;
    if (c.algorithm == Algorithm::kAuto) state.SetLabel(c.layer->auto_choice());
  }
  state.counters["cold_ms"] = warm.auto_cold_ms;
  state.counters["threads"] = at::get_num_threads();
}

}  // namespace oaconv::bench
