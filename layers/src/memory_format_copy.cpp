#include "memory_format_copy.h"

#include "parallel_tasks.h"

#include <ATen/ATen.h>

#include <algorithm>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace oaconv {
namespace {

constexpr int64_t kTile = 32;  // 32 x 32 elements: a tile read and its transpose written stay in L1

// d[c * ds + r] = s[r * ss + c] for r < rows, c < cols: one element at a time.
template <typename T>
void transpose_scalar(const T* s, int64_t ss, T* d, int64_t ds, int64_t rows, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c) {
    for (int64_t r = 0; r < rows; ++r) d[c * ds + r] = s[r * ss + c];
  }
}

// The same for a block of one SSE register's width in both directions (x86-64's baseline: every
// machine this builds for has it), four floats or two doubles: loaded as rows, shuffled,
// stored as rows. Element by element, the loop is instruction-bound (two memory operations an
// element), at a quarter of a plain copy's speed.
#if defined(__SSE2__)
constexpr int64_t block_of(float) { return 4; }
constexpr int64_t block_of(double) { return 2; }
inline void transpose_block(const float* s, int64_t ss, float* d, int64_t ds) {
  __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + ss), r2 = _mm_loadu_ps(s + 2 * ss), r3 = _mm_loadu_ps(s + 3 * ss);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(d, r0);
  _mm_storeu_ps(d + ds, r1);
  _mm_storeu_ps(d + 2 * ds, r2);
  _mm_storeu_ps(d + 3 * ds, r3);
}
inline void transpose_block(const double* s, int64_t ss, double* d, int64_t ds) {
  const __m128d a = _mm_loadu_pd(s), b = _mm_loadu_pd(s + ss);
  _mm_storeu_pd(d, _mm_unpacklo_pd(a, b));
  _mm_storeu_pd(d + ds, _mm_unpackhi_pd(a, b));
}
#else
template <typename T>
constexpr int64_t block_of(T) { return 1; }
template <typename T>
void transpose_block(const T* s, int64_t ss, T* d, int64_t ds) { *d = *s; }
#endif

// One tile (rows, cols <= kTile): whole register blocks, then the edges element by element.
template <typename T>
void transpose_tile(const T* s, int64_t ss, T* d, int64_t ds, int64_t rows, int64_t cols) {
  constexpr int64_t b = block_of(T{});
  const int64_t block_rows = rows / b * b, block_cols = cols / b * b;
  for (int64_t r = 0; r < block_rows; r += b) {
    for (int64_t c = 0; c < block_cols; c += b) transpose_block(s + r * ss + c, ss, d + c * ds + r, ds);
  }
  transpose_scalar(s + block_rows * ss, ss, d + block_rows, ds, rows - block_rows, cols);
  transpose_scalar(s + block_cols, ss, d + block_cols * ds, ds, block_rows, cols - block_cols);
}

// dst (batch, cols, rows) = src (batch, rows, cols) transposed per sample, tile by tile.
template <typename T>
void transpose_samples(const T* src, T* dst, int64_t batch, int64_t rows, int64_t cols) {
  const int64_t row_tiles = (rows + kTile - 1) / kTile, col_tiles = (cols + kTile - 1) / kTile;
  const int64_t per_sample = row_tiles * col_tiles;
  parallel_range(batch * per_sample, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / per_sample, tile = task % per_sample;
      const int64_t r0 = (tile / col_tiles) * kTile, c0 = (tile % col_tiles) * kTile;
      const T* s = src + n * rows * cols;
      T* d = dst + n * rows * cols;
      transpose_tile(s + r0 * cols + c0, cols, d + c0 * rows + r0, rows, std::min(kTile, rows - r0),
                     std::min(kTile, cols - c0));
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
