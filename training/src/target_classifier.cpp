#include <oaconv/training/target_classifier.h>

#include "max_pool_2x2.h"
#include "sync_batch_norm.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <sstream>

namespace oaconv::training {
namespace {
constexpr int64_t kHeadCells = 4;
}  // namespace

ClassifierConfig ClassifierConfig::preset(const std::string& name, int64_t num_classes) {
  ClassifierConfig c;
  c.num_classes = num_classes;
  if (name == "small") {
    c.widths = {32, 64, 128, 256};
    c.kernels = {3, 3, 3, 3};
  } else if (name == "large") {
    c.widths = {16, 32, 64, 128};
    c.kernels = {15, 13, 11, 7};
  } else {
    TORCH_CHECK(false, "oaconv::training: unknown preset '", name, "'; expected small or large");
  }
  return c;
}

std::string ClassifierConfig::describe() const {
  std::ostringstream s;
  int64_t in = in_channels;
  for (size_t i = 0; i < widths.size(); ++i) {
    s << in << "->" << widths[i] << " k" << kernels[i] << " | ";
    in = widths[i];
  }
  s << in << "->" << num_classes;
  return s.str();
}

TargetClassifierImpl::TargetClassifierImpl(const ClassifierConfig& config) : config_(config) {
  TORCH_CHECK(!config.widths.empty() && config.widths.size() == config.kernels.size(),
              "oaconv::training::TargetClassifier: widths and kernels must be non-empty and of equal length, but got ",
              config.widths.size(), " widths and ", config.kernels.size(), " kernels");
  TORCH_CHECK(config.num_classes >= 2, "oaconv::training::TargetClassifier: need at least 2 classes, got ",
              config.num_classes);
  int64_t in = config.in_channels;
  for (size_t i = 0; i < config.widths.size(); ++i) {
    const int64_t k = config.kernels[i];
    TORCH_CHECK(k >= 1 && k % 2 == 1, "oaconv::training::TargetClassifier: kernel sizes must be odd, but stage ", i,
                " has ", k);
    TORCH_CHECK(config.widths[i] >= 1, "oaconv::training::TargetClassifier: widths must be positive");
    convs_.push_back(register_module("conv" + std::to_string(i),
                                     oaconv::Conv2d(Conv2dOptions(in, config.widths[i], k)
                                                        .padding(k / 2)
                                                        .bias(false)
                                                        .algorithm(config.algorithm))));
    norms_.push_back(register_module("norm" + std::to_string(i), torch::nn::BatchNorm2d(config.widths[i])));
    in = config.widths[i];
  }
  // The head sees a coarse 4x4 layout of the last features (global average pooling would
  // throw away where corners and edges are, which is what tells shapes apart).
  head_ = register_module("head", torch::nn::Linear(in * kHeadCells * kHeadCells, config.num_classes));
}

at::Tensor TargetClassifierImpl::forward(const at::Tensor& images) {
  at::Tensor x = images;
  for (size_t i = 0; i < convs_.size(); ++i) {
    // In place: batch norm's backward needs its input and statistics, not its output.
    const at::Tensor features = convs_[i]->forward(x);
    x = (sync_ && is_training() ? sync_batch_norm(features, norms_[i], *sync_) : norms_[i]->forward(features)).relu_();
    if (x.size(2) >= 2 && x.size(3) >= 2) x = max_pool_2x2(x);
  }
  return head_->forward(at::adaptive_avg_pool2d(x, {kHeadCells, kHeadCells}).flatten(1));
}

}  // namespace oaconv::training
