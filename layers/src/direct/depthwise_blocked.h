#pragma once
// The depthwise correlation with channels in the SIMD lanes.
//
// In NCHW a depthwise layer's weight is one scalar per tap and channel, and the input vectors
// a tap reads start at any column: every multiply-add needs its own unaligned load, which
// crosses a cache line and costs two, and that caps the loop at about one multiply-add a
// cycle. Here a task takes a block of `lanes` channels of one image, places them channel-
// innermost ([D][H][W][lanes], padded as the axes say, zeros elsewhere), so that the input at
// one position for all the block's channels is one aligned vector and a tap's weights for them
// are one vector; each output position's vector is then a chain of aligned loads and
// multiply-adds, 8 positions of a row at a time, at any stride and dilation. The result block is
// written back channel by channel.
#include "../conv_geometry.h"
#include "correlate_padded.h"

#include <ATen/core/Tensor.h>

namespace oaconv::direct {

// Groups of G = 1, 2 or 4 channels in and out (ResNeXt's 4, and grad-input of such layers) take
// the same kernels: a block of lanes holds whole groups, and lane j's output channel takes
// input channel i of its group by a shuffle within the group's lanes, G multiply-adds per tap.
//
// Whether correlate_depthwise_blocked takes this shape: G (above) channels per group in and out,
// and at least two channel blocks per thread (fewer: the plane-row kernel spreads a plane's rows
// over the threads instead).
bool depthwise_blocked_applies(const CorrelateShape& shape, at::ScalarType dtype);

// y = bias + correlation of the placed `source` (N, C, axes sizes) with w (C, G, kd, kh, kw),
// as correlate_placed_out computes it; shape.padded_* are the axes' padded extents. source and y
// each packed NCDHW or NDHWC (channel_layout.h), w contiguous.
void correlate_depthwise_blocked(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                                 const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y);

// Whether grad_weight_depthwise_blocked takes the layer: G channels per group in and out, and
// at least two channel blocks per thread (its tasks are channel blocks, each reducing over every
// image).
bool depthwise_blocked_grad_weight_applies(const ConvGeometry& g, at::ScalarType dtype);

// gw (C, G, kd, kh, kw): per channel block, over every image, the input and grad-output placed
// channel-innermost; the taps of a kernel row, 8 / G at a time, accumulate one aligned
// grad-output vector times one aligned input vector each (per member of the group: shuffled). x (N, C, D, H, W) is
// placed as x_axes say (the forward padding; padded extents exactly what the taps read). x and
// gy each packed NCDHW or NDHWC, gw contiguous.
void grad_weight_depthwise_blocked(const at::Tensor& x, const PlacedAxis (&x_axes)[3], const at::Tensor& gy,
                                   const ConvGeometry& g, at::Tensor& gw);

}  // namespace oaconv::direct
