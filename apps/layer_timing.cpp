#include "layer_timing.h"

#include "int_list.h"

#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <vector>

namespace oaconv::apps {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

LayerShape LayerShape::parse(const std::string& text) {
  const std::vector<int64_t> v = parse_int_list(text, "layer shape");
  TORCH_CHECK(v.size() == 6 || v.size() == 7, "layer shape: expected N,C,O,H,W,k[,groups], but got '", text, "'");
  for (int64_t x : v) TORCH_CHECK(x > 0, "layer shape: every value must be positive, but got '", text, "'");
  LayerShape s;
  s.batch = v[0]; s.in_channels = v[1]; s.out_channels = v[2];
  s.height = v[3]; s.width = v[4]; s.kernel = v[5];
  if (v.size() == 7) s.groups = v[6];
  return s;
}

std::string LayerShape::to_string() const {
  std::ostringstream s;
  s << "N" << batch << " C" << in_channels << "->" << out_channels << " " << height << "x" << width
    << " k" << kernel;
  if (groups != 1) s << " g" << groups;
  return s.str();
}

double LayerShape::forward_flops() const {
  const int64_t out_h = height + 2 * (kernel / 2) - kernel + 1;
  const int64_t out_w = width + 2 * (kernel / 2) - kernel + 1;
  return 2.0 * batch * out_channels * (in_channels / groups) * kernel * kernel * out_h * out_w;
}

LayerTiming time_layer(Algorithm algorithm, const LayerShape& s, int repeats, int warmup) {
  at::manual_seed(0);
  const at::Tensor x = at::randn({s.batch, s.in_channels, s.height, s.width}).requires_grad_(true);
  const at::Tensor w = (at::randn({s.out_channels, s.in_channels / s.groups, s.kernel, s.kernel}) * 0.1)
                           .requires_grad_(true);
  const at::Tensor b = at::randn({s.out_channels}).requires_grad_(true);
  const auto options = Conv2dFuncOptions().padding(s.kernel / 2).groups(s.groups).algorithm(algorithm);

  auto forward = [&] {
    at::NoGradGuard no_grad;
    (void)conv2d(x, w, b, options);
  };
  auto forward_backward = [&] {
    const at::Tensor y = conv2d(x, w, b, options);
    y.backward(at::ones_like(y));
  };
  LayerTiming timing;
  timing.cold_s = seconds(forward_backward);
  for (int i = 1; i < warmup; ++i) forward_backward();
  std::vector<double> f, fb;
  for (int i = 0; i < repeats; ++i) f.push_back(seconds(forward));
  const bool was_timing = phase_timing_enabled();
  set_phase_timing(true);
  reset_phase_times();
  for (int i = 0; i < repeats; ++i) fb.push_back(seconds(forward_backward));
  timing.phases = phase_times();
  set_phase_timing(was_timing);
  timing.forward_s = median(f);
  timing.forward_backward_s = median(fb);
  auto per_step = [&](double& v) { v /= std::max(1, repeats); };
  per_step(timing.phases.input_transform);
  per_step(timing.phases.kernel_transform);
  per_step(timing.phases.spectral_product);
  per_step(timing.phases.inverse_transform);
  per_step(timing.phases.overlap_add);
  return timing;
}

}  // namespace oaconv::apps
