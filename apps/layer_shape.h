#pragma once
// The layers `oaconv info` times and oaconv_bench sweeps: a kind (rank, transposed), sizes and
// the options a call of that kind takes.
#include <oaconv/algorithm.h>
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace oaconv::apps {

// One layer: a convolution of rank 1-3 or a transposed one, cubic kernel, stride s; padding as
// given, or by default k/2 for a convolution, (k - s) / 2 for a transposed one (so that stride 1
// keeps the size and k 4 s 2 doubles it).
struct LayerShape {
  int64_t rank = 2;
  bool transposed = false;
  int64_t batch = 8, in_channels = 16, out_channels = 16;
  std::vector<int64_t> size{64, 64};
  int64_t kernel = 5;
  int64_t groups = 1;
  int64_t stride = 1;
  std::optional<int64_t> explicit_padding;  // every axis; unset: the default above
  bool channels_last = false;               // the input in NHWC (NDHWC) rather than NCHW

  // Channels-last input; throws for a 1-D layer (a 3-D tensor has no such layout).
  void set_channels_last();
  // The input's memory format: contiguous, or channels-last as set.
  at::MemoryFormat memory_format() const;

  // "N,C,O,<rank sizes>,k[,groups]" for `kind` (conv1d, conv2d, conv3d, conv_transpose1d/2d/3d),
  // e.g. conv2d "8,16,16,64,64,5", conv1d "8,16,16,16384,1025". Throws where the padding leaves
  // no output, or where a tensor of the layer (its input padded, weight, output) would hold more
  // than 2^31 elements.
  static LayerShape parse(const std::string& text, const std::string& kind = "conv2d", int64_t stride = 1,
                          std::optional<int64_t> padding = std::nullopt);
  std::string kind() const;  // "conv2d", "conv_transpose1d", ...
  std::string to_string() const;
  int64_t padding() const;
  std::vector<int64_t> input_sizes() const;
  std::vector<int64_t> weight_sizes() const;
  std::vector<int64_t> output_sizes() const;
  double forward_flops() const;  // 2 * multiply-adds of the direct method
  // The layer's forward on x, w, b with `algorithm`.
  at::Tensor run(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, Algorithm algorithm) const;
  // f(options): the layer's functional options, of its kind's type (Conv1dFuncOptions ...
  // ConvTranspose3dFuncOptions), for any API that takes them (explain_conv, auto_pass_algorithms).
  template <typename F>
  auto with_options(Algorithm algorithm, F&& f) const;
};

template <typename F>
auto LayerShape::with_options(Algorithm algorithm, F&& f) const {
  const int64_t p = padding();
  const auto set = [&](auto options) { return f(options.stride(stride).padding(p).groups(groups).algorithm(algorithm)); };
  if (transposed) {
    switch (rank) {
      case 1: return set(ConvTranspose1dFuncOptions());
      case 2: return set(ConvTranspose2dFuncOptions());
      default: return set(ConvTranspose3dFuncOptions());
    }
  }
  switch (rank) {
    case 1: return set(Conv1dFuncOptions());
    case 2: return set(Conv2dFuncOptions());
    default: return set(Conv3dFuncOptions());
  }
}


}  // namespace oaconv::apps
