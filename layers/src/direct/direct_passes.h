#pragma once
// The direct (spatial) algorithm's passes. Each writes every element of its output tensor, so
// tests can poison the output with NaN first and see anything left unwritten. They take a
// rank-3 geometry and 5-D tensors (N, C, D, H, W): a 1-D or 2-D convolution comes with unit
// leading axes (with_leading_unit_axes, unsqueeze_to_rank).
#include "../conv_geometry.h"
#include "depthwise_blocked.h"

#include <ATen/core/Tensor.h>

namespace oaconv::direct {

// Whether a pass runs on the channel-blocked kernels (depthwise_blocked.h), which read x and gy
// and write y and gx packed NCDHW or NDHWC as they come (channel_layout.h): a channels-last
// call needs no transposes there. Every other pass reads and writes NCDHW (contiguous).
bool forward_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype);
bool grad_input_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype);
inline bool grad_weight_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype) {
  return depthwise_blocked_grad_weight_applies(g, dtype);
}

// y (N, O, Do, Ho, Wo) = bias + x ⋆ w. x (N, C, D, H, W), y and w contiguous, or x and y each
// packed NDHWC where forward_takes_channels_last.
void forward_out(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                 const ConvGeometry& g, at::Tensor& y);

// gx (N, C, D, H, W) = d loss / d x, given gy = d loss / d y (N, O, Do, Ho, Wo); both
// contiguous, or either packed NDHWC where grad_input_takes_channels_last.
void grad_input_out(const at::Tensor& gy, const at::Tensor& w, const ConvGeometry& g,
                    at::Tensor& gx);

// gw (O, C / groups, kd, kh, kw) = d loss / d w; gy and x contiguous, or either packed NDHWC
// where grad_weight_takes_channels_last.
void grad_weight_out(const at::Tensor& gy, const at::Tensor& x, const ConvGeometry& g,
                     at::Tensor& gw);

// True when the forward's padded input (pad_input) would be far larger than the input itself:
// the SIMD rows compute whole vectors of output columns, so a row of a strided pass reads
// (vector - 1) * stride columns past its last output; with a stride far beyond the kernel
// (stride 1e6 on a 16x16 image) that is gigabytes for a 1x1 output. Any rank.
bool row_padding_is_excessive(const ConvGeometry& g);

// Zero-pads x by the geometry's padding, plus enough extra columns on the right for whole
// SIMD vectors of output columns (see required_padded_width).
at::Tensor pad_input(const at::Tensor& x, const ConvGeometry& g);

// The correlation of geometry g over its padded input xp (undefined: padded sizes 0, for the
// caller to fill in).
struct CorrelateShape;
CorrelateShape correlate_shape(const ConvGeometry& g, const at::Tensor& xp);

}  // namespace oaconv::direct
