#include "aten_conv.h"

#include <ATen/ATen.h>

#include <array>
#include <exception>

namespace oaconv::aten {
namespace {

// ATen takes one padding per axis; "same" with an even dilated kernel pads one more row/column
// at the bottom/right (as torch does), which is done explicitly by constant_pad_nd.
at::Tensor padded_if_asymmetric(const at::Tensor& x, const ConvGeometry& g) {
  if (g.symmetric_padding()) return x;
  return at::constant_pad_nd(x, {g.pad_left, g.pad_right, g.pad_top, g.pad_bottom}, 0);
}

std::array<int64_t, 2> symmetric_padding(const ConvGeometry& g) {
  if (!g.symmetric_padding()) return {0, 0};
  return {g.pad_top, g.pad_left};
}

// LibTorch hands some cases to oneDNN unchecked (a stride of 2^62), which then throws its own
// dnnl::error ("could not create a descriptor ..."): such a failure becomes a c10::Error that
// names the operation and the case, as every other oaconv error.
template <typename F>
auto with_named_errors(const ConvGeometry& g, const char* pass, F&& run) {
  try {
    return run();
  } catch (const c10::Error&) {
    throw;
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::conv2d: LibTorch's convolution (", pass, ") failed on ", g.to_string(), ": ", e.what());
  }
}

}  // namespace

at::Tensor conv2d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                  const ConvGeometry& g) {
  const std::array<int64_t, 2> stride{g.stride_h, g.stride_w};
  const std::array<int64_t, 2> dilation{g.dilation_h, g.dilation_w};
  return with_named_errors(g, "forward", [&] {
    return at::conv2d(padded_if_asymmetric(x, g), w, bias, stride, symmetric_padding(g), dilation, g.groups);
  });
}

Gradients conv2d_backward(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g, bool want_gx, bool want_gw) {
  Gradients out;
  if (!want_gx && !want_gw) return out;
  const std::array<int64_t, 2> stride{g.stride_h, g.stride_w}, dilation{g.dilation_h, g.dilation_w};
  const std::array<int64_t, 2> no_output_padding{0, 0};
  auto grads = with_named_errors(g, "backward", [&] {
    return at::convolution_backward(gy, padded_if_asymmetric(x, g), w, c10::nullopt, stride, symmetric_padding(g),
                                    dilation, /*transposed=*/false, no_output_padding, g.groups,
                                    {want_gx, want_gw, false});
  });
  if (want_gx) {
    out.gx = std::get<0>(grads);
    // The padded input's gradient, cropped back to the input.
    if (!g.symmetric_padding()) out.gx = out.gx.narrow(2, g.pad_top, g.in_h).narrow(3, g.pad_left, g.in_w);
  }
  if (want_gw) out.gw = std::get<1>(grads);
  return out;
}

}  // namespace oaconv::aten
