#pragma once
// Options for oaconv's convolutions (functional and modules), in LibTorch's TORCH_ARG style and
// with torch::nn's names and defaults, plus the algorithm to run with. D is the number of
// spatial axes (1, 2 or 3).
#include <oaconv/algorithm.h>

#include <torch/arg.h>
#include <torch/enum.h>
#include <torch/expanding_array.h>
#include <torch/nn/options/conv.h>

#include <initializer_list>

namespace oaconv {

// An ExpandingArray<D> (one int or one per axis), torch::kValid or torch::kSame: exactly the type
// torch::nn::functional::ConvFuncOptions<D> uses, so code moves between the two unchanged.
template <size_t D>
using ConvPadding = torch::nn::detail::conv_padding_t<D>;
using Conv2dPadding = ConvPadding<2>;
// torch::kZeros, torch::kReflect, torch::kReplicate or torch::kCircular (modules only).
using ConvPaddingMode = torch::nn::detail::conv_padding_mode_t;
using Conv2dPaddingMode = ConvPaddingMode;

// oaconv::conv1d / conv2d / conv3d.
template <size_t D>
struct ConvFuncOptions {
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(ConvPadding<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;

 public:
  // Lets `.padding({h, w})` be written without naming ExpandingArray.
  ConvFuncOptions& padding(std::initializer_list<int64_t> per_axis) {
    padding_ = torch::ExpandingArray<D>(per_axis);
    return *this;
  }
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;
using Conv3dFuncOptions = ConvFuncOptions<3>;

// oaconv::conv_transpose1d / 2d / 3d (torch::nn::functional::ConvTransposeFuncOptions).
template <size_t D>
struct ConvTransposeFuncOptions {
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, output_padding) = 0;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;
};
using ConvTranspose1dFuncOptions = ConvTransposeFuncOptions<1>;
using ConvTranspose2dFuncOptions = ConvTransposeFuncOptions<2>;
using ConvTranspose3dFuncOptions = ConvTransposeFuncOptions<3>;

// oaconv::Conv1d / Conv2d / Conv3d (torch::nn::ConvOptions<D>).
template <size_t D>
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<D>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(ConvPadding<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(ConvPaddingMode, padding_mode) = torch::kZeros;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;

 public:
  ConvOptions& padding(std::initializer_list<int64_t> per_axis) {
    padding_ = torch::ExpandingArray<D>(per_axis);
    return *this;
  }
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;
using Conv3dOptions = ConvOptions<3>;

// oaconv::ConvTranspose1d / 2d / 3d (torch::nn::ConvTransposeOptions<D>; padding_mode must stay
// torch::kZeros, as in torch).
template <size_t D>
struct ConvTransposeOptions {
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<D>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<D>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<D>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<D>, output_padding) = 0;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(torch::ExpandingArray<D>, dilation) = 1;
  TORCH_ARG(ConvPaddingMode, padding_mode) = torch::kZeros;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;
};
using ConvTranspose1dOptions = ConvTransposeOptions<1>;
using ConvTranspose2dOptions = ConvTransposeOptions<2>;
using ConvTranspose3dOptions = ConvTransposeOptions<3>;

}  // namespace oaconv
