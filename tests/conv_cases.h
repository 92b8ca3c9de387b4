#pragma once
// The shared table of convolution cases every algorithm is checked against torch::conv2d on,
// in the style of XNNPACK's operator tests: each case has a name built from its parameters.
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace oaconv::testing {

enum class PaddingKind { kExplicit, kSame, kValid };

struct ConvCase {
  int64_t batch, in_channels, out_channels, height, width;
  int64_t kernel_h, kernel_w;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  PaddingKind padding_kind = PaddingKind::kExplicit;
  int64_t pad_h = 0, pad_w = 0;
  int64_t groups = 1;
  bool bias = true;

  std::string name() const;  // e.g. N2_C4to6_13x11_k3x5_s2x1_d1x2_p1x2_g2_nobias
  Conv2dFuncOptions options(Algorithm algorithm) const;
  at::Tensor make_input(at::ScalarType dtype) const;   // fresh random values
  at::Tensor make_weight(at::ScalarType dtype) const;
  at::Tensor make_bias(at::ScalarType dtype) const;    // undefined when !bias
};

// At least 30 cases: batch 1-4, channels 1-8, groups 1/2/depthwise, images 1x1 to 33x29,
// kernels 1x1 to 9x7, strides 1-3, dilations 1-3, every padding form, bias on and off.
const std::vector<ConvCase>& conv_cases();

// The parameter of the table-crossed suites: a case, an algorithm, a dtype; and its test name,
// e.g. "oaa_f64_N2_C4to6_13x11_k3x5_s2x1_d1x2_p1x2_g2_nobias".
using CaseAlgorithmDtype = std::tuple<ConvCase, Algorithm, at::ScalarType>;
std::string case_test_name(const ::testing::TestParamInfo<CaseAlgorithmDtype>& info);

// Norm-wise relative error ||a - b|| / max(||b||, tiny).
double relative_error(const at::Tensor& a, const at::Tensor& b);

}  // namespace oaconv::testing
