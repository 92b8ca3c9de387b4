// `oaconv filter`: convolve a real image with a Gaussian, box or custom kernel by any algorithm,
// timing the first (cold: FFT planning, kernel transform) and later (warm) applications.
#include "commands.h"
#include "kernel_spec.h"
#include "output_paths.h"
#include "threads.h"

#include <oaconv/atomic_file.h>
#include <oaconv/datasets/image_file.h>
#include <oaconv/datasets/npy.h>
#include <oaconv/image_filter.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <vector>

namespace oaconv::apps {
namespace {

constexpr const char* kCommand = "oaconv filter";
constexpr int64_t kMaxRepeat = 1000;  // timed repeats of the filter (--repeat)

struct FilterArgs {
  std::string input, output, output_npy, kernel, algorithm = "auto", boundary = "zero", json;
  bool gray = false, correlate = false;
  int64_t repeat = 1, rank = 0;
  int threads = 0;
};

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void run_filter(const FilterArgs& a) {
  TORCH_CHECK(a.repeat >= 1 && a.repeat <= kMaxRepeat, kCommand, ": --repeat must be from 1 to ", kMaxRepeat, ", got ",
              a.repeat);
  TORCH_CHECK(a.rank >= 0, kCommand, ": --rank must be >= 0 (0 = exact), got ", a.rank);
  const FilterOptions options = FilterOptions()
                                    .algorithm(filter_algorithm_from_string(a.algorithm))
                                    .boundary(boundary_from_string(a.boundary))
                                    .correlate(a.correlate)
                                    .max_rank(a.rank);
  check_distinct_files(kCommand, {{"--input", a.input, true},
                                  {"--output", a.output},
                                  {"--output-npy", a.output_npy},
                                  {"--json", a.json}});
  check_writable_file(kCommand, a.output, "--output");
  if (!a.output_npy.empty()) check_writable_file(kCommand, a.output_npy, "--output-npy");
  if (!a.json.empty()) check_writable_file(kCommand, a.json, "--json");
  set_threads(a.threads);

  const at::Tensor kernel = kernel_from_spec(a.kernel);
  const at::Tensor rgb = datasets::read_image(a.input);
  // Planes (C, H, W): one for --gray, else R, G, B filtered alike.
  at::Tensor planes = a.gray ? datasets::rgb_to_gray(rgb).unsqueeze(0).contiguous() : rgb.permute({2, 0, 1}).contiguous();
  const int64_t h = planes.size(1), w = planes.size(2);
  // Before the filter factors the kernel (an SVD: seconds for a large one), which a kernel
  // larger than the image would waste.
  TORCH_CHECK(kernel.size(0) <= h && kernel.size(1) <= w, kCommand, ": the ", kernel.size(0), "x", kernel.size(1),
              " kernel is larger than the ", h, "x", w, " image '", a.input, "'");
  ImageFilter filter(kernel, options);
  const FilterAlgorithm resolved = filter.algorithm_for(h, w);

  std::vector<double> times;
  for (int64_t i = 0; i < a.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    planes = filter(planes);
    times.push_back(milliseconds_since(start));
  }
  const double cold = times.front();
  const bool has_warm = times.size() > 1;
  const double warm = has_warm ? median(std::vector<double>(times.begin() + 1, times.end())) : cold;

  const at::Tensor result = a.gray ? planes.squeeze(0) : planes.permute({1, 2, 0}).contiguous();
  datasets::write_image_png(a.output, result);
  if (!a.output_npy.empty()) datasets::write_npy(a.output_npy, result.to(at::kFloat));

  std::cout << std::fixed << std::setprecision(3) << "filtered " << w << "x" << h << (a.gray ? " gray" : " RGB")
            << " with a " << kernel.size(0) << "x" << kernel.size(1) << " kernel by " << to_string(resolved)
            << " (" << to_string(options.boundary()) << " boundary, " << (a.correlate ? "correlation" : "convolution")
            << ", " << at::get_num_threads() << " threads)";
  if (resolved == FilterAlgorithm::kSeparable) {
    std::cout << ", rank " << filter.factors().rank << " of " << filter.factors().numerical_rank
              << " (residual " << std::scientific << std::setprecision(2) << filter.factors().residual << ")"
              << std::fixed << std::setprecision(3);
  }
  std::cout << "\n  cold " << cold << " ms";
  if (has_warm) std::cout << ", warm median " << warm << " ms over " << times.size() - 1 << " applications";
  std::cout << "\n  wrote " << a.output << (a.output_npy.empty() ? "" : " and " + a.output_npy) << "\n";

  if (!a.json.empty()) {
    nlohmann::json report = {{"algorithm", to_string(resolved)},
                             {"requested_algorithm", a.algorithm},
                             {"cold_ms", cold},
                             {"warm_ms_median", has_warm ? nlohmann::json(warm) : nlohmann::json(nullptr)},
                             {"height", h},
                             {"width", w},
                             {"channels", planes.size(0)},
                             {"kernel", {kernel.size(0), kernel.size(1)}},
                             {"boundary", to_string(options.boundary())},
                             {"correlate", a.correlate},
                             {"repeat", a.repeat},
                             {"threads", at::get_num_threads()},
                             {"times_ms", times}};
    if (resolved == FilterAlgorithm::kSeparable) {
      report["rank"] = filter.factors().rank;
      report["residual"] = filter.factors().residual;
    }
    write_file_atomically(std::string(kCommand) + ": --json", a.json, report.dump(2) + "\n");
  }
}

}  // namespace

void add_filter_command(CLI::App& app) {
  auto args = std::make_shared<FilterArgs>();
  CLI::App* cmd = app.add_subcommand(
      "filter",
      "Convolve an image (PNG/JPEG) with a kernel by any algorithm: the seed's 'blur a photograph' job. "
      "Output is the input's size; the kernel centre is (kh/2, kw/2), as in scipy.ndimage.");
  cmd->add_option("--input", args->input, "image to filter (PNG, JPEG, BMP, ...)")->required();
  cmd->add_option("--output", args->output, "filtered image, PNG, values clamped to [0, 1]")->required();
  cmd->add_option("--output-npy", args->output_npy, "also the unclamped float32 result: (H, W) gray or (H, W, 3)");
  cmd->add_option("--kernel", args->kernel, "gaussian:SIZE:SIGMA, box:SIZE, or a .npy / text matrix file")->required();
  cmd->add_option("--algorithm", args->algorithm, "auto, aten, direct, fft, oaa, separable, box")->capture_default_str();
  cmd->add_flag("--gray", args->gray, "filter the luminance 0.299R + 0.587G + 0.114B instead of each colour");
  cmd->add_option("--boundary", args->boundary, "pixels beyond the edge: zero, reflect, replicate, circular")
      ->capture_default_str();
  cmd->add_flag("--correlate", args->correlate, "slide the kernel unflipped (cross-correlation)");
  cmd->add_option("--rank", args->rank, "separable: most rank-1 terms (0 = the kernel's rank, exact)")
      ->capture_default_str();
  cmd->add_option("--repeat", args->repeat, "apply the filter N times in a row (1..1000); times cold and warm applications")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--json", args->json, "write a timing report as JSON");
  cmd->callback([args] { run_filter(*args); });
}

}  // namespace oaconv::apps
