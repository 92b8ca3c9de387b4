#pragma once
// The Google Benchmark function behind every oaconv_bench row: one layer, one algorithm, one
// operation; the first call reported apart (cold_ms), then warm iterations with per-phase times.
#include "layer_passes.h"

#include <benchmark/benchmark.h>

#include <string>

namespace oaconv::bench {

// `row` names the benchmark. Google Benchmark calls this several times per repetition while
// it picks an iteration count; the layer (tensors, plans, spectra, auto's choice) is kept from
// one call to the next of the same row, so only the first call of each repetition is cold:
// there our caches and auto's measurements are cleared first, and cold_ms is that call's
// planning + kernel transform (+ auto's measuring). A slow baseline row (is_slow_baseline)
// makes no separate cold call: its first timed iteration is the first call, and cold_ms.
// The row whose layer, caches and auto choices are warm in this process; a call for any other
// row starts cold and claims it (an interleaved row, which clears the caches, empties it).
std::string& warm_row_name();

void run_layer_benchmark(benchmark::State& state, const std::string& row, const LayerShape& shape,
                         Algorithm algorithm, Operation op);

}  // namespace oaconv::bench
