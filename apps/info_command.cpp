// `oaconv info`: versions, threads, BLAS and FFTW, and a one-shape comparison of the
// algorithms (forward and forward+backward, float32, medians of interleaved rounds, aten in every round).
#include "commands.h"
#include "layer_timing.h"
#include "threads.h"

#include <oaconv/algorithm.h>
#include <oaconv/build_info.h>
#include <oaconv/explain.h>
#include <oaconv/functional.h>
#include <oaconv/options.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace oaconv::apps {
namespace {

struct InfoArgs {
  int threads = 0;
  std::string shape = "8,16,16,64,64,5";
  std::string kind = "conv2d";
  int64_t stride = 1;
  std::optional<int64_t> padding;
  std::string algorithms = "aten,direct";
  int repeats = 5;
  bool no_timing = false;
  bool phases = false;
  bool channels_last = false;
  std::string explain;
};

std::vector<Algorithm> parse_algorithms(const std::string& list) {
  std::vector<Algorithm> out;
  std::stringstream ss(list);
  std::string name;
  while (std::getline(ss, name, ',')) out.push_back(algorithm_from_string(name));
  TORCH_CHECK(!out.empty(), "--algorithms: expected a comma-separated list, got '", list, "'");
  return out;
}

// Seconds of one forward+backward of an auto layer of this shape, on random data.
double time_auto_step(const LayerShape& e) {
  const at::Tensor x = at::randn(e.input_sizes()).contiguous(e.memory_format()).requires_grad_(true);
  const at::Tensor w = (at::randn(e.weight_sizes()) * 0.05).requires_grad_(true);
  const at::Tensor b = at::zeros({e.out_channels}).requires_grad_(true);
  const auto start = std::chrono::steady_clock::now();
  e.run(x, w, b, Algorithm::kAuto).sum().backward();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// explain_conv for the layer's kind, with the options it is timed with.
std::string explain_layer(const LayerShape& e) {
  return e.with_options(Algorithm::kAuto, [&](const auto& options) {
    return explain_conv(e.input_sizes(), e.weight_sizes(), options, c10::kFloat, e.channels_last);
  });
}

void run_info(const InfoArgs& args) {
  set_threads(args.threads);
  std::cout << build_info();
  // Threads that spin while they wait (libgomp's default) slow every pass when another process
  // shares the cores; passive ones cost nothing measurable on a quiet machine (docs/design.md).
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::cout << "OpenMP wait policy: " << (wait_policy ? wait_policy : "libgomp's default (spins; OMP_WAIT_POLICY=passive for a shared machine)") << "\n";
  if (!args.explain.empty()) {
    LayerShape e = LayerShape::parse(args.explain, args.kind, args.stride, args.padding);
    if (args.channels_last) e.set_channels_last();
    if (!args.no_timing) {
      // A training step with auto on this shape: the first call measures (autotuning).
      const double first = time_auto_step(e), second = time_auto_step(e);
      std::printf("\nauto forward+backward: first call %.1f ms (autotuning included), second %.1f ms\n",
                  first * 1e3, second * 1e3);
    }
    std::cout << "\n"
              << explain_layer(e);
    return;
  }
  if (args.no_timing) return;
  LayerShape shape = LayerShape::parse(args.shape, args.kind, args.stride, args.padding);
  if (args.channels_last) shape.set_channels_last();
  // aten's row first when not asked for: every ratio is to it.
  std::vector<Algorithm> algorithms = parse_algorithms(args.algorithms);
  if (std::find(algorithms.begin(), algorithms.end(), Algorithm::kAten) == algorithms.end()) {
    algorithms.insert(algorithms.begin(), Algorithm::kAten);
  }
  std::printf("\nlayer %s, float32, medians of %d interleaved rounds (each: a no-grad forward and a training step of "
              "every algorithm, the weight updated every step, the order rotated) after a warm-up\n",
              shape.to_string().c_str(), args.repeats);
  std::printf("%-8s %12s %10s %12s %14s %10s\n", "algo", "forward ms", "GFLOP/s", "vs aten",
              "fwd+bwd ms", "vs aten");
  // Declined algorithms are named, not timed (their calls run aten); aten is always timed, as
  // the baseline of the ratios, in the same interleaved rounds as the others.
  std::vector<Algorithm> timed{Algorithm::kAten};
  std::vector<std::string> declined(algorithms.size());
  for (size_t i = 0; i < algorithms.size(); ++i) {
    const Algorithm a = algorithms[i];
    declined[i] = shape.with_options(a, [&](const auto& options) {
      return declined_reason(shape.input_sizes(), shape.weight_sizes(), options, a);
    });
    if (declined[i].empty() && std::find(timed.begin(), timed.end(), a) == timed.end()) timed.push_back(a);
  }
  const std::vector<LayerTiming> timings = time_layers(timed, shape, args.repeats);
  const auto timing_of = [&](Algorithm a) -> const LayerTiming& {
    return timings[std::find(timed.begin(), timed.end(), a) - timed.begin()];
  };
  const LayerTiming& aten = timings.front();
  for (size_t i = 0; i < algorithms.size(); ++i) {
    const Algorithm a = algorithms[i];
    if (!declined[i].empty()) {
      std::printf("%-8s declines this layer (%s): a call with it runs aten, not timed\n", to_string(a).c_str(),
                  declined[i].c_str());
      continue;
    }
    const LayerTiming& t = timing_of(a);
    std::printf("%-8s %12.3f %10.1f %11.2fx %14.3f %9.2fx\n", to_string(a).c_str(),
                t.forward_s * 1e3, shape.forward_flops() / t.forward_s * 1e-9,
                aten.forward_s / t.forward_s, t.forward_backward_s * 1e3,
                aten.forward_backward_s / t.forward_backward_s);
  }
  std::printf("(vs aten > 1 means faster than aten)\n");
  if (args.phases) {
    std::printf("\nper forward+backward, ms: cold | input fft | kernel fft | product | inverse fft | overlap-add | peak workspace MiB\n");
    for (Algorithm a : timed) {
      if (a != Algorithm::kFft && a != Algorithm::kOverlapAdd) continue;
      const LayerTiming& t = timing_of(a);
      const PhaseTimes& p = t.phases;
      std::printf("%-8s %8.2f | %9.2f | %10.2f | %7.2f | %11.2f | %11.2f | %6.1f\n", to_string(a).c_str(),
                  t.cold_s * 1e3, p.input_transform * 1e3, p.kernel_transform * 1e3, p.spectral_product * 1e3,
                  p.inverse_transform * 1e3, p.overlap_add * 1e3, p.peak_workspace_bytes / 1048576.0);
    }
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Print versions, threads, BLAS, FFTW and a one-shape algorithm comparison");
  cmd->add_option("--threads", args->threads, "Intra-op threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--shape", args->shape,
                  "Layer to time: N,C,O,<sizes>,k[,groups] (conv1d N,C,O,L,k; conv3d N,C,O,D,H,W,k)")
      ->capture_default_str();
  cmd->add_option("--kind", args->kind,
                  "conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d or conv_transpose3d "
                  "(padding k/2; transposed: (k - stride)/2; --padding sets it)")
      ->capture_default_str();
  cmd->add_option("--stride", args->stride, "Stride of the layer (every axis)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--padding", args->padding,
                  "Padding of the layer (every axis; default k/2, transposed (k - stride)/2)");
  cmd->add_option("--algorithms", args->algorithms, "Comma-separated algorithms to time")->capture_default_str();
  cmd->add_option("--repeats", args->repeats, "Timed repetitions (median reported)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--no-timing", args->no_timing, "Only print versions and threads");
  cmd->add_flag("--phases", args->phases, "Also print the per-phase times of fft and oaa");
  cmd->add_flag("--channels-last", args->channels_last,
                "Input (and so the result and gradients) channels-last: NHWC, NDHWC for conv3d");
  cmd->add_option("--explain", args->explain,
                  "Print what auto picks for a layer of --kind (shape as --shape) and why");
  cmd->callback([args] { run_info(*args); });
}

}  // namespace oaconv::apps
