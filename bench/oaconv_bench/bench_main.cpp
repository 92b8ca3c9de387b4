// oaconv_bench: layer throughput of every algorithm (aten beside each in the same run) over
// sweeps of image size, kernel size, channels, batch and depthwise layers; forward, grad-input,
// grad-weight and forward+backward; the first call of each (FFTW planning, kernel transform,
// auto's measuring) reported apart as cold_ms; rows repeated in random interleaved order, and per
// (shape, operation) an `interleaved` row timing all algorithms in shared rounds (the one
// bench/plot.py judges auto by). Usage:
//   oaconv_bench [--sweep smoke|quick|standard] [--operations fwd_bwd,forward,...] [benchmark flags]
// Threads: OACONV_THREADS (default all cores), printed in the context. scripts/bench runs it.
#include "interleaved_comparison.h"
#include "layer_benchmark.h"
#include "layer_passes.h"
#include "sweep_shapes.h"
#include "../bench_threads.h"

#include <oaconv/oaconv.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using oaconv::bench::LayerShape;
using oaconv::bench::Operation;

std::vector<Operation> parse_operations(const std::string& list) {
  std::vector<Operation> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    bool found = false;
    for (Operation op : {Operation::kForward, Operation::kGradInput, Operation::kGradWeight, Operation::kForwardBackward}) {
      if (name == oaconv::bench::to_string(op)) out.push_back(op), found = true;
    }
    if (!found) {
      std::cerr << "oaconv_bench: unknown operation '" << name << "'; expected forward, grad_input, grad_weight, fwd_bwd\n";
      std::exit(2);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sweep = "standard", operations;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--sweep=", 8) == 0) {
      sweep = argv[i] + 8;
    } else if (std::strncmp(argv[i], "--operations=", 13) == 0) {
      operations = argv[i] + 13;
    } else {
      rest.push_back(argv[i]);
    }
  }
  oaconv::bench::Sweep s;
  try {
    s = oaconv::bench::sweep_from_string(sweep);
  } catch (const c10::Error& e) {
    std::cerr << e.what_without_backtrace() << "\n";
    return 2;
  }
  // Default operations: fwd_bwd everywhere; the three passes on their own for the channels,
  // batch and depthwise families (and on every smoke shape).
  const std::vector<Operation> chosen = operations.empty() ? std::vector<Operation>{} : parse_operations(operations);
  const int threads = oaconv::bench::configure_threads();
  const oaconv::bench::SweepTiming timing = oaconv::bench::timing_of(s);
  // Google Benchmark's own flags, when given, replace the sweep's timing (a per-benchmark
  // setting would otherwise silently override them).
  const auto given = [&rest](const char* flag) {
    return std::any_of(rest.begin() + 1, rest.end(), [flag](const char* a) { return std::strncmp(a, flag, std::strlen(flag)) == 0; });
  };
  const bool own_min_time = !given("--benchmark_min_time"), own_repetitions = !given("--benchmark_repetitions");
  // fixed_iterations > 0: the row times itself within that many iterations (the interleaved rows).
  const auto time_as_sweep = [&](benchmark::internal::Benchmark* b, int repetitions, int64_t fixed_iterations) {
    b->Unit(benchmark::kMillisecond)->UseRealTime();
    if (fixed_iterations > 0) {
      b->Iterations(fixed_iterations);
    } else if (timing.iterations > 0) {
      b->Iterations(timing.iterations);
    } else if (own_min_time) {
      b->MinTime(timing.min_time_s);
    }
    if (own_repetitions && repetitions > 1) b->Repetitions(repetitions)->DisplayAggregatesOnly(true);
  };
  // The interleaved rows run their own rounds in one iteration per repetition; a
  // --benchmark_min_time given replaces their minimum time too.
  oaconv::bench::ComparisonTiming comparison{timing.comparison_min_rounds, timing.comparison_min_time_s,
                                             timing.comparison_max_time_s};
  for (const char* a : rest) {
    if (std::strncmp(a, "--benchmark_min_time=", 21) == 0) comparison.min_time_s = std::atof(a + 21);
  }
  oaconv::bench::ComparisonTiming pass_comparison = comparison;
  pass_comparison.min_rounds = timing.pass_min_rounds;
  if (own_min_time) pass_comparison.min_time_s = timing.pass_min_time_s;
  for (const LayerShape& shape : oaconv::bench::sweep_shapes(s)) {
    std::vector<Operation> ops = chosen;
    if (ops.empty()) {
      ops = {Operation::kForwardBackward};
      if (shape.family != "image_kernel" || s == oaconv::bench::Sweep::kSmoke) {
        ops.insert(ops.end(), {Operation::kForward, Operation::kGradInput, Operation::kGradWeight});
      }
    }
    for (Operation op : ops) {
      const std::string prefix = shape.family + "/" + oaconv::bench::to_string(op) + "/" + shape.name() + "/";
      for (oaconv::Algorithm a : oaconv::bench::algorithms_for(shape)) {
        const std::string name = prefix + oaconv::to_string(a);
        const double modelled = a == oaconv::Algorithm::kAuto ? 0.0 : oaconv::bench::modelled_seconds(shape, a, op);
        time_as_sweep(benchmark::RegisterBenchmark(name.c_str(), oaconv::bench::run_layer_benchmark, name, shape, a, op),
                      oaconv::bench::repetitions_for(a, modelled, timing), 0);
      }
      // Every algorithm again, in shared rounds: the row bench/plot.py judges auto by.
      const std::string name = prefix + "interleaved";
      time_as_sweep(benchmark::RegisterBenchmark(name.c_str(), oaconv::bench::run_interleaved_comparison, shape,
                                                 oaconv::bench::algorithms_for(shape), op,
                                                 op == Operation::kForwardBackward ? comparison : pass_comparison),
                    timing.comparison_repetitions, 1);
    }
  }
  benchmark::AddCustomContext("sweep", sweep);
  if (own_repetitions) {
    benchmark::AddCustomContext("repetitions", std::to_string(timing.repetitions));
    benchmark::AddCustomContext("comparison_repetitions", std::to_string(timing.comparison_repetitions));
    std::cerr << "oaconv_bench: sweep " << sweep << ", " << threads << " threads, " << timing.repetitions
              << " repetition(s) per row, " << timing.comparison_repetitions << " per interleaved row\n";
  } else {
    std::cerr << "oaconv_bench: sweep " << sweep << ", " << threads << " threads\n";
  }
  // Repetitions of all rows run in random order (Google Benchmark's random interleaving), so a
  // slow minute of the machine lands on a few repetitions of many rows, not on all of one row;
  // the median of each row's repetitions is what bench/plot.py compares. A flag given on the
  // command line comes later and wins.
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  if (!own_repetitions || timing.repetitions > 1 || timing.comparison_repetitions > 1) rest.insert(rest.begin() + 1, interleave.data());
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
