#include "sweep_shapes.h"

#include <oaconv/explain.h>

#include <c10/util/Exception.h>

#include <utility>

namespace oaconv::bench {

std::string LayerShape::name() const {
  std::string n = "H" + std::to_string(size[0]) + "_k" + std::to_string(kernel) + "_N" + std::to_string(batch) + "_C" +
                  std::to_string(in_channels) + "to" + std::to_string(out_channels) + "_g" + std::to_string(groups);
  return stride == 1 ? n : n + "_s" + std::to_string(stride);
}

LayerShape cubic_layer(std::string family, int64_t rank, bool transposed, int64_t batch, int64_t in_channels,
                       int64_t out_channels, int64_t size, int64_t kernel, int64_t groups, int64_t stride) {
  LayerShape s;
  s.family = std::move(family);
  s.rank = rank;
  s.transposed = transposed;
  s.batch = batch;
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  s.size.assign(static_cast<size_t>(rank), size);
  s.kernel = kernel;
  s.groups = groups;
  s.stride = stride;
  return s;
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
      shapes.push_back(cubic_layer("image_kernel", 2, false, std::max<int64_t>(1, (int64_t(1) << 15) / (s * s)), 16, 16,
                                   s, k));
    }
  }
  if (sweep == Sweep::kSmoke) {
    // One of each other kind, tiny: that every kind runs through every row type.
    shapes.push_back(cubic_layer("conv1d", 1, false, 2, 4, 4, 256, 33));
    shapes.push_back(cubic_layer("conv3d", 3, false, 1, 4, 4, 8, 3));
    shapes.push_back(cubic_layer("transposed2d", 2, true, 2, 4, 4, 8, 4, 1, 2));
    return shapes;
  }
  const bool quick = sweep == Sweep::kQuick;
  // Channels, batch and depthwise at 64x64, k = 7.
  for (int64_t c : quick ? std::vector<int64_t>{8, 64} : std::vector<int64_t>{4, 16, 32, 64, 128}) {
    shapes.push_back(cubic_layer("channels", 2, false, 8, c, c, 64, 7));
  }
  for (int64_t n : quick ? std::vector<int64_t>{1, 16} : std::vector<int64_t>{1, 4, 16, 64}) {
    shapes.push_back(cubic_layer("batch", 2, false, n, 16, 16, 64, 7));
  }
  for (int64_t k : quick ? std::vector<int64_t>{7, 31} : std::vector<int64_t>{3, 7, 15, 31}) {
    shapes.push_back(cubic_layer("depthwise", 2, false, 8, 64, 64, 64, k, 64));
  }
  // The depthwise layers of the models people train (issue targets in the standard sweep, a
  // quarter of the batch in quick): ConvNeXt k7, MobileNetV2 k3, its stride-2 k5, k13, RepLKNet
  // k31, and ResNeXt-50 32x4d's first grouped layer (4 channels a group).
  const int64_t dw_batch_div = quick ? 4 : 1;
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 32 / dw_batch_div, 96, 96, 56, 7, 96));
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 32 / dw_batch_div, 144, 144, 56, 3, 144));
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 32 / dw_batch_div, 240, 240, 28, 5, 240, 2));
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 8 / dw_batch_div, 256, 256, 28, 13, 256));
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 16 / dw_batch_div, 128, 128, 56, 31, 128));
  shapes.push_back(cubic_layer("depthwise_models", 2, false, 32 / dw_batch_div, 128, 128, 56, 3, 32));
  // The 3x3 layers of ResNet/VGG/U-Net stages (issue-target sizes in standard, a quarter of the
  // batch in quick): the baseline any 3x3 algorithm has to beat is aten's.
  const int64_t k3_batch_div = quick ? 4 : 1;
  shapes.push_back(cubic_layer("conv3x3", 2, false, 32 / k3_batch_div, 64, 64, 56, 3));
  shapes.push_back(cubic_layer("conv3x3", 2, false, 16 / k3_batch_div, 128, 128, 28, 3));
  shapes.push_back(cubic_layer("conv3x3", 2, false, 8 / k3_batch_div, 256, 256, 14, 3));
  shapes.push_back(cubic_layer("conv3x3", 2, false, 32 / k3_batch_div, 32, 32, 32, 3));
  // The other kinds, at the sizes of their speed targets (the standard sweep) or smaller (quick).
  // 1-D: long kernels over long signals (audio, sequences), 16 -> 16 channels, and depthwise.
  for (int64_t k : quick ? std::vector<int64_t>{129} : std::vector<int64_t>{65, 257, 1025}) {
    shapes.push_back(cubic_layer("conv1d", 1, false, 8, 16, 16, quick ? 4096 : 16384, k));
  }
  shapes.push_back(cubic_layer("depthwise1d", 1, false, 8, 64, 64, 4096, 129, 64));
  // 3-D: video and volume layers.
  for (int64_t k : quick ? std::vector<int64_t>{3, 7} : std::vector<int64_t>{3, 5, 7}) {
    shapes.push_back(cubic_layer("conv3d", 3, false, 2, 16, 16, quick ? 16 : 32, k));
  }
  // Transposed: a large-kernel decoder layer at stride 1, and the x2 upsampling of U-Nets/GANs.
  shapes.push_back(cubic_layer("transposed2d", 2, true, 8, 32, 32, quick ? 32 : 64, 15));
  shapes.push_back(cubic_layer("transposed2d", 2, true, 16, 64, 32, 32, 4, 1, 2));
  shapes.push_back(cubic_layer("transposed3d", 3, true, 2, 16, 16, quick ? 8 : 16, 4, 1, 2));
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
  // Direct where it can win: small layers, and depthwise ones and groups of up to 4 channels in
  // and out (its channel-blocked loops).
  const bool small_groups = shape.groups > 1 && shape.in_channels == shape.out_channels &&
                            shape.in_channels / shape.groups <= 4;
  if (shape.forward_macs() < 3e8 || small_groups) {
    out.push_back(Algorithm::kDirect);
  }
  out.push_back(Algorithm::kWinograd);
  // An algorithm that declines the layer would run aten under its own name: not a row.
  std::vector<Algorithm> runs;
  for (Algorithm a : out) {
    const std::string reason = shape.with_options(a, [&](const auto& options) {
      return declined_reason(shape.input_sizes(), shape.weight_sizes(), options, a);
    });
    if (reason.empty()) runs.push_back(a);
  }
  return runs;
}

}  // namespace oaconv::bench
