// UavTargets: options, labels, and the batched rendering pipeline.
#include <oaconv/datasets/uav_targets.h>

#include "counter_rng.h"
#include "sample_params.h"
#include "scene_renderer.h"

#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/nn/functional/padding.h>

namespace oaconv::datasets {

LabelKind label_kind_from_string(const std::string& name) {
  if (name == "shape") return LabelKind::kShape;
  if (name == "shape_color") return LabelKind::kShapeColor;
  if (name == "character") return LabelKind::kCharacter;
  if (name == "character_color") return LabelKind::kCharacterColor;
  if (name == "angle") return LabelKind::kAngle;
  TORCH_CHECK(false, "oaconv::datasets: unknown label '", name,
              "'; expected shape, shape_color, character, character_color or angle");
}

Difficulty difficulty_from_string(const std::string& name) {
  if (name == "easy") return Difficulty::kEasy;
  if (name == "default") return Difficulty::kDefault;
  if (name == "hard") return Difficulty::kHard;
  TORCH_CHECK(false, "oaconv::datasets: unknown difficulty '", name, "'; expected easy, default or hard");
}

std::string to_string(LabelKind kind) {
  static const char* names[] = {"shape", "shape_color", "character", "character_color", "angle"};
  return names[static_cast<int>(kind)];
}

std::string to_string(Difficulty difficulty) {
  static const char* names[] = {"easy", "default", "hard"};
  return names[static_cast<int>(difficulty)];
}

UavTargets::UavTargets(UavTargetsOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  TORCH_CHECK(o.image_size() >= 32 && o.image_size() <= 256, "oaconv::datasets::UavTargets: image_size must be in ",
              "[32, 256], but got ", o.image_size());
  TORCH_CHECK(o.count() >= 0, "oaconv::datasets::UavTargets: count must be non-negative, but got ", o.count());
  TORCH_CHECK(o.background_fraction() >= 0 && o.background_fraction() < 1,
              "oaconv::datasets::UavTargets: background_fraction must be in [0, 1), but got ", o.background_fraction());
  TORCH_CHECK(o.jpeg_probability() >= 0 && o.jpeg_probability() <= 1,
              "oaconv::datasets::UavTargets: jpeg_probability must be in [0, 1], but got ", o.jpeg_probability());
}

uint64_t UavTargets::split_seed(uint64_t base_seed, Split split) {
  // Disjoint: each split's seed is a different bijective mix of the base seed.
  return mix64(base_seed * 4 + static_cast<uint64_t>(split) + 0x5eed);
}

int64_t UavTargets::num_classes() const { return static_cast<int64_t>(class_names().size()); }

std::vector<std::string> UavTargets::class_names() const {
  std::vector<std::string> names;
  switch (options_.label()) {
    case LabelKind::kShape:
      for (Shape s : profile_shapes(options_.profile())) names.push_back(to_string(s));
      break;
    case LabelKind::kShapeColor:
    case LabelKind::kCharacterColor:
      for (Color c : profile_colors(options_.profile())) names.push_back(to_string(c));
      break;
    case LabelKind::kCharacter:
      for (char c : characters()) names.push_back(std::string(1, c));
      break;
    case LabelKind::kAngle:
      for (const auto& p : compass_points()) names.push_back(p);
      break;
  }
  if (options_.background_fraction() > 0) names.push_back("background");
  return names;
}

std::vector<TargetSample> UavTargets::render(const std::vector<int64_t>& indices) const {
  const int64_t count = static_cast<int64_t>(indices.size());
  const int64_t s = options_.image_size(), plane = 3 * s * s;
  for (int64_t i : indices) {
    TORCH_CHECK(i >= 0 && i < options_.count(), "oaconv::datasets::UavTargets: index ", i, " out of range [0, ",
                options_.count(), ")");
  }
  std::vector<SampleParams> params(count);
  at::Tensor linear = at::empty({1, 3 * count, s, s});
  const BlurSizes sizes = blur_sizes(s, options_.difficulty());
  at::Tensor gaussian = at::empty({3 * count, 1, 1, sizes.gaussian});
  at::Tensor motion = at::empty({3 * count, 1, sizes.motion, sizes.motion});
  float* lin = linear.data_ptr<float>();
  float* gau = gaussian.data_ptr<float>();
  float* mot = motion.data_ptr<float>();
  const int64_t g = sizes.gaussian, m2 = sizes.motion * sizes.motion;
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      params[j] = draw_sample_params(options_, indices[j]);
      render_linear_scene(params[j], lin + j * plane);
      camera_blur(params[j], sizes, gau + 3 * j * g, mot + 3 * j * m2);
      for (int c = 1; c < 3; ++c) {  // the same blur on every channel
        std::copy(gau + 3 * j * g, gau + (3 * j + 1) * g, gau + (3 * j + c) * g);
        std::copy(mot + 3 * j * m2, mot + (3 * j + 1) * m2, mot + (3 * j + c) * m2);
      }
    }
  });
  // Depthwise convolutions blur every channel of every sample with its own kernels (oaconv's
  // direct algorithm: exact, deterministic per pixel whatever the batch or thread count), with
  // reflected borders, as the crop's surroundings would continue the ground: the Gaussian along
  // rows, then along columns, then the motion segment.
  namespace F = torch::nn::functional;
  const auto depthwise = Conv2dFuncOptions().groups(3 * count).algorithm(Algorithm::kDirect);
  auto blur_with = [&](const at::Tensor& x, const at::Tensor& kernel) {
    const int64_t ph = kernel.size(2) / 2, pw = kernel.size(3) / 2;
    const at::Tensor padded = F::pad(x, F::PadFuncOptions({pw, pw, ph, ph}).mode(torch::kReflect));
    return oaconv::conv2d(padded, kernel, {}, depthwise);
  };
  const at::Tensor blurred =
      blur_with(blur_with(blur_with(linear, gaussian), gaussian.transpose(2, 3).contiguous()), motion).contiguous();
  at::Tensor images = at::empty({count, 3, s, s});
  const float* blur = blurred.data_ptr<float>();
  float* out = images.data_ptr<float>();
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) finish_image(params[j], blur + j * plane, out + j * plane);
  });
  std::vector<TargetSample> samples(count);
  for (int64_t j = 0; j < count; ++j) {
    const SampleParams& p = params[j];
    TargetSample& t = samples[j];
    t.image = images[j];
    t.label = p.label;
    t.background = p.background;
    t.shape = p.shape;
    t.shape_color = p.shape_color;
    t.character_color = p.character_color;
    t.character = p.character;
    t.angle_degrees = p.angle_degrees;
    t.metadata_json = to_json_line(p);
  }
  return samples;
}

