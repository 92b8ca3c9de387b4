#pragma once
// oaconv::Conv2d: a drop-in for torch::nn::Conv2d (same members, defaults and initialisation)
// whose forward and backward passes run with a swappable Algorithm.
#include <oaconv/functional.h>
#include <oaconv/options.h>

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace oaconv {

class Conv2dImpl : public torch::nn::Cloneable<Conv2dImpl> {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(Conv2dOptions options);
  // Takes the options of an existing LibTorch conv and shares (does not copy) its weight and
  // bias, so a model can be ported one layer at a time and keeps training the same tensors.
  explicit Conv2dImpl(const torch::nn::Conv2d& from, Algorithm algorithm = Algorithm::kAuto);

  // Validates the options and registers `weight` (O, C / groups, kh, kw) and `bias` (O).
  void reset() override;
  // Kaiming-uniform(a = sqrt(5)) weight and uniform(+-1/sqrt(fan_in)) bias, as torch::nn::Conv2d.
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  at::Tensor forward(const at::Tensor& input);

  void set_algorithm(Algorithm algorithm) { options.algorithm(algorithm); }
  Algorithm algorithm() const { return options.algorithm(); }

  Conv2dOptions options;
  at::Tensor weight;
  at::Tensor bias;
};

TORCH_MODULE(Conv2d);

// Switches every oaconv::Conv2d inside `model` (the model itself and all registered
// submodules, at any depth) to `algorithm`; returns how many were switched.
int set_algorithm(torch::nn::Module& model, Algorithm algorithm);

}  // namespace oaconv
