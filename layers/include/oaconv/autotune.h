#pragma once
// Algorithm::kAuto, cuDNN-benchmark style: the algorithm is chosen separately for forward,
// grad-input and grad-weight, per (geometry, dtype, threads, and whether the input or weight is
// channels-last). The first time a configuration is seen its candidate algorithms are timed on
// the layer's own tensors (a warm-up and a few timed runs each, candidates the cost model rules
// out skipped, slow ones cut short) and the winners
// remembered for the life of the process — or across processes with OACONV_AUTOTUNE_CACHE=FILE,
// which is loaded on first use and rewritten (atomically) after every new measurement.
// OACONV_AUTOTUNE=0 (or set_autotune(false)) turns measuring off: a cost model calibrated on
// this project's machine kind decides instead.
#include <oaconv/options.h>

#include <c10/core/ScalarType.h>
#include <c10/util/ArrayRef.h>

#include <array>
#include <cstdint>
#include <string>

namespace oaconv {

struct PassAlgorithms {
  Algorithm forward = Algorithm::kAten;
  Algorithm grad_input = Algorithm::kAten;
  Algorithm grad_weight = Algorithm::kAten;
  bool operator==(const PassAlgorithms& o) const {
    return forward == o.forward && grad_input == o.grad_input && grad_weight == o.grad_weight;
  }
};

// Seconds per pass (forward, grad_input, grad_weight) x candidate (the runnable algorithms in
// enum order: aten, direct, fft, oaa, winograd);
// a negative value means "not a candidate / not measured"; kOnlyCandidateNotTimed marks the
// one candidate the cost model left for a pass, chosen without timing (timing it could not change
// the choice).
using PassTimes = std::array<std::array<double, kRunnableAlgorithms>, 3>;
constexpr double kOnlyCandidateNotTimed = -2;

// Seconds of a whole training step (forward + both gradients, through autograd) per candidate
// run alone, where measured (negative otherwise): a spectral algorithm shares work between its
// passes (one grad-output transform for both gradients, forward's input spectra reused), which
// passes timed one by one cannot show, and passes timed alone miss autograd's own costs.
using StepTimes = std::array<double, kRunnableAlgorithms>;
constexpr StepTimes kNoStepTimes = [] {
  StepTimes t{};
  for (double& v : t) v = -1;
  return t;
}();

// The pure decision. First the per-pass mix: per pass the fastest candidate with a time —
// aten unless another is faster by more than `margin` (relative), so noise never trades the
// baseline for an equal algorithm; a pass with no time at all gets aten. Then, when whole
// training steps were measured (the single algorithms' in step_seconds, the mix's in
// mix_step_seconds; negative = not measured), the fastest whole step wins — aten's unless
// beaten by the margin. Without any step times (inference) the mix is the answer.
PassAlgorithms decide_pass_algorithms(const PassTimes& seconds, const StepTimes& step_seconds = kNoStepTimes,
                                      double mix_step_seconds = -1, double margin = 0.03);

// The cost model's estimated seconds for every pass and candidate of a case (input sizes
// (N, C, H, W), weight sizes (O, C/groups, kh, kw)), used when measuring is off and to skip
// hopeless candidates when it is on.
PassTimes modelled_pass_seconds(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                const Conv2dFuncOptions& options, int threads);
// The same for the other kinds (Conv1dFuncOptions, Conv3dFuncOptions, ConvTranspose1d/2d/3dFuncOptions),
// per pass of the call (a transposed call's forward is its adjoint's grad-input, and so on).
template <typename Options>
PassTimes modelled_pass_seconds(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                                int threads);

struct AutotuneRecord {
  PassAlgorithms algorithms;
  PassTimes seconds;  // measured (or modelled, when `measured` is false)
  StepTimes step_seconds = kNoStepTimes;
  double mix_step_seconds = -1;  // the per-pass mix's whole step, when it was measured
  bool measured = false;
};

// What kAuto runs for this case in this process: the remembered record, or the cost model's if
// there is none yet (this function never measures). auto remembers calls whose input or weight
// is channels-last apart from contiguous ones (channels_last: the record of those; 2-D and 3-D).
AutotuneRecord auto_pass_algorithms(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                    const Conv2dFuncOptions& options = {}, c10::ScalarType dtype = c10::kFloat,
                                    bool channels_last = false);
// The same for the other kinds, per pass of the call (see modelled_pass_seconds).
template <typename Options>
AutotuneRecord auto_pass_algorithms(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                                    const Options& options, c10::ScalarType dtype = c10::kFloat,
                                    bool channels_last = false);

void set_autotune(bool enabled);  // default: on, unless OACONV_AUTOTUNE=0
bool autotune_enabled();
void clear_autotune_cache();
int64_t autotune_cache_size();
// One line per configuration; load merges into (and overrides) what is remembered. Errors name
// the path and line.
void save_autotune_cache(const std::string& path);
void load_autotune_cache(const std::string& path);

}  // namespace oaconv
