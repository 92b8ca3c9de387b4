#pragma once
// Options for oaconv::conv2d and oaconv::Conv2d, in LibTorch's TORCH_ARG style and with
// torch::nn's defaults, plus the algorithm to run with.
#include <oaconv/algorithm.h>

#include <torch/arg.h>
#include <torch/enum.h>
#include <torch/expanding_array.h>
#include <torch/nn/options/conv.h>

#include <initializer_list>

namespace oaconv {

// An ExpandingArray<2> (one int or {h, w}), torch::kValid or torch::kSame: exactly the type
// torch::nn::functional::Conv2dFuncOptions uses, so code moves between the two unchanged.
using Conv2dPadding = torch::nn::detail::conv_padding_t<2>;
// torch::kZeros, torch::kReflect, torch::kReplicate or torch::kCircular (module only).
using Conv2dPaddingMode = torch::nn::detail::conv_padding_mode_t;

struct Conv2dFuncOptions {
  TORCH_ARG(torch::ExpandingArray<2>, stride) = 1;
  TORCH_ARG(Conv2dPadding, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<2>, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;

 public:
  // Lets `.padding({top_bottom, left_right})` be written without naming ExpandingArray.
  Conv2dFuncOptions& padding(std::initializer_list<int64_t> per_axis) {
    padding_ = torch::ExpandingArray<2>(per_axis);
    return *this;
  }
};

struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels,
                torch::ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<2>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<2>, stride) = 1;
  TORCH_ARG(Conv2dPadding, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<2>, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(Conv2dPaddingMode, padding_mode) = torch::kZeros;
  TORCH_ARG(Algorithm, algorithm) = Algorithm::kAuto;

 public:
  Conv2dOptions& padding(std::initializer_list<int64_t> per_axis) {
    padding_ = torch::ExpandingArray<2>(per_axis);
    return *this;
  }
};

}  // namespace oaconv
