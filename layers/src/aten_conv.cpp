#include "aten_conv.h"

#include <ATen/ATen.h>

#include <exception>
#include <vector>

namespace oaconv::aten {
namespace {

// ATen takes one padding per axis; "same" with an even dilated kernel pads one more at the end
// of an axis (as torch does), which is done explicitly by constant_pad_nd.
at::Tensor padded_if_asymmetric(const at::Tensor& x, const ConvGeometry& g) {
  if (g.symmetric_padding()) return x;
  std::vector<int64_t> pad;  // last axis first, as constant_pad_nd takes it
  for (int a = static_cast<int>(g.rank) - 1; a >= 0; --a) pad.insert(pad.end(), {g.pad_before[a], g.pad_after[a]});
  return at::constant_pad_nd(x, pad, 0);
}

std::vector<int64_t> symmetric_padding(const ConvGeometry& g) {
  if (!g.symmetric_padding()) return std::vector<int64_t>(g.rank, 0);
  const auto p = g.axes(g.pad_before);
  return std::vector<int64_t>(p.begin(), p.end());
}

std::vector<int64_t> zeros(const ConvGeometry& g) { return std::vector<int64_t>(g.rank, 0); }

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
    TORCH_CHECK(false, "oaconv: LibTorch's convolution (", pass, ") failed on ", g.to_string(), ": ", e.what());
  }
}

}  // namespace

at::MemoryFormat result_memory_format(const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const bool channels_last = !g.transposed && x.dim() == 4 && w.dim() == 4 &&
                             (x.suggest_memory_format() == at::MemoryFormat::ChannelsLast ||
                              w.suggest_memory_format() == at::MemoryFormat::ChannelsLast);
  return channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
}

at::Tensor convolution(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  return with_named_errors(g, "forward", [&] {
    return at::convolution(padded_if_asymmetric(x, g), w, bias, g.axes(g.stride), symmetric_padding(g),
                           g.axes(g.dilation), /*transposed=*/false, zeros(g), g.groups);
  });
}

Gradients convolution_backward(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g,
                               bool want_gx, bool want_gw) {
  Gradients out;
  if (!want_gx && !want_gw) return out;
  auto grads = with_named_errors(g, "backward", [&] {
    return at::convolution_backward(gy, padded_if_asymmetric(x, g), w, c10::nullopt, g.axes(g.stride),
                                    symmetric_padding(g), g.axes(g.dilation), /*transposed=*/false, zeros(g), g.groups,
                                    {want_gx, want_gw, false});
  });
  if (want_gx) {
    out.gx = std::get<0>(grads);
    // The padded input's gradient, cropped back to the input.
    if (!g.symmetric_padding()) {
      for (int a = 0; a < g.rank; ++a) out.gx = out.gx.narrow(2 + a, g.pad_before[a], g.in[a]);
    }
  }
  if (want_gw) out.gw = std::get<1>(grads);
  return out;
}

at::Tensor conv_transpose(const at::Tensor& input, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  TORCH_INTERNAL_ASSERT(g.transposed && g.symmetric_padding());
  return with_named_errors(g, "forward", [&] {
    return at::convolution(input, w, bias, g.axes(g.stride), g.axes(g.pad_before), g.axes(g.dilation),
                           /*transposed=*/true, g.axes(g.output_padding), g.groups);
  });
}

Gradients conv_transpose_backward(const at::Tensor& grad_output, const at::Tensor& input, const at::Tensor& w,
                                  const ConvGeometry& g, bool want_gx, bool want_gw) {
  TORCH_INTERNAL_ASSERT(g.transposed && g.symmetric_padding());
  Gradients out;
  if (!want_gx && !want_gw) return out;
  auto grads = with_named_errors(g, "backward", [&] {
    return at::convolution_backward(grad_output, input, w, c10::nullopt, g.axes(g.stride), g.axes(g.pad_before),
                                    g.axes(g.dilation), /*transposed=*/true, g.axes(g.output_padding), g.groups,
                                    {want_gx, want_gw, false});
  });
  if (want_gx) out.gx = std::get<0>(grads);
  if (want_gw) out.gw = std::get<1>(grads);
  return out;
}

}  // namespace oaconv::aten
