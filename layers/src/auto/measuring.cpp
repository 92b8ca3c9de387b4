// How `auto` measures (the first time a configuration is seen, per pass needed):
//  - candidates: direct, fft, oaa unless the cost model puts them above 4x the model's best for
//    that pass, aten unless above 10x (hopeless ones are not run at all: aten's depthwise k31
//    forward alone takes 0.7 s); oaa is not run when its tiling is fft's one tile (the same
//    transforms and products: it would time fft's code again); the gradient passes leave out a
//    candidate other than direct whose measured forward took over 4x the best forward, and
//    direct when its forward took over 3x the best of the gradient pass so far;
//  - candidates run in the order of their modelled time, so a fast one sets the reference early;
//  - no candidate is timed when the model leaves one, the same, in every pass still to measure:
//    timing it could not change the choice (RepLKNet's dw31: fft alone, whose timing was 0.9 of
//    the first call's 1.16 s); its times read kOnlyCandidateNotTimed and it makes no step rounds;
//  - a spectral candidate timed after another (the model put it behind) first runs once with
//    FFTW_ESTIMATE plans (instant to make; they ran within this machine's noise of
//    FFTW_MEASURE's: dw7's fft step 160 vs 161 ms, N64 32->64 16x16 k11 55 vs 72 ms): over 1.5x
//    the best, that run is its time and it is not run again, without paying FFTW_MEASURE's
//    planning (dw7's fft forward: 90 of its 180 ms; N32 C64 56x56 k3: fft and oaa 2-3x aten's
//    in every pass, 1.3 of the first call's 2.5 s);
//  - a first run that made FFTW plans is judged by its time less the planning (planning is paid
//    once, not every step; a candidate planning after another's was otherwise judged lost by its
//    planning time) and run again unless that lost; the first run that did not plan is a sample:
//    over 3x the best so far, the candidate has lost and is not run again (a non-spectral one
//    within 8x runs once more first: its first run in the process can be cold, thread buffers,
//    workspaces and cached transforms first touched, and winograd's first forward on N8 C256
//    14x14 read 7-28 ms against 4-5 ms after, which lost it the layer); otherwise one more
//    run, and a third when the first was cold (over 1.25x the second: caches), unless the second
//    was already 1.5x the best so far or the candidate's samples used its 0.1 s share; its time
//    is its fastest sample;
//  - the forward runs on a fresh copy of the weight each time when the layer is training, so a
//    spectral forward pays its kernel transform as it will every step after an optimizer update;
//  - then whole training steps of aten (unless its passes took over 2x the best spectral
//    algorithm's or the per-pass mix's), the best spectral algorithm (both fft and oaa when their passes are within
//    15 %) and the per-pass mix are timed in interleaved rounds (no separate warm-up: the passes
//    just ran, so plans and caches are warm; one run of each per round, at least 2 and up to 7
//    rounds while the rounds fit 0.3 s; one over 3x the best in the first round stops there),
//    so that a slow moment of the machine hits every candidate alike instead of one; each keeps
//    its fastest run; the mix only when its passes beat every single algorithm's by over 10 %;
//    no step is timed when a single contender is left and the per-pass choice is one algorithm;
//  - the winners follow decide_pass_algorithms (aten kept unless another is > 3 % faster).
// With these rules (and the FFTs' shared chunk plans) the first call of the `large` preset's
// layers (batch 64, AVX2 EPYC, 2 threads) takes 0.36-0.72 s, measuring and FFTW planning
// included; with one warm-up and two timed runs per candidate, warmed-up steps, whole-batch
// FFTW plans, direct's lost gradient runs and the mix's step at 3 % it took 1.05-1.99 s.
// The data are the call's own input and weight and a random grad-output of the output's shape.
#include "measuring.h"

#include "conv_passes.h"
#include "../conv_node.h"
#include "pass_model.h"
#include "../algorithm_registry.h"
#include "../aten_conv.h"
#include "../fft/plan_cache.h"
#include "../fft/tiling.h"
#include "../memory_format_copy.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>
#include <vector>

