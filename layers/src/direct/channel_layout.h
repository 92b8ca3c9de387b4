#pragma once
// Where a channel-blocked kernel finds the samples of a densely packed 5-D tensor (N, C, D, H,
// W): element (n, c, position p) lies at n * image + c * channel + p * position, p = (z * H +
// i) * W + j. Packed NCDHW has channel = D H W, position = 1; packed NDHWC (a channels-last
// 4-D tensor seen with a unit depth axis) has channel = 1, position = C. The blocked kernels
// gather and scatter vectors of channels, which NDHWC holds side by side, so they read and
// write either layout as it is, where the other kernels need NCDHW.
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <cstdint>

namespace oaconv::direct {

struct ChannelLayout {
  int64_t image, channel, position;
};

// Whether t (5-D) is densely packed NCDHW or NDHWC.
inline bool packed_nchw_or_channels_last(const at::Tensor& t) {
  return t.dim() == 5 && (t.is_contiguous() || t.is_contiguous(at::MemoryFormat::ChannelsLast3d));
}

// t's layout; t must be packed_nchw_or_channels_last (where it is both, with one channel or
// one position, the two layouts are the same bytes and NCDHW's strides are given).
inline ChannelLayout channel_layout(const at::Tensor& t) {
  TORCH_INTERNAL_ASSERT(packed_nchw_or_channels_last(t), "channel_layout: a 5-D tensor packed NCDHW or NDHWC");
  const int64_t channels = t.size(1), volume = t.size(2) * t.size(3) * t.size(4);
  if (t.is_contiguous()) return {channels * volume, volume, 1};
  return {channels * volume, 1, channels};
}

}  // namespace oaconv::direct
