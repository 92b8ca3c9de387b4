#include "sweep_shapes.h"

#include <c10/util/Exception.h>

namespace oaconv::bench {

double LayerShape::forward_macs() const {
  return static_cast<double>(batch) * out_channels * (in_channels / groups) * size * size * kernel * kernel;
}

std::string LayerShape::name() const {
  return "H" + std::to_string(size) + "_k" + std::to_string(kernel) + "_N" + std::to_string(batch) + "_C" +
         std::to_string(in_channels) + "to" + std::to_string(out_channels) + "_g" + std::to_string(groups);
}

Sweep sweep_from_string(const std::string& name) {
  if (name == "smoke") return Sweep::kSmoke;
  if (name == "quick") return Sweep::kQuick;
  if (name == "standard") return Sweep::kStandard;
  TORCH_CHECK(false, "oaconv_bench: unknown --sweep '", name, "'; expected smoke, quick or standard");
}

std::vector<LayerShape> sweep_shapes(Sweep sweep) {
  std::vector<LayerShape> shapes;
  // Image size x kernel size at 16 -> 16 channels, the batch scaled so every shape has about
  // 2^15 pixels per channel (128 images of 16x16 ... 1 of 512x512): the seed's two graphs and
  // the heat map.
  std::vector<int64_t> sizes{16, 32, 64, 128, 256, 512}, kernels{1, 3, 5, 7, 11, 15, 21, 31};
  if (sweep == Sweep::kQuick) sizes = {32, 128}, kernels = {3, 7, 15};
  if (sweep == Sweep::kSmoke) sizes = {16}, kernels = {3, 5};
  for (int64_t s : sizes) {
    for (int64_t k : kernels) {
      shapes.push_back({"image_kernel", std::max<int64_t>(1, (int64_t(1) << 15) / (s * s)), 16, 16, s, k, 1});
    }
  }
  if (sweep == Sweep::kSmoke) return shapes;
  // Channels, batch and depthwise at 64x64, k = 7.
  for (int64_t c : sweep == Sweep::kQuick ? std::vector<int64_t>{8, 64} : std::vector<int64_t>{4, 16, 32, 64, 128}) {
    shapes.push_back({"channels", 8, c, c, 64, 7, 1});
  }
  for (int64_t n : sweep == Sweep::kQuick ? std::vector<int64_t>{1, 16} : std::vector<int64_t>{1, 4, 16, 64}) {
    shapes.push_back({"batch", n, 16, 16, 64, 7, 1});
  }
  for (int64_t k : sweep == Sweep::kQuick ? std::vector<int64_t>{7, 31} : std::vector<int64_t>{3, 7, 15, 31}) {
    shapes.push_back({"depthwise", 8, 64, 64, 64, k, 64});
  }
  return shapes;
}

SweepTiming timing_of(Sweep sweep) {
  SweepTiming t;
  switch (sweep) {
    case Sweep::kSmoke:  // exact iteration counts, two rounds: only that it all runs
      t.iterations = 2;
      break;
    case Sweep::kQuick:
      t.min_time_s = 0.03;
      t.comparison_repetitions = 2;
      t.comparison_min_rounds = 12, t.comparison_min_time_s = 0.5, t.comparison_max_time_s = 1.5;
      t.pass_min_rounds = 4, t.pass_min_time_s = 0.1;
      break;
    case Sweep::kStandard:
      t.repetitions = 3, t.min_time_s = 0.05;
      t.comparison_repetitions = 3;
      t.comparison_min_rounds = 20, t.comparison_min_time_s = 0.5, t.comparison_max_time_s = 2.0;
      t.pass_min_rounds = 5, t.pass_min_time_s = 0.2;
      break;
  }
  return t;
}

int repetitions_for(Algorithm algorithm, double modelled_seconds, const SweepTiming& timing) {
  if (algorithm == Algorithm::kAuto) return 1;
  return is_slow_baseline(algorithm, modelled_seconds) ? 1 : timing.repetitions;
}

bool is_slow_baseline(Algorithm algorithm, double modelled_seconds) {
  return (algorithm == Algorithm::kAten || algorithm == Algorithm::kDirect) && modelled_seconds > kSlowBaselineSeconds;
}

std::vector<Algorithm> algorithms_for(const LayerShape& shape) {
  std::vector<Algorithm> out{Algorithm::kAten, Algorithm::kFft, Algorithm::kOverlapAdd, Algorithm::kAuto};
  if (shape.forward_macs() < 3e8) out.push_back(Algorithm::kDirect);
  return out;
}

}  // namespace oaconv::bench
