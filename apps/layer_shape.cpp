#include "layer_shape.h"

#include "int_list.h"

#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace oaconv::apps {
namespace {

// The functional call of each kind.
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const Conv1dFuncOptions& o) {
  return conv1d(x, w, b, o);
}
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const Conv2dFuncOptions& o) {
  return conv2d(x, w, b, o);
}
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const Conv3dFuncOptions& o) {
  return conv3d(x, w, b, o);
}
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvTranspose1dFuncOptions& o) {
  return conv_transpose1d(x, w, b, o);
}
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvTranspose2dFuncOptions& o) {
  return conv_transpose2d(x, w, b, o);
}
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvTranspose3dFuncOptions& o) {
  return conv_transpose3d(x, w, b, o);
}

}  // namespace

LayerShape LayerShape::parse(const std::string& text, const std::string& kind, int64_t stride,
                             std::optional<int64_t> padding) {
  LayerShape s;
  const bool known = kind == "conv1d" || kind == "conv2d" || kind == "conv3d" || kind == "conv_transpose1d" ||
                     kind == "conv_transpose2d" || kind == "conv_transpose3d";
  TORCH_CHECK(known, "layer kind: expected conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d or "
              "conv_transpose3d, but got '", kind, "'");
  s.transposed = kind.rfind("conv_transpose", 0) == 0;
  s.rank = kind[kind.size() - 2] - '0';
  TORCH_CHECK(stride > 0, "layer stride: must be positive, but got ", stride);
  s.stride = stride;
  const std::vector<int64_t> v = parse_int_list(text, "layer shape");
  const size_t n = 4 + static_cast<size_t>(s.rank);
  const char* form = s.rank == 1 ? "N,C,O,L,k[,groups]" : s.rank == 2 ? "N,C,O,H,W,k[,groups]" : "N,C,O,D,H,W,k[,groups]";
  TORCH_CHECK(v.size() == n || v.size() == n + 1, "layer shape: expected ", form, " for ", kind, ", but got '", text,
              "'");
  for (int64_t x : v) TORCH_CHECK(x > 0, "layer shape: every value must be positive, but got '", text, "'");
  s.batch = v[0];
  s.in_channels = v[1];
  s.out_channels = v[2];
  s.size.assign(v.begin() + 3, v.begin() + 3 + s.rank);
  s.kernel = v[3 + s.rank];
  if (v.size() == n + 1) s.groups = v[n];
  TORCH_CHECK(s.in_channels % s.groups == 0 && s.out_channels % s.groups == 0, "layer shape: groups (", s.groups,
              ") must divide both channel counts, but got '", text, "'");
  if (padding) {
    TORCH_CHECK(*padding >= 0, "layer padding: must be at least 0, but got ", *padding);
    s.explicit_padding = padding;
  }
  // The sizes in double first: a padding or size near 2^62 would overflow output_sizes' int64
  // arithmetic, and a layer too big to allocate would end in the allocator's error rather than
  // ours. Each tensor the layer makes (the input padded, the weight, the output) is bounded.
  constexpr double kMaxElements = 2147483648.0;  // 2^31: 8 GiB in float32
  const double p = static_cast<double>(s.padding()), k = static_cast<double>(s.kernel);
  const double st = static_cast<double>(s.stride);
  double padded_input = static_cast<double>(s.batch) * static_cast<double>(s.in_channels);
  double output = static_cast<double>(s.batch) * static_cast<double>(s.out_channels);
  double weight = static_cast<double>(s.in_channels) * static_cast<double>(s.out_channels / s.groups);
  for (int64_t extent : s.size) {
    const double e = static_cast<double>(extent);
    const double out = s.transposed ? (e - 1) * st - 2 * p + k : std::floor((e + 2 * p - k) / st) + 1;
    TORCH_CHECK(out > 0, "layer shape: padding ", s.padding(), " leaves no output of size ", extent, " with kernel ",
                s.kernel, " and stride ", s.stride, " (", s.to_string(), ")");
    padded_input *= s.transposed ? e : e + 2 * p;
    output *= s.transposed ? out + 2 * p : out;
    weight *= k;
  }
  const double largest = std::max({padded_input, output, weight});
  TORCH_CHECK(largest <= kMaxElements, "layer shape: ", s.to_string(), " makes a tensor of ", largest,
              " elements (input padded, weight or output); at most 2^31 (8 GiB in float32) are timed");
  return s;
}

void LayerShape::set_channels_last() {
  TORCH_CHECK(rank >= 2, "--channels-last: a ", kind(), " layer's tensors have no channels-last layout (", rank + 2,
              "-D; NHWC is for conv2d, NDHWC for conv3d)");
  channels_last = true;
}

at::MemoryFormat LayerShape::memory_format() const {
  if (!channels_last) return at::MemoryFormat::Contiguous;
  return rank == 2 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
}

std::string LayerShape::kind() const {
  return std::string(transposed ? "conv_transpose" : "conv") + std::to_string(rank) + "d";
}

std::string LayerShape::to_string() const {
  std::ostringstream s;
  s << kind() << " N" << batch << " C" << in_channels << "->" << out_channels << " ";
  for (size_t a = 0; a < size.size(); ++a) s << (a ? "x" : "") << size[a];
  s << " k" << kernel;
  if (stride != 1) s << " s" << stride;
  if (groups != 1) s << " g" << groups;
  s << " p" << padding();
  if (channels_last) s << " channels-last";
  return s.str();
}

int64_t LayerShape::padding() const {
  if (explicit_padding) return *explicit_padding;
  return transposed ? std::max<int64_t>(0, (kernel - stride) / 2) : kernel / 2;
}

std::vector<int64_t> LayerShape::input_sizes() const {
  std::vector<int64_t> sizes{batch, in_channels};
  sizes.insert(sizes.end(), size.begin(), size.end());
  return sizes;
}

std::vector<int64_t> LayerShape::weight_sizes() const {
  std::vector<int64_t> sizes = transposed ? std::vector<int64_t>{in_channels, out_channels / groups}
                                          : std::vector<int64_t>{out_channels, in_channels / groups};
  sizes.insert(sizes.end(), static_cast<size_t>(rank), kernel);
  return sizes;
}

std::vector<int64_t> LayerShape::output_sizes() const {
  std::vector<int64_t> sizes{batch, out_channels};
  for (int64_t extent : size) {
    sizes.push_back(transposed ? (extent - 1) * stride - 2 * padding() + kernel
                               : (extent + 2 * padding() - kernel) / stride + 1);
  }
  return sizes;
}

double LayerShape::forward_flops() const {
  double taps = 1, positions = 1;
  for (int64_t extent : size) {
    taps *= static_cast<double>(kernel);
    // A transposed layer's multiply-adds are those of its adjoint convolution, whose outputs are
    // this layer's inputs.
    positions *= transposed ? static_cast<double>(extent)
                            : static_cast<double>((extent + 2 * padding() - kernel) / stride + 1);
  }
  const double channels = transposed ? in_channels * (out_channels / groups) : out_channels * (in_channels / groups);
  return 2.0 * static_cast<double>(batch) * channels * taps * positions;
}

at::Tensor LayerShape::run(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, Algorithm algorithm) const {
  return with_options(algorithm, [&](const auto& options) { return forward(x, w, b, options); });
}

}  // namespace oaconv::apps
