#pragma once
// The normalised description of one 2-D convolution: every size, with padding resolved to
// four explicit sides ("same" with an even dilated kernel pads one more row/column at the
// bottom/right, as torch does). All algorithms work from this.
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace oaconv {

struct ConvGeometry {
  int64_t batch = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  int64_t in_h = 0, in_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_h = 0, out_w = 0;

  int64_t in_per_group() const { return in_channels / groups; }
  int64_t out_per_group() const { return out_channels / groups; }
  // Extent of the dilated kernel: d * (k - 1) + 1.
  int64_t kernel_extent_h() const { return dilation_h * (kernel_h - 1) + 1; }
  int64_t kernel_extent_w() const { return dilation_w * (kernel_w - 1) + 1; }
  int64_t padded_h() const { return in_h + pad_top + pad_bottom; }
  int64_t padded_w() const { return in_w + pad_left + pad_right; }
  bool symmetric_padding() const { return pad_top == pad_bottom && pad_left == pad_right; }
  bool is_depthwise() const { return groups == in_channels && in_per_group() == 1; }
  // Multiply-adds of the direct method for one forward pass (the "direct-equivalent" work).
  double forward_macs() const;

  // Round trip through a flat list, for ctx->saved_data in autograd functions.
  std::vector<int64_t> to_vector() const;
  static ConvGeometry from_vector(const std::vector<int64_t>& values);
  // e.g. "N4 C16->32 64x64 k7x7 s1x1 d1x1 p3,3,3,3 g1"
  std::string to_string() const;
};

// Checks a 4-D input, its weight, bias and options the way torch::conv2d does, and throws a
// c10::Error that names `op`, the offending value and the rule. Returns the geometry.
ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight,
                                const at::Tensor& bias, const Conv2dFuncOptions& options,
                                const char* op = "oaconv::conv2d");

}  // namespace oaconv
