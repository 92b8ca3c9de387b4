// oaconv_bench: layer throughput of every algorithm (aten beside each in the same run) over
// sweeps of image size, kernel size, channels, batch and depthwise layers; forward, grad-input,
// grad-weight and forward+backward; the first call of each (FFTW planning, kernel transform,
// auto's measuring) reported apart as cold_ms. Usage:
//   oaconv_bench [--sweep smoke|quick|standard] [--operations fwd_bwd,forward,...] [benchmark flags]
// Threads: OACONV_THREADS (default all cores), printed in the context. scripts/bench runs it.
#include "layer_passes.h"
#include "sweep_shapes.h"
#include "../bench_threads.h"

#include <oaconv/oaconv.h>

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using oaconv::bench::LayerPasses;
using oaconv::bench::LayerShape;
using oaconv::bench::Operation;

void BM_Layer(benchmark::State& state, LayerShape shape, oaconv::Algorithm algorithm, Operation op) {
  oaconv::bench::configure_threads();
  LayerPasses layer(shape, algorithm, op);
  // Cold: our plan and kernel caches empty (FFTW's own wisdom from earlier shapes may remain).
  oaconv::clear_caches();
  const auto t0 = std::chrono::steady_clock::now();
  layer.prepare();
  layer.run();
  state.counters["cold_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  oaconv::set_phase_timing(true);
  oaconv::PhaseTimes p;  // of the timed parts only
  const auto add_phases_since = [&p](const oaconv::PhaseTimes& before) {
    const oaconv::PhaseTimes now = oaconv::phase_times();
    p.input_transform += now.input_transform - before.input_transform;
    p.kernel_transform += now.kernel_transform - before.kernel_transform;
    p.spectral_product += now.spectral_product - before.spectral_product;
    p.inverse_transform += now.inverse_transform - before.inverse_transform;
    p.overlap_add += now.overlap_add - before.overlap_add;
  };
  for (auto _ : state) {
    if (op == Operation::kGradInput || op == Operation::kGradWeight) {
      state.PauseTiming();
      layer.prepare();
      state.ResumeTiming();
    }
    const oaconv::PhaseTimes before = oaconv::phase_times();
    layer.run();
    add_phases_since(before);
  }
  oaconv::set_phase_timing(false);
  const double passes = op == Operation::kForwardBackward ? 3.0 : 1.0;
  state.counters["GFLOP/s"] =
      benchmark::Counter(passes * 2 * shape.forward_macs() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = at::get_num_threads();
  const double n = static_cast<double>(state.iterations());
  if (p.input_transform + p.kernel_transform + p.spectral_product > 0) {
    state.counters["input_fft_ms"] = p.input_transform / n * 1e3;
    state.counters["kernel_fft_ms"] = p.kernel_transform / n * 1e3;
    state.counters["product_ms"] = p.spectral_product / n * 1e3;
    state.counters["inverse_fft_ms"] = p.inverse_transform / n * 1e3;
    state.counters["overlap_add_ms"] = p.overlap_add / n * 1e3;
  }
}

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
  for (const LayerShape& shape : oaconv::bench::sweep_shapes(s)) {
    std::vector<Operation> ops = chosen;
    if (ops.empty()) {
      ops = {Operation::kForwardBackward};
      if (shape.family != "image_kernel" || s == oaconv::bench::Sweep::kSmoke) {
        ops.insert(ops.end(), {Operation::kForward, Operation::kGradInput, Operation::kGradWeight});
      }
    }
    for (Operation op : ops) {
      for (oaconv::Algorithm a : oaconv::bench::algorithms_for(shape)) {
        const std::string name = shape.family + "/" + oaconv::bench::to_string(op) + "/" + shape.name() + "/" +
                                 oaconv::to_string(a);
        auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Layer, shape, a, op)
                      ->Unit(benchmark::kMillisecond)
                      ->UseRealTime();
        if (s == oaconv::bench::Sweep::kSmoke) {
          b->Iterations(2);
        } else {
          b->MinTime(s == oaconv::bench::Sweep::kQuick ? 0.05 : 0.2);
        }
      }
    }
  }
  benchmark::AddCustomContext("sweep", sweep);
  std::cerr << "oaconv_bench: sweep " << sweep << ", " << threads << " threads\n";
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
