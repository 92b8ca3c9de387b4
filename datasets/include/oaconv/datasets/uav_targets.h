#pragma once
// Synthetic UAV ground targets (AUVSI SUAS style): a coloured shape with a coloured
// alphanumeric, on grass/asphalt/dirt, under sun or overcast light, through a camera with blur,
// noise, vignetting and JPEG. Sample i is a pure function of (seed, i).
#include <oaconv/datasets/target_catalog.h>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/data/datasets/base.h>
#include <torch/data/example.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace oaconv::datasets {

// Which attribute is the class label.
enum class LabelKind { kShape, kShapeColor, kCharacter, kCharacterColor, kAngle };
// easy: large, sharp, well lit; hard: small (10-30 px), blurry, dark, noisy, low JPEG quality.
enum class Difficulty { kEasy, kDefault, kHard };
// Disjoint seeds per split; `kHard` is a stress split (use it with Difficulty::kHard).
enum class Split { kTrain, kValidation, kTest, kHard };

LabelKind label_kind_from_string(const std::string& name);  // shape, shape_color, character, character_color, angle
Difficulty difficulty_from_string(const std::string& name);  // easy, default, hard
std::string to_string(LabelKind kind);
std::string to_string(Difficulty difficulty);

struct UavTargetsOptions {
  TORCH_ARG(int64_t, image_size) = 64;                 // 32..256
  TORCH_ARG(RuleProfile, profile) = RuleProfile::k2017;
  TORCH_ARG(LabelKind, label) = LabelKind::kShape;
  TORCH_ARG(double, background_fraction) = 0.0;        // [0, 1): > 0 adds a "background" class
  TORCH_ARG(Difficulty, difficulty) = Difficulty::kDefault;
  TORCH_ARG(uint64_t, seed) = 0;
  TORCH_ARG(int64_t, count) = 10000;
  TORCH_ARG(double, jpeg_probability) = 0.3;            // share of samples through a JPEG round trip
};

// Everything drawn for one sample, and its rendered image.
struct TargetSample {
  at::Tensor image;  // float32 (3, S, S) in [0, 1], sRGB-encoded, 8-bit quantised
  int64_t label = 0;
  bool background = false;
  Shape shape = Shape::kCircle;
  Color shape_color = Color::kWhite, character_color = Color::kBlack;
  char character = 'A';
  double angle_degrees = 0;
  std::string metadata_json;  // one line: every parameter drawn
};

class UavTargets : public torch::data::datasets::Dataset<UavTargets> {
 public:
  explicit UavTargets(UavTargetsOptions options);

  torch::data::Example<> get(size_t index) override;
  // Renders the whole batch at once (in parallel, blur batched through oaconv::conv2d).
  std::vector<torch::data::Example<>> get_batch(c10::ArrayRef<size_t> indices) override;
  c10::optional<size_t> size() const override { return static_cast<size_t>(options_.count()); }

  // Samples [begin, begin + count): images (count, 3, S, S), labels (count).
  std::pair<at::Tensor, at::Tensor> render_range(int64_t begin, int64_t count) const;
  // Samples at `indices`, in that order: images (n, 3, S, S), labels (n).
  std::pair<at::Tensor, at::Tensor> render_indices(const std::vector<int64_t>& indices) const;
  // Samples at `indices`, with all their metadata.
  std::vector<TargetSample> render(const std::vector<int64_t>& indices) const;

  int64_t num_classes() const;
  std::vector<std::string> class_names() const;
  const UavTargetsOptions& options() const { return options_; }

  // The seed of a split derived from a base seed: disjoint streams for train/val/test/hard.
  static uint64_t split_seed(uint64_t base_seed, Split split);

 private:
  UavTargetsOptions options_;
};

}  // namespace oaconv::datasets
