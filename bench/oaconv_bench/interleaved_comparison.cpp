#include "interleaved_comparison.h"

#include "layer_benchmark.h"
#include "../bench_threads.h"

#include <oaconv/oaconv.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace oaconv::bench {
namespace {

constexpr double kExcludedFactor = 3.0;  // vs the fastest warm call: left out of the rounds
constexpr double kUnrunFactor = 10.0;    // aten/direct vs the cost model's best: not run
constexpr int64_t kFewestRounds = 3;      // even when a round takes longer than max_time_s

struct Contender {
  Algorithm algorithm;
  std::unique_ptr<LayerPasses> layer;
  double warm_seconds = 0;
  bool in_rounds = true;
};

double seconds_of(LayerPasses& layer) {
  layer.prepare();
  const auto t0 = std::chrono::steady_clock::now();
  layer.run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The order of contenders in `round` (a Williams design): rounds shift the sequence 0, 1, n-1,
// 2, n-2, ... by one each, and for an odd n every second block of n runs mirrored, so that
// over each n (even n) or 2n (odd n) rounds every contender runs right after every other one
// equally often, and in every position equally often.
std::vector<size_t> order_of_round(size_t n, int64_t round) {
  std::vector<size_t> base{0};
  for (size_t low = 1, high = n - 1; base.size() < n;) base.push_back(base.size() % 2 ? low++ : high--);
  std::vector<size_t> order(n);
  for (size_t j = 0; j < n; ++j) order[j] = (base[j] + static_cast<size_t>(round)) % n;
  if (n % 2 == 1 && (round / static_cast<int64_t>(n)) % 2 == 1) std::reverse(order.begin(), order.end());
  return order;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

void run_interleaved_comparison(benchmark::State& state, const LayerShape& shape,
                                const std::vector<Algorithm>& algorithms, Operation op, const ComparisonTiming& timing) {
  configure_threads();
  // Every call is one whole repetition (the row runs one iteration): fresh caches, auto
  // measuring again, and the rows timed by layer_benchmark set themselves up again after it.
  warm_row_name().clear();
  clear_caches();
  clear_autotune_cache();
  std::vector<Contender> contenders;
  double auto_cold_ms = 0;
  // Spectral and auto first, so the fastest warm time is known before aten and direct run;
  // one of those whose first call already takes kExcludedFactor x that is not run again, and
  // one the cost model puts over kUnrunFactor x the modelled best is not run at all (aten at
  // k = 31 on 512 x 512 takes 8 s a call; its own row has its time).
  // oaa with fft's one tile runs fft's code: timed twice, the faster of two noisy copies would
  // set "the best" (the quick sweep's N16 64x64 k7 row had oaa 10 % faster than fft - the same
  // code - and auto, running fft, 1.10x "the best"). It is timed once, as fft.
  std::vector<Algorithm> order = algorithms;
  const bool has_fft = std::find(order.begin(), order.end(), Algorithm::kFft) != order.end();
  const bool oaa_is_fft = has_fft && overlap_add_runs_fft_code(shape);
  if (oaa_is_fft) order.erase(std::remove(order.begin(), order.end(), Algorithm::kOverlapAdd), order.end());
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
    Contender c{a, contenders.empty() ? std::make_unique<LayerPasses>(shape, a, op)
                                      : std::make_unique<LayerPasses>(contenders[0].layer->with_algorithm(a))};
    const double cold = seconds_of(*c.layer);  // planning, kernel spectra, auto's measuring
    if (a == Algorithm::kAuto) auto_cold_ms = cold * 1e3;
    c.warm_seconds = baseline && fastest >= 0 && cold > kExcludedFactor * fastest ? cold : seconds_of(*c.layer);
    fastest = fastest < 0 ? c.warm_seconds : std::min(fastest, c.warm_seconds);
    contenders.push_back(std::move(c));
  }
  std::vector<Contender*> rounds;
  for (Contender& c : contenders) {
    c.in_rounds = c.algorithm == Algorithm::kAuto || c.warm_seconds <= kExcludedFactor * fastest;
    if (c.in_rounds) rounds.push_back(&c);
  }
  // Each round in its own order, balanced: a step runs after whatever ran before it (the
  // caches hold that one's data, a spectral step's workspace evicts them), so every contender
  // must follow every other one equally often. A fixed cyclic order had auto always after oaa
  // and aten after auto's aten (auto measured 5-11 % slower than the aten it runs); random
  // orders from a fixed seed gave the same imbalance to every repetition of a row (H32 k1 N32
  // C16: auto running aten's code read 1.14x and 1.17x aten in the two repetitions with fft in
  // the rounds, 1.01x in the one without). Rounds go on until there are timing.min_rounds of
  // them and timing.min_time_s has passed, or timing.max_time_s has (after at least
  // kFewestRounds): aten run twice as two contenders in a quick sweep's 2-6 rounds came out up
  // to 21 % apart (14 of 64 rows over 5 %), in 26-136 rounds at most 3.4 % (none of 36 over 5 %).
  std::vector<std::vector<double>> times(rounds.size());
  for (auto _ : state) {
    double elapsed = 0;
    for (int64_t round = 0;; ++round) {
      if (round >= timing.min_rounds && elapsed >= timing.min_time_s) break;
      if (round >= kFewestRounds && timing.max_time_s > 0 && elapsed >= timing.max_time_s) break;
      for (size_t j : order_of_round(rounds.size(), round)) {
        times[j].push_back(seconds_of(*rounds[j]->layer));
        elapsed += times[j].back();
      }
    }
  }
  for (size_t j = 0; j < rounds.size(); ++j) {
    state.counters[to_string(rounds[j]->algorithm) + "_ms"] = median(times[j]) * 1e3;
  }
  for (const Contender& c : contenders) {
    if (!c.in_rounds) state.counters[to_string(c.algorithm) + "_excluded_ms"] = c.warm_seconds * 1e3;
    if (c.algorithm == Algorithm::kAuto) state.SetLabel(c.layer->auto_choice());
  }
  if (oaa_is_fft) state.counters["oaa_is_fft"] = 1;
  state.counters["rounds"] = rounds.empty() ? 0.0 : static_cast<double>(times[0].size());
  state.counters["cold_ms"] = auto_cold_ms;
  state.counters["threads"] = at::get_num_threads();
}

}  // namespace oaconv::bench
