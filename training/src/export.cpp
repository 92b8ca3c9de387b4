#include <oaconv/training/export.h>

#include <oaconv/atomic_file.h>

#include <c10/util/Exception.h>
#include <torch/script.h>

#include <sstream>

namespace oaconv::training {
namespace {

// TorchScript names cannot hold '.': "conv0.weight" -> "conv0_weight".
std::string attribute_name(std::string name) {
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

// The forward of TargetClassifierImpl (target_classifier.cpp) in TorchScript, stage by stage:
// convolution (no bias, padding k/2), batch norm with running statistics, ReLU, 2x2 max-pool
// while the image is at least 2x2, then 4x4 average pooling and the linear head.
std::string forward_source(const ClassifierConfig& config) {
  std::ostringstream s;
  s << "def forward(self, x: Tensor) -> Tensor:\n";
  for (size_t i = 0; i < config.widths.size(); ++i) {
    const int64_t pad = config.kernels[i] / 2;
    const std::string norm = "self.norm" + std::to_string(i) + "_";
    s << "    x = torch.conv2d(x, self.conv" << i << "_weight, None, [1, 1], [" << pad << ", " << pad << "])\n"
      << "    x = torch.batch_norm(x, " << norm << "weight, " << norm << "bias, " << norm << "running_mean, " << norm
      << "running_var, False, 0.0, " << torch::nn::BatchNormOptions(1).eps() << ", False)\n"
      << "    x = torch.relu(x)\n"
      << "    if x.size(2) >= 2 and x.size(3) >= 2:\n"
      << "        x = torch.max_pool2d(x, [2, 2])\n";
  }
  s << "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [4, 4]), 1)\n"
    << "    return torch.linear(x, self.head_weight, self.head_bias)\n";
  return s.str();
}

}  // namespace

void export_torchscript(TargetClassifier& model, const ModelCard& card, const std::string& path) {
  torch::jit::Module module("oaconv_TargetClassifier");
  for (const auto& p : model->named_parameters()) {
    module.register_parameter(attribute_name(p.key()), p.value().detach().clone(), /*is_buffer=*/false);
  }
  for (const auto& b : model->named_buffers()) {
    if (b.key().find("num_batches_tracked") != std::string::npos) continue;  // unused in evaluation
    module.register_buffer(attribute_name(b.key()), b.value().detach().clone());
  }
  c10::List<std::string> classes;
  for (const std::string& name : card.class_names) classes.push_back(name);
  module.register_attribute("classes", c10::ListType::ofStrings(), classes);
  module.register_attribute("image_size", c10::IntType::get(), card.image_size);
  module.register_attribute("model", c10::StringType::get(), model->config().describe());
  module.define(forward_source(model->config()));
  module.eval();
  std::ostringstream bytes;
  module.save(bytes);
  write_file_atomically("oaconv::training::export_torchscript", path, bytes.str());
}

}  // namespace oaconv::training
