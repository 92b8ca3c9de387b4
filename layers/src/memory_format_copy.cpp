#include "memory_format_copy.h"

#include "parallel_tasks.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace oaconv {
namespace {

constexpr int64_t kTile = 32;  // 32 x 32 elements: a tile read and its transpose written stay in L1

// dst (batch, cols, rows) = src (batch, rows, cols) transposed per sample, tile by tile.
template <typename T>
void transpose_samples(const T* src, T* dst, int64_t batch, int64_t rows, int64_t cols) {
  const int64_t row_tiles = (rows + kTile - 1) / kTile, col_tiles = (cols + kTile - 1) / kTile;
  const int64_t per_sample = row_tiles * col_tiles;
  parallel_range(batch * per_sample, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / per_sample, tile = task % per_sample;
      const int64_t r0 = (tile / col_tiles) * kTile, c0 = (tile % col_tiles) * kTile;
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      const T* s = src + n * rows * cols;
      T* d = dst + n * rows * cols;
      // Through a tile buffer: the source read and the destination written in runs of up to
      // kTile consecutive elements. Element by element, one side strides by a whole row (4 KiB
      // for 1024 positions in float32), and such strides share a few L1 sets.
      T buffer[kTile][kTile];
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) buffer[c - c0][r - r0] = s[r * cols + c];
      }
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) d[c * rows + r] = buffer[c - c0][r - r0];
      }
    }
  });
}

bool channels_last_format(at::MemoryFormat f) {
  return f == at::MemoryFormat::ChannelsLast || f == at::MemoryFormat::ChannelsLast3d;
}

}  // namespace

at::Tensor in_memory_format(const at::Tensor& t, at::MemoryFormat format) {
  if (t.is_contiguous(format)) return t;
  const bool floating = t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble;
  const at::MemoryFormat channels_last = t.dim() == 4   ? at::MemoryFormat::ChannelsLast
                                         : t.dim() == 5 ? at::MemoryFormat::ChannelsLast3d
                                                        : at::MemoryFormat::Preserve;
  const bool to_channels_last = channels_last_format(format) && format == channels_last && t.is_contiguous();
  const bool from_channels_last = format == at::MemoryFormat::Contiguous &&
                                  channels_last != at::MemoryFormat::Preserve && t.is_contiguous(channels_last);
  if (!floating || t.numel() == 0 || (!to_channels_last && !from_channels_last)) return t.contiguous(format);
  const int64_t batch = t.size(0), channels = t.size(1), positions = t.numel() / (batch * channels);
  at::Tensor out = at::empty_like(t, format);
  // NCHW holds each sample as channels x positions, channels-last as positions x channels.
  const int64_t rows = to_channels_last ? channels : positions, cols = to_channels_last ? positions : channels;
  AT_DISPATCH_FLOATING_TYPES(t.scalar_type(), "oaconv::in_memory_format", [&] {
    transpose_samples(t.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), batch, rows, cols);
  });
  return out;
}

}  // namespace oaconv
