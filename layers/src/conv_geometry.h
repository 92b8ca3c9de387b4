#pragma once
// The normalised description of one convolution of rank 1, 2 or 3 (spatial axes in torch's
// order: W; H, W; D, H, W): every size, with padding resolved to explicit before/after amounts
// per axis ("same" with an even dilated kernel pads one more at the end of the axis, as torch
// does). All algorithms and caches work from this one type.
//
// A transposed convolution is described by the convolution it is the adjoint of: `in` is the
// transposed convolution's output, `out` its input, in_channels its out_channels and
// out_channels its in_channels (the weight (C_in^T, C_out^T / groups, k...) is that
// convolution's weight as is). Its forward is this convolution's grad-input, its grad-input this
// convolution's forward, its grad-weight this convolution's grad-weight with input and
// grad-output swapped: the same three passes, re-assigned (conv_node.cpp).
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>
#include <c10/util/ArrayRef.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace oaconv {

constexpr int kMaxSpatialRank = 3;
using AxisSizes = std::array<int64_t, kMaxSpatialRank>;

struct ConvGeometry {
  int64_t rank = 2;  // spatial axes: 1, 2 or 3
  bool transposed = false;
  int64_t batch = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  // Per spatial axis; entries past `rank` are unused (kernel, stride and dilation 1, the rest 0).
  AxisSizes in{0, 0, 0};
  AxisSizes kernel{1, 1, 1};
  AxisSizes stride{1, 1, 1};
  AxisSizes dilation{1, 1, 1};
  AxisSizes pad_before{0, 0, 0};
  AxisSizes pad_after{0, 0, 0};
  AxisSizes out{0, 0, 0};
  // Transposed only: the extra output length torch's output_padding asks for (already counted in
  // `in`); kept to call ATen's transposed convolution.
  AxisSizes output_padding{0, 0, 0};

  int64_t in_per_group() const { return in_channels / groups; }
  int64_t out_per_group() const { return out_channels / groups; }
  // Extent of the dilated kernel along an axis: d * (k - 1) + 1.
  int64_t kernel_extent(int axis) const { return dilation[axis] * (kernel[axis] - 1) + 1; }
  int64_t padded(int axis) const { return in[axis] + pad_before[axis] + pad_after[axis]; }
  bool symmetric_padding() const;
  // Whether `out` is what this convolution's own size rule gives for `in`. Always so, except for
  // a transposed convolution whose output_padding is at least its stride (allowed when smaller
  // than the dilation): its adjoint convolution would have more outputs than it has inputs.
  bool adjoint_is_exact() const;
  bool is_depthwise() const { return groups == in_channels && in_per_group() == 1; }
  // The first `rank` entries of a per-axis array, as ATen takes them.
  c10::IntArrayRef axes(const AxisSizes& a) const { return c10::IntArrayRef(a.data(), static_cast<size_t>(rank)); }
  int64_t kernel_taps() const;   // product of the kernel sizes
  int64_t out_positions() const; // product of the output sizes
  // Multiply-adds of the direct method for one forward pass (the "direct-equivalent" work).
  double forward_macs() const;
  // Sizes of the convolution's input x (N, C, in...), output y (N, O, out...) and weight.
  std::vector<int64_t> input_sizes() const;
  std::vector<int64_t> output_sizes() const;
  std::vector<int64_t> weight_sizes() const;

  // Round trip through a flat list (ctx->saved_data in autograd functions, cache keys): rank,
  // transposed, N, C, O, groups, then for each axis in, kernel, stride, dilation, pad_before,
  // pad_after, out, output_padding.
  std::vector<int64_t> to_vector() const;
  static ConvGeometry from_vector(const std::vector<int64_t>& values);
  static size_t vector_size(int64_t rank) { return 6 + 8 * static_cast<size_t>(rank); }
  // e.g. "N4 C16->32 64x64 k7x7 s1x1 d1x1 p3,3,3,3 g1" (padding before,after per axis); a
  // transposed one is described as the transposed convolution: "transposed N4 C32->16 ...".
  std::string to_string() const;
};

// d loss / d bias for the gradient gy (N, C, spatial...) of a convolution's output: the sum over
// every axis but the channels.
at::Tensor bias_gradient(const at::Tensor& gy);

// The same convolution as one of rank `rank` (>= g.rank): unit axes in front (size, kernel,
// stride, dilation 1, no padding), so an engine written for rank 3 runs every rank.
ConvGeometry with_leading_unit_axes(const ConvGeometry& g, int64_t rank);
// x (N, C, spatial...) with the matching unit axes inserted after the channels, and back.
at::Tensor unsqueeze_to_rank(const at::Tensor& t, const ConvGeometry& g, int64_t rank);
at::Tensor squeeze_from_rank(const at::Tensor& t, const ConvGeometry& g, int64_t rank);

// What a caller asks for, for any rank (every list has `rank` entries).
struct ConvRequest {
  int64_t rank = 2;
  bool transposed = false;
  std::vector<int64_t> stride, dilation, output_padding;
  enum class Padding { kExplicit, kSame, kValid } padding_kind = Padding::kExplicit;
  std::vector<int64_t> padding;  // kExplicit
  int64_t groups = 1;
};

// Checks a batched input (N, C, spatial...), its weight, bias and the request the way torch's
// convolution functions do, and throws a c10::Error that names `op`, the offending value and
// the rule. Returns the geometry (for a transposed request, of the adjoint convolution).
ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                const ConvRequest& request, const char* op);

// The geometry of a call with these sizes: meta tensors carry them through the same checks as
// a real call, without data (explain, the cost model, auto's record).
ConvGeometry geometry_of_sizes(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const ConvRequest& request,
                               const char* op, c10::ScalarType dtype = c10::kFloat);

// The request of torch::nn::functional-style options.
template <size_t D>
ConvRequest conv_request(const ConvFuncOptions<D>& options);
template <size_t D>
ConvRequest conv_request(const ConvTransposeFuncOptions<D>& options);

ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight,
                                const at::Tensor& bias, const Conv2dFuncOptions& options,
                                const char* op = "oaconv::conv2d");

}  // namespace oaconv
