#pragma once
// Small 3-D convolutions for the engines' poisoned-buffer tests (test_direct_passes,
// test_spectral_passes): float64 random data, the geometry, and torch's result.
#include "conv_geometry.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace oaconv::testing {

struct Conv3dCase {
  std::vector<int64_t> x, w, stride, padding, dilation;
  int64_t groups;
};

struct Conv3dData {
  at::Tensor x, w, b;  // x and w require gradients
  ConvGeometry g;
  at::Tensor reference() const;  // torch's output, recorded for autograd
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};

inline at::Tensor Conv3dData::reference() const { return at::conv3d(x, w, b, stride, padding, dilation, groups); }

inline Conv3dData make_conv3d_data(const Conv3dCase& c) {
  Conv3dData d;
  d.x = at::randn(c.x, at::kDouble).requires_grad_(true);
  d.w = at::randn(c.w, at::kDouble).requires_grad_(true);
  d.b = at::randn({c.w[0]}, at::kDouble);
  ConvRequest request;
  request.rank = 3;
  request.stride = c.stride;
  request.padding = c.padding;
  request.dilation = c.dilation;
  request.output_padding = {0, 0, 0};
  request.groups = c.groups;
  d.g = make_conv_geometry(d.x, d.w, d.b, request, "test");
  d.stride = c.stride, d.padding = c.padding, d.dilation = c.dilation, d.groups = c.groups;
  return d;
}

}  // namespace oaconv::testing
