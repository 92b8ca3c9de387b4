#include "conv_geometry.h"

#include "variant_compat.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <sstream>

namespace oaconv {
namespace {

// a * b + c in int64, or a clear error naming the quantity when it does not fit (sizes that
// large cannot be allocated anyway; unchecked, they wrap and reach ATen as garbage).
int64_t checked_mul_add(int64_t a, int64_t b, int64_t c, const char* op, const char* what) {
  int64_t product = 0, sum = 0;
  TORCH_CHECK(!__builtin_mul_overflow(a, b, &product) && !__builtin_add_overflow(product, c, &sum), op, ": ", what,
              " (", a, " * ", b, " + ", c, ") overflows 64-bit sizes");
  return sum;
}

}  // namespace

double ConvGeometry::forward_macs() const {
  return static_cast<double>(batch) * out_channels * in_per_group() * out_h * out_w *
         kernel_h * kernel_w;
}

std::vector<int64_t> ConvGeometry::to_vector() const {
  return {batch,      in_channels, out_channels, groups,     in_h,     in_w,
          kernel_h,   kernel_w,    stride_h,     stride_w,   dilation_h, dilation_w,
          pad_top,    pad_bottom,  pad_left,     pad_right,  out_h,    out_w};
}

ConvGeometry ConvGeometry::from_vector(const std::vector<int64_t>& v) {
  TORCH_INTERNAL_ASSERT(v.size() == 18, "ConvGeometry::from_vector: expected 18 values");
  ConvGeometry g;
  g.batch = v[0]; g.in_channels = v[1]; g.out_channels = v[2]; g.groups = v[3];
  g.in_h = v[4]; g.in_w = v[5]; g.kernel_h = v[6]; g.kernel_w = v[7];
  g.stride_h = v[8]; g.stride_w = v[9]; g.dilation_h = v[10]; g.dilation_w = v[11];
  g.pad_top = v[12]; g.pad_bottom = v[13]; g.pad_left = v[14]; g.pad_right = v[15];
  g.out_h = v[16]; g.out_w = v[17];
  return g;
}

std::string ConvGeometry::to_string() const {
  std::ostringstream s;
  s << "N" << batch << " C" << in_channels << "->" << out_channels << " " << in_h << "x" << in_w
    << " k" << kernel_h << "x" << kernel_w << " s" << stride_h << "x" << stride_w << " d"
    << dilation_h << "x" << dilation_w << " p" << pad_top << "," << pad_bottom << ","
    << pad_left << "," << pad_right << " g" << groups;
  return s.str();
}

ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight,
                                const at::Tensor& bias, const Conv2dFuncOptions& options,
                                const char* op) {
  TORCH_CHECK(input.defined(), op, ": the input is an undefined tensor");
  TORCH_CHECK(weight.defined(), op, ": the weight is an undefined tensor");
  TORCH_CHECK(input.dim() == 4, op, ": expected a 4-D input (N, C, H, W) or a 3-D one (C, H, W), but got a ",
              input.dim(), "-D input of size ", input.sizes());
  TORCH_CHECK(weight.dim() == 4, op, ": expected a 4-D weight (out_channels, in_channels / groups, kH, kW), but got a ",
              weight.dim(), "-D weight of size ", weight.sizes());
  TORCH_CHECK(at::isFloatingType(input.scalar_type()), op,
              ": expected a floating-point input (float32 or float64; float16/bfloat16 run with aten), but got ",
              input.scalar_type());
  TORCH_CHECK(input.scalar_type() == weight.scalar_type(), op,
              ": input and weight must have the same dtype, but the input is ",
              input.scalar_type(), " and the weight is ", weight.scalar_type());
  TORCH_CHECK(input.device() == weight.device(), op,
              ": input and weight must be on the same device, but the input is on ",
              input.device(), " and the weight on ", weight.device());

  ConvGeometry g;
  g.batch = input.size(0);
  g.in_channels = input.size(1);
  g.in_h = input.size(2);
  g.in_w = input.size(3);
  g.out_channels = weight.size(0);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.groups = options.groups();

  TORCH_CHECK(input.numel() > 0 || g.batch == 0 || g.in_channels == 0, op,
              ": only an empty batch or zero input channels may make the input empty (as in torch::conv2d), but got "
              "an input of size ", input.sizes());
  TORCH_CHECK(g.groups > 0, op, ": groups must be positive, but got groups=", g.groups);
  TORCH_CHECK(g.out_channels > 0, op, ": the weight must have at least one output channel, but has size ",
              weight.sizes());
  TORCH_CHECK(g.kernel_h > 0 && g.kernel_w > 0, op, ": the kernel must be at least 1x1, but the weight has size ",
              weight.sizes());
  TORCH_CHECK(g.in_channels % g.groups == 0, op, ": in_channels (", g.in_channels,
              ") must be divisible by groups (", g.groups, ")");
  TORCH_CHECK(g.out_channels % g.groups == 0, op, ": out_channels (", g.out_channels,
              ") must be divisible by groups (", g.groups, ")");
  TORCH_CHECK(weight.size(1) * g.groups == g.in_channels, op, ": expected the input to have ",
              weight.size(1) * g.groups, " channels (weight.size(1) = ", weight.size(1),
              " times groups = ", g.groups, "), but got an input of size ", input.sizes(),
              " with ", g.in_channels, " channels");

  const auto& stride = *options.stride();
  const auto& dilation = *options.dilation();
  g.stride_h = stride[0];
  g.stride_w = stride[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  TORCH_CHECK(g.stride_h > 0 && g.stride_w > 0, op, ": stride must be positive, but got stride=[",
              g.stride_h, ", ", g.stride_w, "]");
  TORCH_CHECK(g.dilation_h > 0 && g.dilation_w > 0, op,
              ": dilation must be positive, but got dilation=[", g.dilation_h, ", ",
              g.dilation_w, "]");

  const auto& padding = options.padding();
  if (const auto* explicit_padding = variant_get_if<torch::ExpandingArray<2>>(padding)) {
    const auto& p = **explicit_padding;
    TORCH_CHECK(p[0] >= 0 && p[1] >= 0, op, ": padding must be non-negative, but got padding=[",
                p[0], ", ", p[1], "]");
    g.pad_top = g.pad_bottom = p[0];
    g.pad_left = g.pad_right = p[1];
  } else if (variant_get_if<torch::enumtype::kSame>(padding) != nullptr) {
    TORCH_CHECK(g.stride_h == 1 && g.stride_w == 1, op,
                ": padding='same' is not supported for strided convolutions (stride=[",
                g.stride_h, ", ", g.stride_w, "]), as in torch::conv2d");
    // Total padding d*(k-1), the smaller half first: output size equals input size.
    const int64_t total_h = checked_mul_add(g.dilation_h, g.kernel_h - 1, 0, op, "the dilated kernel's height");
    const int64_t total_w = checked_mul_add(g.dilation_w, g.kernel_w - 1, 0, op, "the dilated kernel's width");
    g.pad_top = total_h / 2;
    g.pad_bottom = total_h - g.pad_top;
    g.pad_left = total_w / 2;
    g.pad_right = total_w - g.pad_left;
  }  // kValid: no padding.

  // Every size derived below (padded input, dilated kernel, output) must fit in int64.
  checked_mul_add(g.dilation_h, g.kernel_h - 1, 1, op, "the dilated kernel's height");
  checked_mul_add(g.dilation_w, g.kernel_w - 1, 1, op, "the dilated kernel's width");
  checked_mul_add(1, checked_mul_add(1, g.in_h, g.pad_top, op, "the padded input's height"), g.pad_bottom, op,
                  "the padded input's height");
  checked_mul_add(1, checked_mul_add(1, g.in_w, g.pad_left, op, "the padded input's width"), g.pad_right, op,
                  "the padded input's width");
  TORCH_CHECK(g.padded_h() >= g.kernel_extent_h() && g.padded_w() >= g.kernel_extent_w(), op,
              ": the padded input (", g.padded_h(), "x", g.padded_w(),
              ") is smaller than the dilated kernel (", g.kernel_extent_h(), "x",
              g.kernel_extent_w(), "); the kernel can't be greater than the padded input");
  g.out_h = (g.padded_h() - g.kernel_extent_h()) / g.stride_h + 1;
  g.out_w = (g.padded_w() - g.kernel_extent_w()) / g.stride_w + 1;
  // With one output along an axis, only the window at offset 0 is used and the stride's value
  // changes nothing but the index arithmetic: clamp it to the smallest stride with that output,
  // so no algorithm multiplies by a stride of 2^62 (LibTorch's oneDNN path refuses one).
  if (g.out_h == 1) g.stride_h = std::min(g.stride_h, g.padded_h() - g.kernel_extent_h() + 1);
  if (g.out_w == 1) g.stride_w = std::min(g.stride_w, g.padded_w() - g.kernel_extent_w() + 1);
  checked_mul_add(checked_mul_add(g.batch, g.out_channels, 0, op, "the output's size"),
                  checked_mul_add(g.out_h, g.out_w, 0, op, "the output's size"), 0, op, "the output's size");

  if (bias.defined()) {
    TORCH_CHECK(bias.dim() == 1 && bias.size(0) == g.out_channels, op,
                ": expected a bias of size [", g.out_channels, "] (one per output channel), but got ",
                bias.sizes());
    TORCH_CHECK(bias.scalar_type() == input.scalar_type(), op,
                ": bias must have the input's dtype ", input.scalar_type(), ", but is ",
                bias.scalar_type());
    TORCH_CHECK(bias.device() == input.device(), op,
                ": bias must be on the input's device ", input.device(), ", but is on ",
                bias.device());
  }
  return g;
}

}  // namespace oaconv