std::pair<at::Tensor, at::Tensor> UavTargets::render_range(int64_t begin, int64_t count) const {
  TORCH_CHECK(count >= 0 && begin >= 0 && begin + count <= options_.count(),
              "oaconv::datasets::UavTargets: range [", begin, ", ", begin + count, ") is outside [0, ", options_.count(), ")");
  std::vector<int64_t> indices(count);
  for (int64_t j = 0; j < count; ++j) indices[j] = begin + j;
  return render_indices(indices);
}

std::pair<at::Tensor, at::Tensor> UavTargets::render_indices(const std::vector<int64_t>& indices) const {
  const auto count = static_cast<int64_t>(indices.size());
  const int64_t s = options_.image_size();
  at::Tensor images = at::empty({count, 3, s, s});
  at::Tensor labels = at::empty({count}, at::kLong);
  constexpr int64_t kChunk = 256;  // bounds the blur's batch (and memory)
  for (int64_t c0 = 0; c0 < count; c0 += kChunk) {
    const int64_t n = std::min(kChunk, count - c0);
    const auto samples = render(std::vector<int64_t>(indices.begin() + c0, indices.begin() + c0 + n));
    for (int64_t j = 0; j < n; ++j) {
      images[c0 + j].copy_(samples[j].image);
      labels[c0 + j] = samples[j].label;
    }
  }
  return {images, labels};
}

torch::data::Example<> UavTargets::get(size_t index) {
  const auto samples = render({static_cast<int64_t>(index)});
  return {samples[0].image, at::scalar_tensor(samples[0].label, at::kLong)};
}

std::vector<torch::data::Example<>> UavTargets::get_batch(c10::ArrayRef<size_t> indices) {
  std::vector<int64_t> idx(indices.begin(), indices.end());
  const auto samples = render(idx);
  std::vector<torch::data::Example<>> out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.push_back({s.image, at::scalar_tensor(s.label, at::kLong)});
  return out;
}

}  // namespace oaconv::datasets
