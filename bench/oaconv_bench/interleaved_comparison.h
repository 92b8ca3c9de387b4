#pragma once
// One row per (shape, operation) that times every algorithm in the same rounds: each round
// runs every algorithm once, in a random order, and each algorithm's time is the median of its
// own runs in these rounds. One call of the row (registered with one iteration) is one
// repetition: its set-up and all its rounds. A slow moment of the machine
// (this machine's timings drift by 10-40 % from one second to the next) thus hits all
// algorithms alike, and the ratios - auto against the best single algorithm and against aten,
// the `auto` targets - are honest where rows timed minutes apart are not. Where oaa's tiling
// is fft's single tile (the same code) it is timed once, as fft (counter oaa_is_fft).
#include "layer_passes.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace oaconv::bench {

// Rounds per repetition: at least min_rounds and min_time_s, but no longer than max_time_s
// (0: no limit) once there are a few.
struct ComparisonTiming {
  int64_t min_rounds;
  double min_time_s;
  double max_time_s;
};

// Counters: <algorithm>_ms for every algorithm in the rounds; <algorithm>_excluded_ms (its
// warm time) for one left out of the rounds because a call of it took over 3x the fastest
// algorithm's (aten at k = 31 takes seconds: it can neither be the best nor near auto); none
// for aten or direct where the cost model puts them over 10x the best (not run here; their
// own rows have their times). auto is always in. Each repetition clears our caches and auto's
// choices, so auto measures again in every repetition (its decision is part of what is
// compared); cold_ms is auto's first call; rounds, how many ran.
void run_interleaved_comparison(benchmark::State& state, const LayerShape& shape,
                                const std::vector<Algorithm>& algorithms, Operation op, const ComparisonTiming& timing);

}  // namespace oaconv::bench
