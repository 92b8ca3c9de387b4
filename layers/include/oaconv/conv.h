#pragma once
// oaconv's convolution modules: drop-ins for torch::nn::Conv1d/2d/3d and
// ConvTranspose1d/2d/3d (same members, options, defaults, padding modes and initialisation)
// whose forward and backward passes run with a swappable Algorithm.
#include <oaconv/functional.h>
#include <oaconv/options.h>

#include <c10/util/Optional.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace oaconv {

// What every oaconv convolution module shares, whatever its rank: set_algorithm finds them by it.
class ConvLayer {
 public:
  virtual ~ConvLayer() = default;
  virtual void set_algorithm(Algorithm algorithm) = 0;
  virtual Algorithm algorithm() const = 0;
};

// Conv1dImpl, Conv2dImpl, Conv3dImpl (TorchImpl: the torch::nn module it mirrors).
template <size_t D, typename Derived, typename TorchImpl>
class ConvNdImpl : public torch::nn::Cloneable<Derived>, public ConvLayer {
 public:
  ConvNdImpl(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : ConvNdImpl(ConvOptions<D>(in_channels, out_channels, kernel_size)) {}
  explicit ConvNdImpl(ConvOptions<D> options);
  // Takes the options of an existing LibTorch conv and shares (does not copy) its weight and
  // bias, so a model can be ported one layer at a time and keeps training the same tensors.
  explicit ConvNdImpl(const torch::nn::ModuleHolder<TorchImpl>& from, Algorithm algorithm = Algorithm::kAuto);

  // Validates the options and registers `weight` (O, C / groups, kernel...) and `bias` (O).
  void reset() override;
  // Kaiming-uniform(a = sqrt(5)) weight and uniform(+-1/sqrt(fan_in)) bias, as torch::nn.
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  at::Tensor forward(const at::Tensor& input);

  void set_algorithm(Algorithm algorithm) override { options.algorithm(algorithm); }
  Algorithm algorithm() const override { return options.algorithm(); }

  ConvOptions<D> options;
  at::Tensor weight;
  at::Tensor bias;
};

// ConvTranspose1dImpl, ConvTranspose2dImpl, ConvTranspose3dImpl.
template <size_t D, typename Derived, typename TorchImpl>
class ConvTransposeNdImpl : public torch::nn::Cloneable<Derived>, public ConvLayer {
 public:
  ConvTransposeNdImpl(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : ConvTransposeNdImpl(ConvTransposeOptions<D>(in_channels, out_channels, kernel_size)) {}
  explicit ConvTransposeNdImpl(ConvTransposeOptions<D> options);
  explicit ConvTransposeNdImpl(const torch::nn::ModuleHolder<TorchImpl>& from, Algorithm algorithm = Algorithm::kAuto);

  // Validates the options and registers `weight` (C, O / groups, kernel...) and `bias` (O).
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  // output_size (the spatial sizes, or all of N, C and them) picks among the sizes a strided
  // transposed convolution can produce, as torch's: it sets the output_padding of this call.
  at::Tensor forward(const at::Tensor& input, const c10::optional<at::IntArrayRef>& output_size = c10::nullopt);

  void set_algorithm(Algorithm algorithm) override { options.algorithm(algorithm); }
  Algorithm algorithm() const override { return options.algorithm(); }

  ConvTransposeOptions<D> options;
  at::Tensor weight;
  at::Tensor bias;

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, torch::nn::AnyValue(c10::optional<at::IntArrayRef>())})
};

#define OACONV_CONV_MODULE(Name, Base, D, Torch)                    \
  class Name##Impl : public Base<D, Name##Impl, torch::nn::Torch##Impl> { \
   public:                                                          \
    using Base<D, Name##Impl, torch::nn::Torch##Impl>::Base;        \
  };                                                                \
  TORCH_MODULE(Name)

OACONV_CONV_MODULE(Conv1d, ConvNdImpl, 1, Conv1d);
OACONV_CONV_MODULE(Conv2d, ConvNdImpl, 2, Conv2d);
OACONV_CONV_MODULE(Conv3d, ConvNdImpl, 3, Conv3d);
OACONV_CONV_MODULE(ConvTranspose1d, ConvTransposeNdImpl, 1, ConvTranspose1d);
OACONV_CONV_MODULE(ConvTranspose2d, ConvTransposeNdImpl, 2, ConvTranspose2d);
OACONV_CONV_MODULE(ConvTranspose3d, ConvTransposeNdImpl, 3, ConvTranspose3d);
#undef OACONV_CONV_MODULE

// Switches every oaconv convolution inside `model` (the model itself and all registered
// submodules, at any depth; every rank, transposed or not) to `algorithm`; returns how many
// were switched.
int set_algorithm(torch::nn::Module& model, Algorithm algorithm);

}  // namespace oaconv