namespace oaconv::autotune {
namespace {

constexpr double kHopelessFactor = 4.0;   // vs the model's best: not measured
constexpr double kAtenHopelessFactor = 10.0;  // the baseline needs a wider margin to be skipped
constexpr double kSlowFactor = 1.5;       // vs the best measured so far: stop timing
constexpr double kLostFactor = 3.0;       // first run vs the best so far: not run again ...
constexpr double kColdLostFactor = 8.0;   // ... unless, not spectral, within this: once more
constexpr double kColdFactor = 1.25;      // first run vs the second: it was cold, run a third
constexpr int kMaxRuns = 3;
constexpr double kCandidateBudget = 0.1;  // seconds of timed runs per candidate and pass
constexpr double kAtenMargin = 0.03;      // another algorithm must beat aten by this much
constexpr double kMixStepMargin = 0.10;   // the mix's step is timed when its passes beat all by this
constexpr int kMinStepRounds = 2;         // interleaved rounds of whole training steps ...
constexpr int kMaxStepRounds = 7;
constexpr double kStepRoundsBudget = 0.3;  // ... beyond the minimum only while they fit this
constexpr double kStepContenderFactor = 2.0;  // aten's passes vs the best spectral's: no aten step
constexpr double kCloseSpectralFactor = 1.15;  // the other spectral's passes vs the best's: its step too

double seconds_of(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Whole steps, timed in interleaved rounds (the passes ran just before: plans and caches are
// warm, so the first round counts); a candidate over kLostFactor x the best in the first round
// is not run again (it keeps that time).
std::vector<double> time_interleaved(const std::vector<std::function<void()>>& runs) {
  std::vector<double> best(runs.size(), -1);
  std::vector<bool> timed(runs.size(), true);
  double spent = 0;
  for (int round = 0; round < kMaxStepRounds; ++round) {
    double round_seconds = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!timed[i]) continue;
      const double t = seconds_of(runs[i]);
      round_seconds += t;
      best[i] = round == 0 ? t : std::min(best[i], t);
    }
    if (round == 0) {
      const double fastest = *std::min_element(best.begin(), best.end());
      for (size_t i = 0; i < runs.size(); ++i) timed[i] = best[i] <= kLostFactor * fastest;
    }
    spent += round_seconds;
    if (round + 1 >= kMinStepRounds && spent + round_seconds > kStepRoundsBudget) break;
  }
  return best;
}

// FFTW plans made so far by this process and the seconds spent making them (a run that made one
// was cold: planning is paid once).
fft::PlanCacheStats plans_made() { return fft::PlanCache::instance().stats(); }

// `run`'s seconds less the FFTW planning it did, and whether it planned.
std::pair<double, bool> seconds_less_planning(const std::function<void()>& run) {
  const fft::PlanCacheStats before = plans_made();
  const double seconds = seconds_of(run);
  const fft::PlanCacheStats after = plans_made();
  return {seconds - (after.planning_seconds - before.planning_seconds), after.misses != before.misses};
}

// Times `run` per the rules above; `best_so_far` < 0 when none; `spectral`: it plans FFTs.
double time_candidate(const std::function<void()>& run, double best_so_far, bool spectral) {
  const bool may_lose = best_so_far >= 0;
  if (may_lose && spectral) {
    fft::ScopedEstimatePlans estimate;
    const double audition = seconds_less_planning(run).first;
    if (audition > kSlowFactor * best_so_far) return audition;
  }
  auto [first, planned] = seconds_less_planning(run);
  if (planned) {
    // Less its planning, that run is a cold sample (an upper bound of the run).
    if (may_lose && first > kLostFactor * best_so_far) return first;
    first = seconds_of(run);
  }
  if (may_lose && first > kLostFactor * best_so_far) {
    if (spectral || first > kColdLostFactor * best_so_far) return first;
    const double second = seconds_of(run);  // the first may have been cold
    if (second > kLostFactor * best_so_far) return std::min(first, second);
    first = second;
  }
  double best = first, spent = first;
  for (int i = 1; i < kMaxRuns; ++i) {
    const double t = seconds_of(run);
    spent += t;
    best = std::min(best, t);
    if (i == 1 && first <= kColdFactor * t) break;  // the first was warm: two samples suffice
    if (best_so_far >= 0 && t > kSlowFactor * best_so_far) break;
    if (spent > kCandidateBudget) break;
  }
  return best;
}

// A gradient pass does not run a candidate whose measured forward took over kHopelessFactor x
// the best forward: the measured form of the model's rule (on the large preset's N64 16->32
// 32x32 k13 layer aten's forward took 5.4x fft's and its gradients 2.4x and 3.3x; its three
// passes were 435 of the first call's 1120 ms). Direct's passes share one loop nest; aten's
// differ more (depthwise k7: its forward the fastest, its grad-weight 8x slower), but not from
// over 4x behind to the front. Direct is judged by direct_lost_by_its_forward instead, against
// the gradient pass's own best: aten's depthwise gradients are far slower than its forward
// (k7: forward 15 ms, grad-weight 420 ms), so a direct forward 4x behind aten's (a cold first
// sample was enough) would leave aten's grad-weight as the only candidate.
bool measured_hopeless(const Entry& e, int c) {
  if (candidate(c) == Algorithm::kDirect) return false;
  if (!e.measured[0] || e.seconds[0][c] < 0) return false;
  double best = -1;
  for (double t : e.seconds[0]) {
    if (t >= 0) best = best < 0 ? t : std::min(best, t);
  }
  return e.seconds[0][c] > kHopelessFactor * best;
}

// Direct's three passes are one loop nest over the same taps: its forward time stands for the
// first run of a gradient pass, and over kLostFactor x the best of that pass so far it has lost
// without running (on the large preset's N64 C64->128 8x8 k7 layer direct's forward took 3.2x
// fft's, and its lost gradient runs 79 and 160 ms). Its gradients ran 0.5-1.3x its forward on
// the shapes looked at (depthwise k7: forward 12.0 ms, grad-weight 6.7, the pass's fastest), so
// a gradient 3x faster than its forward is not expected. aten's passes differ too much for this
// (depthwise k3: forward 9.9 ms, grad-input 2.6).
bool direct_lost_by_its_forward(const Entry& e, int c, double best_so_far) {
  if (candidate(c) != Algorithm::kDirect || best_so_far < 0 || !e.measured[0]) return false;
  const double forward = e.seconds[0][c];
  return forward >= 0 && forward > kLostFactor * best_so_far;
}

}  // namespace

void measure(const ConvGeometry& g, const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
             bool backward, Entry& e) {
  // Measuring times autograd steps, which tensors made under at::InferenceMode cannot take part
  // in: it runs outside that mode, on ordinary copies of such tensors.
  c10::InferenceMode outside_inference_mode(false);
  at::NoGradGuard no_grad;
  const auto ordinary = [](const at::Tensor& t) { return t.is_inference() ? t.clone() : t.detach(); };
  // In the call's own layouts (channels-last or not: aten runs in that layout, the others pay
  // copies to and from theirs), densely packed.
  const at::Tensor x = in_memory_format(ordinary(input), input.suggest_memory_format());
  const at::Tensor w = in_memory_format(ordinary(weight), weight.suggest_memory_format());
  const at::Tensor b = bias.defined() ? ordinary(bias) : at::Tensor();
  const bool training = weight.requires_grad();
  const int threads = at::get_num_threads();
  const PassTimes model = modelled_seconds(g, threads);
  const bool oaa_is_fft = registry_entry(Algorithm::kOverlapAdd).declines(g) == nullptr &&
                          fft::overlap_add_is_fft(g, threads);
  // The grad-output as the layers after this one hand it back: in the result's layout (a pass
  // that takes channels-last reads it so, the others copy it to NCHW, as in oaconv's node).
  const at::Tensor gy =
      backward ? in_memory_format(at::randn(g.output_sizes(), x.options()), aten::result_memory_format(x, w, g))
               : at::Tensor();
  const auto to_measure = [&](int pass) { return !e.measured[pass] && (pass == 0 || backward); };
  // Whether the cost model rules candidate c out of a pass (over its hopeless factor x the
  // model's best among the candidates that run the case; a declined one's time is -1).
  const auto model_rules_out = [&](int pass, int c) {
    double model_best = -1;
    for (double t : model[pass]) {
      if (t >= 0) model_best = model_best < 0 ? t : std::min(model_best, t);
    }
    const Algorithm a = candidate(c);
    const double hopeless = a == Algorithm::kAten ? kAtenHopelessFactor : kHopelessFactor;
    return model[pass][c] < 0 || model[pass][c] > hopeless * model_best ||
           (a == Algorithm::kOverlapAdd && oaa_is_fft);
  };
  int only = -1;  // the one candidate the model leaves in every pass to measure, if there is one
  for (int pass = 0; pass < kPasses && only != -2; ++pass) {
    if (!to_measure(pass)) continue;
    for (int c = 0; c < kCandidates && only != -2; ++c) {
      if (!model_rules_out(pass, c)) only = only == -1 || only == c ? c : -2;
    }
  }
  if (only >= 0) {
    for (int pass = 0; pass < kPasses; ++pass) {
      if (!to_measure(pass)) continue;
      e.seconds[pass].fill(-1);
      e.seconds[pass][only] = kOnlyCandidateNotTimed;
      e.measured[pass] = true;
    }
  }
  for (int pass = 0; pass < kPasses; ++pass) {
    if (!to_measure(pass)) continue;
    double best = -1;  // the fastest measured so far
    std::vector<int> order(kCandidates);
    for (int c = 0; c < kCandidates; ++c) order[c] = c;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return model[pass][a] < model[pass][b]; });
    for (int c : order) {
      e.seconds[pass][c] = -1;
      if (model_rules_out(pass, c)) continue;
      if (pass > 0 && measured_hopeless(e, c)) continue;
      if (pass > 0 && direct_lost_by_its_forward(e, c, best)) continue;
      const Algorithm a = candidate(c);
      std::function<void()> run;
      if (pass == 0) {
        run = [&] { run_forward(a, x, training ? w.clone() : w, b, g); };
      } else if (pass == 1) {
        // Alone, a spectral grad-input transforms the kernel itself (forward by another
        // algorithm did not): a fresh weight copy makes it pay that, as it will in the mix.
        run = [&] { run_grad_input(a, gy, x, training ? w.clone() : w, g); };
      } else {
        run = [&] { run_grad_weight(a, gy, x, w, g); };
      }
      const bool spectral = a == Algorithm::kFft || a == Algorithm::kOverlapAdd;
      const double t = time_candidate(run, best, spectral);
      e.seconds[pass][c] = t;
      best = best < 0 ? t : std::min(best, t);
    }
    e.measured[pass] = true;
  }
  // Whole training steps, as autograd runs them: aten's, the most promising spectral
  // algorithm's (forward keeps its spectra, one grad-output transform serves both gradients),
  // and the per-pass mix's when it is none of those. The fastest decides.
  if (backward && e.measured[1] && e.measured[2] && only < 0) {
    // Ranked by the passes the timed step will run: grad-input only when the input needs a
    // gradient (a first layer's does not, and its grad-input time must not decide which
    // spectral algorithm's step is timed).
    const auto passes_sum_of = [&](const PassAlgorithms& p) {
      const double f = e.seconds[0][candidate_index(p.forward)], gi = e.seconds[1][candidate_index(p.grad_input)],
                   gw = e.seconds[2][candidate_index(p.grad_weight)];
      if (f < 0 || gi < 0 || gw < 0) return -1.0;
      return f + (input.requires_grad() ? gi : 0.0) + gw;
    };
    const auto passes_sum = [&](int c) { return passes_sum_of({candidate(c), candidate(c), candidate(c)}); };
    int best_spectral = -1;
    double best_sum = -1;
    for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
      const int c = candidate_index(a);
      const double sum = passes_sum(c);
      if (sum >= 0 && (best_sum < 0 || sum < best_sum)) best_sum = sum, best_spectral = c;
    }
    at::AutoGradMode grad(true);
    const at::Tensor xs = x.detach().requires_grad_(input.requires_grad());
    const at::Tensor ws = w.detach();
    const at::Tensor bs = b.defined() ? b.detach().requires_grad_(true) : at::Tensor();
    const auto fresh_weight = [&] { return ws.clone().requires_grad_(true); };  // an updated weight every step
    std::vector<std::function<void()>> steps;
    std::vector<double*> results;
    // aten's step is not timed when its passes took over kStepContenderFactor x the best
    // spectral algorithm's (whose step shares transforms, so is no slower than its passes): it
    // cannot win, and its step was the largest part of measuring such a layer (1.0 of 6.0 s
    // on N8 C128->128 64x64 k7, aten 3x slower).
    // The same holds against the per-pass mix, whose step is its passes (nothing shared):
    // depthwise k7's aten step (0.44 s: its grad-weight alone 0.4 s) was timed against a mix of
    // 63 ms because neither spectral algorithm had all its passes measured.
    const int aten = candidate_index(Algorithm::kAten);
    const double aten_sum = passes_sum(aten);
    const PassAlgorithms mix = per_pass_fastest(e.seconds, kAtenMargin);
    const double mix_sum = passes_sum_of(mix);
    double best_other_sum = best_sum;
    if (mix_sum >= 0 && (best_other_sum < 0 || mix_sum < best_other_sum)) best_other_sum = mix_sum;
    if (aten_sum >= 0 && (best_other_sum < 0 || aten_sum <= kStepContenderFactor * best_other_sum)) {
      steps.push_back([&] { run_training_step(Algorithm::kAten, xs, fresh_weight(), bs, g, gy); });
      results.push_back(&e.step_seconds[aten]);
    }
    // The best spectral algorithm's step, and the other's too when its passes came within
    // kCloseSpectralFactor: fft's and oaa's steps share different amounts of work between passes
    // (N128 16x16 k7: fft's passes summed less, oaa's step was 10 % faster in the sweep). Not
    // when their passes took over kStepContenderFactor x the best single algorithm's or the
    // mix's: sharing transforms does not make up for that (depthwise k7: fft's 124 ms step
    // against a 31 ms mix, and as the only step timed it was chosen).
    double best_single_sum = -1;  // over the single algorithms that are not spectral, and the mix
    for (int c = 0; c < kCandidates; ++c) {
      const double sum = registry_entry(candidate(c)).spectral ? -1.0 : passes_sum(c);
      if (sum >= 0 && (best_single_sum < 0 || sum < best_single_sum)) best_single_sum = sum;
    }
    if (mix_sum >= 0 && (best_single_sum < 0 || mix_sum < best_single_sum)) best_single_sum = mix_sum;
    for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
      const int c = candidate_index(a);
      const double sum = passes_sum(c);
      if (sum < 0 || (c != best_spectral && sum > kCloseSpectralFactor * best_sum)) continue;
      if (best_single_sum >= 0 && sum > kStepContenderFactor * best_single_sum) continue;
      steps.push_back([&, a] { run_training_step(a, xs, fresh_weight(), bs, g, gy); });
      results.push_back(&e.step_seconds[c]);
    }
    // The mix's step only when its passes beat every single algorithm's by over 10 %: a single
    // algorithm's step is no slower than its passes (the spectral ones share transforms between
    // passes, which a mix of algorithms cannot; aten's step took 0.75x its passes on the large
    // preset's N64 C64->128 8x8 k7 layer), so a mix not clearly ahead cannot win (that layer:
    // the mix aten/aten/fft 7 % ahead of aten's passes; the three steps 46-52 ms, its third
    // contender 92 ms of the first call).
    const bool mixed = !(mix.forward == mix.grad_input && mix.forward == mix.grad_weight);
    bool mix_ahead = mixed && mix_sum >= 0;
    for (int c = 0; c < kCandidates && mix_ahead; ++c) {
      const double sum = passes_sum(c);
      if (sum >= 0 && mix_sum * (1.0 + kMixStepMargin) >= sum) mix_ahead = false;
    }
    if (mix_ahead) {
      steps.push_back([&] { conv_with_pass_algorithms(xs, fresh_weight(), bs, g, mix).backward(gy); });
      results.push_back(&e.mix_step_seconds);
    }
    // The single algorithm whose passes sum least has its step timed whenever steps decide (or
    // the mix, not timed, would give way to whichever single step was): when the per-pass
    // fastest are one algorithm, that one (direct, fastest in every pass of N32 C128 56x56 k3 with
    // 2 channels a group: 119 ms of passes against fft's 178 ms step); with a mix not worth its
    // step, the algorithm closest to it (depthwise k7: aten's forward with direct's gradients,
    // direct's step).
    int closest = -1;
    for (int c = 0; c < kCandidates; ++c) {
      const double sum = passes_sum(c);
      if (sum >= 0 && (closest < 0 || sum < passes_sum(closest))) closest = c;
    }
    if (closest >= 0 && !mix_ahead && (!steps.empty() || mixed)) {
      double* const own = &e.step_seconds[closest];
      if (std::find(results.begin(), results.end(), own) == results.end()) {
        const Algorithm a = candidate(closest);
        steps.push_back([&, a] { run_training_step(a, xs, fresh_weight(), bs, g, gy); });
        results.push_back(own);
      }
    }
    // One contender when the per-pass fastest are one algorithm: nothing to compare, its step
    // would not change the decision (the per-pass choice), and it was the largest part of
    // measuring (270 of 1050 ms for the large preset's N64 C32->64 16x16 k11 layer); nor when the
    // one contender is the mix itself (the per-pass choice again: depthwise k7's mix step was
    // 0.3 of its first call). With a mixed per-pass choice not worth its step, the one
    // contender's step is timed: that makes it the decision instead of the mix.
    const bool only_the_mix = steps.size() == 1 && results.front() == &e.mix_step_seconds;
    if (steps.size() > 1 || (steps.size() == 1 && mixed && !only_the_mix)) {
      const std::vector<double> times = time_interleaved(steps);
      for (size_t i = 0; i < times.size(); ++i) *results[i] = times[i];
    }
  }
  // Passes not measured keep the model's times (flagged unmeasured) so the record is whole; an
  // only candidate not timed stands with its modelled time.
  PassTimes for_decision = e.seconds;
  for (int pass = 0; pass < kPasses; ++pass) {
    if (!e.measured[pass]) for_decision[pass] = model[pass];
    for (int c = 0; c < kCandidates; ++c) {
      if (e.seconds[pass][c] == kOnlyCandidateNotTimed) for_decision[pass][c] = model[pass][c];
    }
  }
  e.algorithms = decide_pass_algorithms(for_decision, e.step_seconds, e.mix_step_seconds, kAtenMargin);
}

}  // namespace oaconv::autotune
