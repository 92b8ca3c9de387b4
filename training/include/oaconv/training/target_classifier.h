#pragma once
// The target classifier: stages of oaconv::Conv2d -> BatchNorm -> ReLU -> 2x2 max-pool, then
// average pooling to a 4x4 grid and a linear head. Only oaconv convolutions, so
// oaconv::set_algorithm(model, ...) swaps every one of them.
#include <oaconv/conv2d.h>
#include <oaconv/training/distributed.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace oaconv::training {

struct ClassifierConfig {
  std::vector<int64_t> widths;   // output channels per stage
  std::vector<int64_t> kernels;  // kernel size per stage (odd; padding k/2 keeps the size)
  int64_t num_classes = 13;
  int64_t in_channels = 3;
  Algorithm algorithm = Algorithm::kAuto;

  // "small": 3x3 kernels, VGG-like, widths 32-64-128-256. "large": kernels >= 7 in every conv
  // (15, 13, 11, 7, as large-kernel CNNs use), widths 16-32-64-128. Four stages: at 64x64 the
  // last one sees the whole target (three were measured to learn much slower).
  static ClassifierConfig preset(const std::string& name, int64_t num_classes);
  std::string describe() const;  // e.g. "3->16 k11 | 16->32 k9 | 32->64 k7 | 64->13"
};

class TargetClassifierImpl : public torch::nn::Module {
 public:
  explicit TargetClassifierImpl(const ClassifierConfig& config);
  at::Tensor forward(const at::Tensor& images);  // (N, 3, H, W) -> logits (N, classes)
  const ClassifierConfig& config() const { return config_; }
  // In training mode, batch norm over every rank's batch (sync_batch_norm.h); null: this
  // process's batch alone.
  void synchronize_batch_norm(std::shared_ptr<Communicator> communicator) { sync_ = std::move(communicator); }

 private:
  ClassifierConfig config_;
  std::vector<oaconv::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  torch::nn::Linear head_{nullptr};
  std::shared_ptr<Communicator> sync_;
};
TORCH_MODULE(TargetClassifier);

}  // namespace oaconv::training
