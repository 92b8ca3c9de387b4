#pragma once
// The one spatial kernel of the direct algorithm: a grouped, strided, dilated 3-D
// cross-correlation of an input that is already zero-padded on every side,
//
//   y[n, o, z, i, j] = bias[o] + sum_{c < Cg} sum_{e < kd} sum_{a < kh} sum_{b < kw}
//       xp[n, g*Cg + c, z*sd + e*dd, i*sh + a*dh, j*sw + b*dw] * w[o, c, e, a, b],   g = o / Og
//
// (1-D and 2-D convolutions run it with unit leading axes).
//
// Forward runs it on the padded input; grad-input runs it on the zero-inserted, padded
// grad-output with the flipped, transposed weight (see direct_grad_input.cpp).
#include "placed_planes.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace oaconv::direct {

struct CorrelateShape {
  int64_t batch, in_channels, out_channels, groups;
  int64_t padded_d, padded_h, padded_w;  // of xp
  int64_t kernel_d, kernel_h, kernel_w;
  int64_t stride_d, stride_h, stride_w;
  int64_t dilation_d, dilation_h, dilation_w;
  int64_t out_d, out_h, out_w;
};

// Columns the padded input must have so that whole SIMD vectors of output columns read in
// bounds: (round_up(out_w, lanes) - 1) * sw + (kw - 1) * dw + 1.
int64_t required_padded_width(int64_t out_w, int64_t kernel_w, int64_t stride_w,
                              int64_t dilation_w, at::ScalarType dtype);

// xp (N, C, Dp, Hp, Wp) and w (O, C/groups, kd, kh, kw) contiguous; bias (O) or undefined; y
// (N, O, out_d, out_h, out_w) contiguous, every element written. Parallel over (n, output block).
// For more than one output channel per group (one per group: correlate_placed_out).
void correlate_padded_out(const at::Tensor& xp, const at::Tensor& w, const at::Tensor& bias,
                          const CorrelateShape& shape, at::Tensor& y);

// The same correlation for one output channel per group (out_channels == groups: depthwise
// layers, and grad-input of depthwise layers), or for groups the channel-blocked kernel takes
// (depthwise_blocked_applies: 2 or 4 channels a group in and out), over a padded input that is
// never built whole:
// each task places its group's planes of `source` (N, C, axes[0].size, axes[1].size,
// axes[2].size), contiguous, into a buffer of its thread as `axes` say (placed_planes.h), and
// correlates from there while they are in cache; a strided row is stored in stride_w phases, so
// every load is contiguous. shape.padded_* are the axes' padded extents. Where the channel-
// blocked kernel runs, source and y may each be packed NCDHW or NDHWC (channel_layout.h).
void correlate_placed_out(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                          const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y);

}  // namespace oaconv::direct
