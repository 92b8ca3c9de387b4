#include "conv_cases.h"

#include <ATen/ATen.h>

#include <sstream>

namespace oaconv::testing {

std::string ConvCase::name() const {
  std::ostringstream s;
  s << "N" << batch << "_C" << in_channels << "to" << out_channels << "_" << height << "x" << width
    << "_k" << kernel_h << "x" << kernel_w;
  if (stride_h != 1 || stride_w != 1) s << "_s" << stride_h << "x" << stride_w;
  if (dilation_h != 1 || dilation_w != 1) s << "_d" << dilation_h << "x" << dilation_w;
  switch (padding_kind) {
    case PaddingKind::kExplicit: s << "_p" << pad_h << "x" << pad_w; break;
    case PaddingKind::kSame: s << "_same"; break;
    case PaddingKind::kValid: s << "_valid"; break;
  }
  if (groups != 1) s << (groups == in_channels && groups == out_channels ? "_dw" : "_g") << groups;
  if (!bias) s << "_nobias";
  return s.str();
}

Conv2dFuncOptions ConvCase::options(Algorithm algorithm) const {
  auto o = Conv2dFuncOptions()
               .stride({stride_h, stride_w})
               .dilation({dilation_h, dilation_w})
               .groups(groups)
               .algorithm(algorithm);
  switch (padding_kind) {
    case PaddingKind::kExplicit: o.padding(torch::ExpandingArray<2>({pad_h, pad_w})); break;
    case PaddingKind::kSame: o.padding(torch::kSame); break;
    case PaddingKind::kValid: o.padding(torch::kValid); break;
  }
  return o;
}

at::Tensor ConvCase::make_input(at::ScalarType dtype) const {
  return at::randn({batch, in_channels, height, width}, at::TensorOptions().dtype(dtype));
}
at::Tensor ConvCase::make_weight(at::ScalarType dtype) const {
  return at::randn({out_channels, in_channels / groups, kernel_h, kernel_w}, at::TensorOptions().dtype(dtype));
}
at::Tensor ConvCase::make_bias(at::ScalarType dtype) const {
  return bias ? at::randn({out_channels}, at::TensorOptions().dtype(dtype)) : at::Tensor();
}

std::string case_test_name(const ::testing::TestParamInfo<CaseAlgorithmDtype>& info) {
  const auto& [c, algorithm, dtype] = info.param;
  return to_string(algorithm) + "_" + (dtype == at::kDouble ? "f64" : "f32") + "_" + c.name();
}

const std::vector<ConvCase>& conv_cases() {
  using P = PaddingKind;
  // batch, C, O, H, W, kh, kw, sh, sw, dh, dw, padding kind, ph, pw, groups, bias
  static const std::vector<ConvCase> cases{
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, P::kExplicit, 0, 0, 1, true},
      {1, 1, 1, 5, 5, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 1, true},
      {2, 3, 4, 8, 8, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 1, true},
      {2, 3, 4, 9, 7, 3, 3, 1, 1, 1, 1, P::kExplicit, 0, 0, 1, false},
      {1, 2, 3, 16, 16, 5, 5, 1, 1, 1, 1, P::kExplicit, 2, 2, 1, true},
      {3, 4, 2, 17, 15, 5, 3, 1, 1, 1, 1, P::kExplicit, 2, 1, 1, true},
      {2, 2, 2, 33, 29, 9, 7, 1, 1, 1, 1, P::kExplicit, 4, 3, 1, true},
      {1, 3, 5, 33, 29, 7, 7, 1, 1, 1, 1, P::kExplicit, 3, 3, 1, false},
      {4, 1, 2, 12, 10, 1, 1, 1, 1, 1, 1, P::kExplicit, 0, 0, 1, true},
      {2, 8, 8, 6, 6, 1, 1, 1, 1, 1, 1, P::kExplicit, 0, 0, 1, false},
      {2, 3, 4, 11, 11, 3, 3, 2, 2, 1, 1, P::kExplicit, 1, 1, 1, true},
      {1, 2, 3, 15, 14, 5, 5, 3, 3, 1, 1, P::kExplicit, 2, 2, 1, true},
      {2, 3, 2, 13, 17, 3, 5, 2, 1, 1, 1, P::kExplicit, 1, 2, 1, true},
      {1, 2, 2, 10, 9, 4, 4, 2, 3, 1, 1, P::kExplicit, 1, 1, 1, false},
      {2, 3, 4, 16, 16, 3, 3, 1, 1, 2, 2, P::kExplicit, 2, 2, 1, true},
      {1, 2, 3, 19, 17, 3, 3, 1, 1, 3, 3, P::kExplicit, 0, 0, 1, true},
      {2, 2, 2, 20, 21, 5, 3, 1, 1, 2, 3, P::kExplicit, 4, 3, 1, false},
      {1, 3, 3, 18, 18, 3, 3, 2, 2, 2, 2, P::kExplicit, 2, 2, 1, true},
      {2, 3, 4, 12, 11, 3, 3, 1, 1, 1, 1, P::kSame, 0, 0, 1, true},
      {1, 2, 3, 10, 13, 4, 4, 1, 1, 1, 1, P::kSame, 0, 0, 1, true},
      {2, 2, 2, 9, 12, 6, 3, 1, 1, 1, 1, P::kSame, 0, 0, 1, false},
      {1, 3, 2, 15, 16, 3, 2, 1, 1, 2, 3, P::kSame, 0, 0, 1, true},
      {2, 3, 4, 10, 9, 3, 3, 1, 1, 1, 1, P::kValid, 0, 0, 1, true},
      {1, 2, 2, 14, 13, 5, 4, 2, 2, 1, 1, P::kValid, 0, 0, 1, false},
      {2, 4, 6, 13, 11, 3, 5, 2, 1, 1, 2, P::kExplicit, 1, 2, 2, true},
      {2, 4, 4, 16, 16, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 2, false},
      {1, 8, 8, 12, 14, 5, 5, 1, 1, 1, 1, P::kSame, 0, 0, 4, true},
      {2, 4, 4, 16, 15, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 4, true},
      {2, 8, 8, 17, 17, 7, 7, 1, 1, 1, 1, P::kExplicit, 3, 3, 8, true},
      {1, 6, 6, 21, 19, 5, 3, 2, 2, 1, 1, P::kExplicit, 2, 1, 6, false},
      {3, 5, 5, 11, 13, 3, 3, 1, 1, 2, 2, P::kSame, 0, 0, 5, true},
      {2, 3, 6, 9, 9, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 3, true},  // depth multiplier 2
      // Depthwise and one-output-per-group layers: the direct algorithm's per-task padded planes
      // (forward, zero-inserted grad-input, grad-weight), across and within SIMD rows.
      {2, 6, 6, 15, 14, 13, 13, 1, 1, 1, 1, P::kExplicit, 6, 6, 6, true},
      {2, 8, 8, 16, 17, 5, 5, 2, 2, 1, 1, P::kExplicit, 2, 2, 8, true},
      {1, 4, 4, 19, 18, 3, 3, 2, 2, 2, 2, P::kExplicit, 2, 2, 4, false},
      {2, 5, 5, 12, 40, 7, 7, 1, 1, 1, 1, P::kSame, 0, 0, 5, true},
      {1, 4, 4, 9, 70, 3, 3, 1, 2, 1, 1, P::kExplicit, 1, 1, 4, true},
      {2, 8, 4, 11, 12, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 4, true},  // two inputs per output
      {1, 3, 3, 6, 7, 3, 3, 2, 2, 1, 1, P::kExplicit, 4, 3, 3, true},    // depthwise, padding > kernel
      // Depthwise with enough channels for the channel-blocked kernels (a partial last block).
      {2, 40, 40, 11, 13, 3, 3, 2, 2, 1, 1, P::kExplicit, 1, 1, 40, true},
      {3, 36, 36, 9, 20, 5, 5, 1, 1, 2, 2, P::kSame, 0, 0, 36, false},
      {2, 40, 40, 10, 9, 4, 4, 1, 1, 1, 1, P::kExplicit, 5, 3, 40, true},  // even kernel, padding > kernel
      // Groups of 4 and 2 channels in and out in the same channel-blocked kernels (ResNeXt).
      {2, 40, 40, 11, 13, 3, 3, 1, 1, 1, 1, P::kExplicit, 1, 1, 10, true},
      {3, 36, 36, 9, 20, 5, 5, 2, 2, 1, 1, P::kExplicit, 2, 2, 18, false},
      {2, 48, 48, 12, 10, 3, 3, 1, 1, 2, 2, P::kSame, 0, 0, 12, true},
      {2, 32, 32, 10, 9, 4, 4, 1, 1, 1, 1, P::kExplicit, 5, 3, 16, true},  // even kernel, padding > kernel
      {1, 2, 2, 6, 7, 3, 3, 1, 1, 1, 1, P::kExplicit, 5, 4, 1, true},  // padding > kernel
      {2, 3, 3, 5, 4, 5, 4, 1, 1, 1, 1, P::kExplicit, 0, 0, 1, true},  // kernel = image
      {1, 4, 2, 24, 30, 9, 7, 3, 2, 1, 1, P::kExplicit, 4, 3, 1, true},
      {4, 2, 3, 7, 31, 3, 9, 1, 2, 2, 1, P::kExplicit, 2, 4, 1, true},
      // Strides at and above the kernel (the direct grad-input's polyphase: a phase per stride
      // offset, some of which no tap reaches).
      {2, 6, 4, 11, 10, 1, 1, 2, 2, 1, 1, P::kExplicit, 0, 0, 1, true},       // ResNet's 1x1 downsample
      {2, 3, 5, 16, 12, 4, 4, 4, 4, 1, 1, P::kExplicit, 0, 0, 1, false},      // patches: kernel = stride
      {1, 3, 4, 35, 33, 16, 16, 16, 16, 1, 1, P::kExplicit, 0, 0, 1, true},  // ViT's patch embedding
      {2, 4, 6, 13, 14, 3, 2, 4, 3, 1, 1, P::kExplicit, 2, 1, 2, true},       // kernel < stride, padded
  };
  return cases;
}

double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const double diff = (a.to(at::kDouble) - b.to(at::kDouble)).norm().item<double>();
  const double ref = b.to(at::kDouble).norm().item<double>();
  return diff / std::max(ref, 1e-30);
}

}  // namespace oaconv::testing
