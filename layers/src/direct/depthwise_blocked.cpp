#include "depthwise_blocked.h"

#include "channel_layout.h"
#include "../parallel_tasks.h"
#include "../simd_vec.h"

#include <ATen/Dispatch.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace oaconv::direct {
namespace {

// Output positions of a row computed together: 8 independent chains of multiply-adds cover the
// FMA units' latency on AVX2 and AVX-512; with the weight vector and one loaded input vector
// they use 10 registers.
constexpr int kPositions = 8;

// f(integral_constant<int, i>) for i = 0 .. N-1, each i a compile-time constant.
template <typename F, size_t... I>
inline void static_for_impl(F&& f, std::index_sequence<I...>) {
  (f(std::integral_constant<int, static_cast<int>(I)>()), ...);
}
template <int N, typename F>
inline void static_for(F&& f) {
  static_for_impl(f, std::make_index_sequence<N>());
}

// In a block of channels whose groups are G consecutive channels (G divides the lanes), lane j
// of the result is lane (j / G) * G + I of v: channel I of each lane's group, spread over the
// group's lanes. With in- and output channels of a group in the same lanes, it puts input
// channel I of its group beside every output channel (G = 1: v itself).
template <typename T, int G, int I>
inline typename Simd<T>::Vec group_member(const typename Simd<T>::Vec& v) {
  if constexpr (G == 1) {
    return v;
  } else {
    constexpr typename Simd<T>::Mask m = Simd<T>::lanes([](int j) { return j / G * G + I; });
    return shuffle(v, m);
  }
}

// dst[k * L + c] = src[c][offset + k] for k, c < L: an L x L tile from L rows (one per channel)
// to L channel vectors. Sizes known at compile time let the compiler do it with vector
// permutes instead of L^2 scalar moves.
template <typename T, int L>
inline void tile_to_channels(const T* const* src, int64_t offset, T* dst) {
  T tile[L][L];
  for (int c = 0; c < L; ++c) std::memcpy(tile[c], src[c] + offset, L * sizeof(T));
  for (int k = 0; k < L; ++k)
    for (int c = 0; c < L; ++c) dst[k * L + c] = tile[c][k];
}

// dst[c][offset + k] = src[k * L + c]: the inverse, channel vectors back to rows.
template <typename T, int L>
inline void tile_from_channels(const T* src, T* const* dst, int64_t offset) {
  T tile[L][L];
  std::memcpy(tile, src, sizeof(tile));
  for (int c = 0; c < L; ++c)
    for (int k = 0; k < L; ++k) dst[c][offset + k] = tile[k][c];
}

// Places channel blocks of a source (N, C, axes sizes), packed NCDHW or NDHWC as `layout` says,
// channel-innermost into [Dp][Hp][Wp][L] buffers: zeros where no source sample lands. From NCDHW,
// whole L x L tiles where the columns are consecutive and the block is full; from NDHWC a block's
// channels at one position are already side by side: one copy of up to L values.
template <typename T, int L>
class ChannelBlockPlacer {
 public:
  ChannelBlockPlacer(const T* src, ChannelLayout layout, const PlacedAxis (&axes)[3], int64_t wp)
      : src_(src), layout_(layout), axes_(axes), wp_(wp) {
    const PlacedAxis& aw = axes[2];
    for (int64_t j = 0; j < aw.size; ++j) {
      const int64_t p = aw.offset + j * aw.spacing;
      if (p < 0 || p >= wp) continue;
      if (first_ < 0) first_ = j;
      column_.push_back(p);
    }
    first_ = std::max<int64_t>(first_, 0);  // no column lands: the copy loops do nothing
  }

  // Channels c0 .. c0 + lanes - 1 (lanes <= L) of image n into dst.
  void place(int64_t n, int64_t c0, int64_t lanes, T* dst) const {
    for (int64_t pd = 0; pd < axes_[0].padded; ++pd) {
      place_rows(n, c0, lanes, pd, 0, axes_[1].padded, dst + pd * axes_[1].padded * wp_ * L, 0);
    }
  }

  // Padded rows ph0 .. ph0 + rows - 1 of padded depth pd only, into rows 0 .. rows - 1, for the
  // blocks of channels c0 .. c0 + count - 1: block b (the last part-filled where count is not a
  // multiple of L) into dst + b * block_elements. From NDHWC a position's channels are read once,
  // in order, and dealt out to the blocks (block by block, each pass read every cache line of the
  // source in parts, half a line at a time).
  void place_rows(int64_t n, int64_t c0, int64_t count, int64_t pd, int64_t ph0, int64_t rows, T* dst,
                  int64_t block_elements) const {
    const int64_t blocks = (count + L - 1) / L, full_blocks = count / L;
    if (layout_.position == 1) {
      for (int64_t b = 0; b < blocks; ++b) {
        place_block_rows(n, c0 + b * L, std::min<int64_t>(L, count - b * L), pd, ph0, rows, dst + b * block_elements);
      }
      return;
    }
    const PlacedAxis &ah = axes_[1], &aw = axes_[2];
    const int64_t ncols = static_cast<int64_t>(column_.size());
    const int64_t p0 = ncols > 0 ? column_[0] : 0;
    const int64_t z = placed_source(axes_[0], pd);
    for (int64_t ph = ph0; ph < ph0 + rows; ++ph) {
      const int64_t i = z < 0 ? -1 : placed_source(ah, ph);
      const int64_t row_offset = (ph - ph0) * wp_ * L;
      const bool lands = i >= 0 && ncols > 0;
      for (int64_t b = 0; b < blocks; ++b) {
        T* dst_row = dst + b * block_elements + row_offset;
        // Zeros: all of a row no column lands in, a part-filled block's lanes past the channels,
        // the padding between spaced columns; else the padding either side.
        if (!lands || b == full_blocks || aw.spacing != 1) {
          zero_columns(dst_row, 0, wp_);
        } else {
          zero_columns(dst_row, 0, p0);
          zero_columns(dst_row, p0 + ncols, wp_);
        }
      }
      if (!lands) continue;
      const T* src_row = src_ + n * layout_.image + ((z * ah.size + i) * aw.size + first_) * layout_.position + c0;
      for (int64_t k = 0; k < ncols; ++k) {
        const T* from = src_row + k * layout_.position;
        T* to = dst + row_offset + column_[k] * L;
        for (int64_t b = 0; b < full_blocks; ++b) std::memcpy(to + b * block_elements, from + b * L, L * sizeof(T));
        if (full_blocks < blocks) {
          std::memcpy(to + full_blocks * block_elements, from + full_blocks * L, (count - full_blocks * L) * sizeof(T));
        }
      }
    }
  }

 private:
  // Zeros in padded columns [from, to) of a row.
  static void zero_columns(T* row, int64_t from, int64_t to) { std::fill(row + from * L, row + to * L, T(0)); }

  // place_rows of one block (lanes <= L) from NCDHW: whole L x L tiles where the columns are
  // consecutive and the block is full.
  void place_block_rows(int64_t n, int64_t c0, int64_t lanes, int64_t pd, int64_t ph0, int64_t rows, T* dst) const {
    const PlacedAxis &ah = axes_[1], &aw = axes_[2];
    const bool tiles = lanes == L && aw.spacing == 1;
    const int64_t ncols = static_cast<int64_t>(column_.size());
    const int64_t p0 = ncols > 0 ? column_[0] : 0;
    const int64_t z = placed_source(axes_[0], pd);
    const T* src_rows[L];
    for (int64_t ph = ph0; ph < ph0 + rows; ++ph) {
      const int64_t i = z < 0 ? -1 : placed_source(ah, ph);
      T* dst_row = dst + (ph - ph0) * wp_ * L;
      if (i < 0 || ncols == 0) {
        zero_columns(dst_row, 0, wp_);
        continue;
      }
      if (tiles) {
        zero_columns(dst_row, 0, p0);
        zero_columns(dst_row, p0 + ncols, wp_);
      } else {
        zero_columns(dst_row, 0, wp_);
      }
      const int64_t first_position = (z * ah.size + i) * aw.size + first_;
      for (int64_t c = 0; c < lanes; ++c) {
        src_rows[c] = src_ + n * layout_.image + (c0 + c) * layout_.channel + first_position;
      }
      if (!tiles) {
        for (int64_t c = 0; c < lanes; ++c) {
          for (int64_t k = 0; k < ncols; ++k) dst_row[column_[k] * L + c] = src_rows[c][k];
        }
        continue;
      }
      int64_t k = 0;
      for (; k + L <= ncols; k += L) tile_to_channels<T, L>(src_rows, k, dst_row + (p0 + k) * L);
      for (; k < ncols; ++k)
        for (int64_t c = 0; c < L; ++c) dst_row[(p0 + k) * L + c] = src_rows[c][k];
    }
  }

  const T* src_;
  ChannelLayout layout_;
  const PlacedAxis (&axes_)[3];
  int64_t wp_;
  std::vector<int64_t> column_;  // padded column of each source column that lands
  int64_t first_ = -1;           // the first source column that lands
};

// acc[q] += sum_b w[b] x[q + b] for one kernel row of width KW at unit stride and dilation, with
// the row's P + KW - 1 input vectors loaded once and held in registers: every input vector serves
// up to KW multiply-adds, where a load per multiply-add made the loads the limit. With 32 vector
// registers (AVX-512): 8 accumulators and up to 20 inputs and a weight.
template <typename T, int P, int KW>
inline void window_row(const T* row, const T* w, typename Simd<T>::Vec (&acc)[P]) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int L = S::kLanes;
  Vec win[P + KW - 1];
#pragma GCC unroll 32
  for (int t = 0; t < P + KW - 1; ++t) win[t] = S::load(row + t * L);
#pragma GCC unroll 16
  for (int b = 0; b < KW; ++b) {
    const Vec wv = S::load(w + b * L);
#pragma GCC unroll 16
    for (int q = 0; q < P; ++q) acc[q] += win[q + b] * wv;
  }
}

// window_row for the kernel widths it is instantiated for; false for others.
template <typename T, int P>
bool window_row_for(int64_t kw, const T* row, const T* w, typename Simd<T>::Vec (&acc)[P]) {
  switch (kw) {
    case 3: window_row<T, P, 3>(row, w, acc); return true;
    case 5: window_row<T, P, 5>(row, w, acc); return true;
    case 7: window_row<T, P, 7>(row, w, acc); return true;
    case 9: window_row<T, P, 9>(row, w, acc); return true;
    case 11: window_row<T, P, 11>(row, w, acc); return true;
    case 13: window_row<T, P, 13>(row, w, acc); return true;
    default: return false;
  }
}

// Output rows 0 .. rows - 1 of one channel block from its placed input x ([rows][wp][L] per
// plane): output row r, kernel tap (e, a, b) reads the placed row x + e * depth_step + (r *
// stride_h + a * dilation_h) * wp * L at column j * stride_w + b * dilation_w. Output position
// (r, j) goes to out + (r * out_w + j) * out_pos, its first `lanes` lanes (all L, or a
// part-filled last block's). wk: the block's weights (per tap, per member of a group, L lanes);
// b0 its bias.
template <typename T, int G>
void correlate_block_rows(const T* x, int64_t depth_step, int64_t rows, const T* wk, typename Simd<T>::Vec b0,
                          T* out, int64_t out_pos, int64_t lanes, const CorrelateShape& s) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t row_step = s.padded_w * L;
  const bool unit_row = s.stride_w == 1 && s.dilation_w == 1;
  for (int64_t r = 0; r < rows; ++r) {
    T* out_row = out + r * s.out_w * out_pos;
    // step: between consecutive output positions' inputs, a constant at unit stride (the loads'
    // offsets then need no registers of their own).
    const auto positions = [&](int64_t j0, auto count, auto step) {
      constexpr int P = decltype(count)::value;
      Vec acc[P];
      for (int q = 0; q < P; ++q) acc[q] = b0;
      const T* wt = wk;
      for (int64_t e = 0; e < s.kernel_d; ++e) {
        for (int64_t a = 0; a < s.kernel_h; ++a) {
          const T* row = x + e * depth_step + (r * s.stride_h + a * s.dilation_h) * row_step + j0 * step;
          if constexpr (G == 1) {
            if constexpr (kSimdRegisters >= 32 && P == kPositions) {
              if (unit_row && window_row_for<T, P>(s.kernel_w, row, wt, acc)) {
                wt += s.kernel_w * L;
                continue;
              }
            }
            for (int64_t b = 0; b < s.kernel_w; ++b, wt += L) {
              const Vec wv = S::load(wt);
              const T* xb = row + b * s.dilation_w * L;
              for (int q = 0; q < P; ++q) acc[q] += S::load(xb + q * step) * wv;
            }
          } else {
            // Each input vector loaded once per tap serves the G members of its groups.
            for (int64_t b = 0; b < s.kernel_w; ++b, wt += G * L) {
              const T* xb = row + b * s.dilation_w * L;
              Vec xv[P];
              for (int q = 0; q < P; ++q) xv[q] = S::load(xb + q * step);
              static_for<G>([&](auto member) {
                constexpr int i = decltype(member)::value;
                const Vec wv = S::load(wt + i * L);
                for (int q = 0; q < P; ++q) acc[q] += group_member<T, G, i>(xv[q]) * wv;
              });
            }
          }
        }
      }
      T* o = out_row + j0 * out_pos;
      if (lanes == L) {
        for (int q = 0; q < P; ++q, o += out_pos) S::store(o, acc[q]);
      } else {
        alignas(64) T part[L];
        for (int q = 0; q < P; ++q, o += out_pos) {
          S::store(part, acc[q]);
          std::memcpy(o, part, static_cast<size_t>(lanes) * sizeof(T));
        }
      }
    };
    // The row's last positions in blocks of 4, 2, 1: one at a time they would be chains of
    // dependent multiply-adds (k 13 at 28 columns: 4 positions took as long as the other 24).
    const auto row = [&](auto step) {
      int64_t j0 = 0;
      for (; j0 + kPositions <= s.out_w; j0 += kPositions) positions(j0, std::integral_constant<int, kPositions>(), step);
      if (j0 + 4 <= s.out_w) positions(j0, std::integral_constant<int, 4>(), step), j0 += 4;
      if (j0 + 2 <= s.out_w) positions(j0, std::integral_constant<int, 2>(), step), j0 += 2;
      if (j0 < s.out_w) positions(j0, std::integral_constant<int, 1>(), step);
    };
    if (s.stride_w == 1) {
      row(std::integral_constant<int64_t, L>());
    } else {
      row(s.stride_w * L);
    }
  }
}

// What a row-band task on channels-last tensors keeps in cache: its band of output rows (of y,
// or of gy for grad-weight; every channel) and the input rows they read, placed. Within a
// core's L2 (512 KiB on the smallest here).
constexpr int64_t kBandBytes = 256 * 1024;

// The input rows that `rows` consecutive output rows read along an axis.
inline int64_t placed_rows_of(int64_t rows, int64_t stride, int64_t kernel, int64_t dilation) {
  return (rows - 1) * stride + (kernel - 1) * dilation + 1;
}

// The output rows of a row-band task over `planes` output planes of out_h rows: halved from
// out_h until what the band keeps in cache, band_bytes(rows), fits kBandBytes, then until there
// are at least four tasks a thread to share.
template <typename BandBytes>
int64_t band_rows(int64_t out_h, int64_t planes, const BandBytes& band_bytes) {
  int64_t band = out_h;
  while (band > 1 && band_bytes(band) > kBandBytes) band = (band + 1) / 2;
  const int64_t min_tasks = 4 * at::get_num_threads();
  while (band > 1 && planes * ((out_h + band - 1) / band) < min_tasks) band = (band + 1) / 2;
  return band;
}

// G channels per group in and out (G = 1: depthwise).
template <typename T, int G>
void depthwise_blocked(const T* src, ChannelLayout src_layout, const PlacedAxis (&axes)[3], const T* w,
                       const T* bias, T* y, ChannelLayout y_layout, const CorrelateShape& s) {
  using S = Simd<T>;
  constexpr int64_t L = S::kLanes;
  static_assert(L % G == 0, "a channel block holds whole groups");
  const int64_t channels = s.out_channels;
  const int64_t blocks = (channels + L - 1) / L;
  const int64_t taps = s.kernel_d * s.kernel_h * s.kernel_w;
  const int64_t dp = s.padded_d, hp = s.padded_h, wp = s.padded_w;
  const int64_t out_rows = s.out_d * s.out_h, out_plane = out_rows * s.out_w;

  // Weights and bias per channel block: per tap, per member i of the group, the weights of
  // every output channel of the block from its group's input channel i, channel innermost (zero
  // past the last channel).
  std::vector<T> wb(static_cast<size_t>(blocks * taps * G * L), T(0)), bb(static_cast<size_t>(blocks * L), T(0));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t t = 0; t < taps; ++t) {
      for (int64_t i = 0; i < G; ++i) wb[(((c / L) * taps + t) * G + i) * L + c % L] = w[(c * G + i) * taps + t];
    }
    if (bias) bb[c] = bias[c];
  }
  const ChannelBlockPlacer<T, L> placer(src, src_layout, axes, wp);

  if (y_layout.position != 1) {
    // y in NDHWC: a position holds every channel side by side. A task per channel block (as
    // below) would write each cache line of y in parts at different times, fetching it again
    // for each part (40 % of a channels-last depthwise 3x3 forward went to those writes). Here a
    // task is a band of output rows of one image and output depth: it places the rows they read
    // for every block, then computes each output row for every block in turn, storing straight
    // into y, so y is written row after row, each row's lines while they are in cache.
    const auto rows_read = [&](int64_t rows) { return placed_rows_of(rows, s.stride_h, s.kernel_h, s.dilation_h); };
    const int64_t band = band_rows(s.out_h, s.batch * s.out_d, [&](int64_t rows) {
      return static_cast<int64_t>(sizeof(T)) * (rows * s.out_w * channels + blocks * s.kernel_d * rows_read(rows) * wp * L);
    });
    const int64_t bands = (s.out_h + band - 1) / band;
    const int64_t block_elements = s.kernel_d * rows_read(band) * wp * L;
    parallel_tasks(s.batch * s.out_d * bands, [&](int64_t task) {
      const int64_t n = task / (s.out_d * bands), z = task / bands % s.out_d, i0 = task % bands * band;
      const int64_t rows = std::min(band, s.out_h - i0), placed_rows = rows_read(rows);
      const int64_t depth_step = placed_rows * wp * L;
      T* x = placed_buffer<T, 0>(blocks * block_elements);
      for (int64_t e = 0; e < s.kernel_d; ++e) {
        placer.place_rows(n, 0, channels, z * s.stride_d + e * s.dilation_d, i0 * s.stride_h, placed_rows,
                                      x + e * depth_step, block_elements);
      }
      T* y_rows = y + n * y_layout.image + (z * s.out_h + i0) * s.out_w * y_layout.position;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t cb = 0; cb < blocks; ++cb) {
          correlate_block_rows<T, G>(x + cb * block_elements + r * s.stride_h * wp * L, depth_step, 1,
                                     wb.data() + cb * taps * G * L, S::load(bb.data() + cb * L),
                                     y_rows + r * s.out_w * y_layout.position + cb * L, y_layout.position,
                                     std::min(L, channels - cb * L), s);
        }
      }
    });
    return;
  }

  // y in NCDHW: a task is one channel block of one image, its planes read and written whole.
  parallel_tasks(s.batch * blocks, [&](int64_t task) {
    const int64_t n = task / blocks, cb = task % blocks;
    const int64_t c0 = cb * L, lanes = std::min(L, channels - c0);
    T* x = placed_buffer<T, 0>(dp * hp * wp * L);
    T* out = placed_buffer<T, 1>(out_plane * L);
    placer.place(n, c0, lanes, x);
    const T* wk = wb.data() + cb * taps * G * L;
    const typename S::Vec b0 = S::load(bb.data() + cb * L);
    for (int64_t z = 0; z < s.out_d; ++z) {
      correlate_block_rows<T, G>(x + z * s.stride_d * hp * wp * L, s.dilation_d * hp * wp * L, s.out_h, wk, b0,
                                 out + z * s.out_h * s.out_w * L, L, L, s);
    }
    // Back to the block's output planes.
    T* y_planes[L];
    for (int64_t c = 0; c < lanes; ++c) y_planes[c] = y + n * y_layout.image + (c0 + c) * y_layout.channel;
    int64_t k = 0;
    if (lanes == L) {
      for (; k + L <= out_plane; k += L) tile_from_channels<T, L>(out + k * L, y_planes, k);
    }
    for (; k < out_plane; ++k)
      for (int64_t c = 0; c < lanes; ++c) y_planes[c][k] = out[k * L + c];
  });
}


// Taps b0 .. b0 + NB - 1 of kernel row a, over `rows` output rows of one output depth:
// sums[b] += sum over their positions of gy(position) * x(position's input at that tap), one
// vector of channels each. x: the placed input plane of the taps' depth ([rows][wp][L], output
// row r's tap row a at r * stride_h + a * dilation_h); gb: the placed grad-output rows
// ([rows][out_w][L]). With G channels per group: sums[b * G + i] for member i of each lane's group.
template <typename T, int G, int NB>
void row_taps_blocked(const T* x, const T* gb, int64_t rows, const ConvGeometry& g, int64_t wp, int64_t a, int64_t b0,
                      typename Simd<T>::Vec* sums) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  Vec acc[NB * G];
  for (int b = 0; b < NB * G; ++b) acc[b] = Vec{};
  const int64_t step = g.stride[2] * L, tap_step = g.dilation[2] * L;
  for (int64_t r = 0; r < rows; ++r) {
    const T* xrow = x + (r * g.stride[1] + a * g.dilation[1]) * wp * L + b0 * tap_step;
    const T* grow = gb + r * g.out[2] * L;
    for (int64_t j = 0; j < g.out[2]; ++j) {
      const Vec gv = S::load(grow + j * L);
      const T* xj = xrow + j * step;
      for (int b = 0; b < NB; ++b) {
        const Vec xv = S::load(xj + b * tap_step);
        static_for<G>([&](auto member) {
          constexpr int i = decltype(member)::value;
          acc[b * G + i] += group_member<T, G, i>(xv) * gv;
        });
      }
    }
  }
  for (int b = 0; b < NB * G; ++b) sums[b] += acc[b];
}

// row_taps_blocked for nb (1 .. 8 / G) taps.
template <typename T, int G>
void row_taps_blocked_for(int64_t nb, const T* x, const T* gb, int64_t rows, const ConvGeometry& g, int64_t wp,
                          int64_t a, int64_t b0, typename Simd<T>::Vec* sums) {
  switch (nb) {
    case 8: if constexpr (G == 1) { row_taps_blocked<T, G, 8>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 7: if constexpr (G == 1) { row_taps_blocked<T, G, 7>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 6: if constexpr (G == 1) { row_taps_blocked<T, G, 6>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 5: if constexpr (G == 1) { row_taps_blocked<T, G, 5>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 4: if constexpr (G <= 2) { row_taps_blocked<T, G, 4>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 3: if constexpr (G <= 2) { row_taps_blocked<T, G, 3>(x, gb, rows, g, wp, a, b0, sums); return; } break;
    case 2: row_taps_blocked<T, G, 2>(x, gb, rows, g, wp, a, b0, sums); return;
    case 1: row_taps_blocked<T, G, 1>(x, gb, rows, g, wp, a, b0, sums); return;
    default: break;
  }
  TORCH_INTERNAL_ASSERT(false, "row_taps_blocked_for: ", nb, " taps with ", G, " channels a group");
}

// Every tap of one channel block over `rows` output rows of one output depth: sums[t * G + i]
// for tap t. x_depth(e): the placed input plane of the rows' tap depth e ([rows][wp][L]).
template <typename T, int G, typename XDepth>
void block_taps(const XDepth& x_depth, const T* gb, int64_t rows, const ConvGeometry& g, int64_t wp,
                typename Simd<T>::Vec* sums) {
  constexpr int kRowTaps = 8 / G;  // taps of a row at a time: 8 accumulators in registers
  const int64_t kh = g.kernel[1], kw = g.kernel[2];
  for (int64_t e = 0; e < g.kernel[0]; ++e) {
    for (int64_t a = 0; a < kh; ++a) {
      typename Simd<T>::Vec* row = sums + (e * kh + a) * kw * G;
      for (int64_t b0 = 0; b0 < kw; b0 += kRowTaps) {
        row_taps_blocked_for<T, G>(std::min<int64_t>(kRowTaps, kw - b0), x_depth(e), gb, rows, g, wp, a, b0,
                                   row + b0 * G);
      }
    }
  }
}

template <typename T, int G>
void grad_weight_blocked(const T* x, ChannelLayout x_layout, const PlacedAxis (&xa)[3], const T* gy,
                         ChannelLayout gy_layout, const ConvGeometry& g, T* gw) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t channels = g.in_channels, blocks = (channels + L - 1) / L;
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  const int64_t dp = xa[0].padded, hp = xa[1].padded, wp = xa[2].padded;
  const int64_t out_h = g.out[1], out_w = g.out[2], out_plane = g.out[0] * out_h * out_w;
  const PlacedAxis gya[3] = {{g.out[0], 0, 1, g.out[0]}, {g.out[1], 0, 1, g.out[1]}, {g.out[2], 0, 1, g.out[2]}};
  const ChannelBlockPlacer<T, L> x_placer(x, x_layout, xa, wp), gy_placer(gy, gy_layout, gya, out_w);
  const auto store_block = [&](int64_t cb, const Vec* sums) {
    for (int64_t c = 0; c < std::min(L, channels - cb * L); ++c) {
      for (int64_t i = 0; i < G; ++i)
        for (int64_t t = 0; t < taps; ++t) gw[((cb * L + c) * G + i) * taps + t] = sums[t * G + i][c];
    }
  };

  if (x_layout.position != 1 || gy_layout.position != 1) {
    // Channels-last operands: as in the forward, a task per channel block would read each cache
    // line of x and gy in parts at different times. A task is a band of output rows of one image
    // and output depth: it places the input rows and grad-output rows of every block, reading
    // each position's channels once, and sums every block's taps over the band; the bands' sums
    // are added in task order (the same result on any thread count).
    const auto rows_read = [&](int64_t rows) { return placed_rows_of(rows, g.stride[1], g.kernel[1], g.dilation[1]); };
    const int64_t band = band_rows(out_h, g.batch * g.out[0], [&](int64_t rows) {
      return static_cast<int64_t>(sizeof(T)) * blocks * L * (g.kernel[0] * rows_read(rows) * wp + rows * out_w);
    });
    const int64_t bands = (out_h + band - 1) / band, tasks = g.batch * g.out[0] * bands;
    const int64_t x_block = g.kernel[0] * rows_read(band) * wp * L, gy_block = band * out_w * L;
    const int64_t task_sums = blocks * taps * G;
    std::vector<Vec> partial(static_cast<size_t>(tasks * task_sums), Vec{});
    parallel_tasks(tasks, [&](int64_t task) {
      const int64_t n = task / (g.out[0] * bands), z = task / bands % g.out[0], i0 = task % bands * band;
      const int64_t rows = std::min(band, out_h - i0), placed_rows = rows_read(rows);
      T* xb = placed_buffer<T, 0>(blocks * x_block);
      T* gb = placed_buffer<T, 1>(blocks * gy_block);
      for (int64_t e = 0; e < g.kernel[0]; ++e) {
        x_placer.place_rows(n, 0, channels, z * g.stride[0] + e * g.dilation[0], i0 * g.stride[1], placed_rows,
                                        xb + e * placed_rows * wp * L, x_block);
      }
      gy_placer.place_rows(n, 0, channels, z, i0, rows, gb, gy_block);
      for (int64_t cb = 0; cb < blocks; ++cb) {
        const T* x_cb = xb + cb * x_block;
        block_taps<T, G>([&](int64_t e) { return x_cb + e * placed_rows * wp * L; }, gb + cb * gy_block, rows, g, wp,
                         partial.data() + task * task_sums + cb * taps * G);
      }
    });
    parallel_tasks(blocks, [&](int64_t cb) {
      std::vector<Vec> sums(static_cast<size_t>(taps * G), Vec{});
      for (int64_t task = 0; task < tasks; ++task) {
        const Vec* p = partial.data() + task * task_sums + cb * taps * G;
        for (int64_t t = 0; t < taps * G; ++t) sums[t] += p[t];
      }
      store_block(cb, sums.data());
    });
    return;
  }

  parallel_tasks(blocks, [&](int64_t cb) {
    const int64_t c0 = cb * L, lanes = std::min(L, channels - c0);
    T* xb = placed_buffer<T, 0>(dp * hp * wp * L);
    T* gb = placed_buffer<T, 1>(out_plane * L);
    std::vector<Vec> sums(static_cast<size_t>(taps * G), Vec{});
    for (int64_t n = 0; n < g.batch; ++n) {
      x_placer.place(n, c0, lanes, xb);
      gy_placer.place(n, c0, lanes, gb);
      for (int64_t z = 0; z < g.out[0]; ++z) {
        block_taps<T, G>([&](int64_t e) { return xb + (z * g.stride[0] + e * g.dilation[0]) * hp * wp * L; },
                         gb + z * out_h * out_w * L, out_h, g, wp, sums.data());
      }
    }
    store_block(cb, sums.data());
  });
}

}  // namespace

namespace {

int64_t lanes_of(at::ScalarType dtype) {
  return dtype == at::kDouble ? Simd<double>::kLanes : Simd<float>::kLanes;
}

// The channels of a group, in and out, that the blocked kernels take (a block of lanes holds
// whole groups), or 0. Groups of 2 or 4 need a full block of channels: with fewer (a dense
// 2-channel layer) most lanes would idle, where the other kernels vectorise along the row.
int64_t blocked_group_width(int64_t channels, int64_t in_per_group, int64_t out_per_group, at::ScalarType dtype) {
  const int64_t width = in_per_group;
  if (width != out_per_group || !(width == 1 || width == 2 || width == 4)) return 0;
  if (width > 1 && channels < lanes_of(dtype)) return 0;
  return lanes_of(dtype) % width == 0 ? width : 0;
}

// fn(integral_constant<int, G>) for the group width G of 1, 2 or 4.
template <typename Fn>
void with_group_width(int64_t width, const Fn& fn) {
  switch (width) {
    case 1: fn(std::integral_constant<int, 1>()); return;
    case 2: fn(std::integral_constant<int, 2>()); return;
    case 4: fn(std::integral_constant<int, 4>()); return;
    default: TORCH_INTERNAL_ASSERT(false, "blocked kernels: ", width, " channels a group");
  }
}

}  // namespace

bool depthwise_blocked_applies(const CorrelateShape& shape, at::ScalarType dtype) {
  if (shape.in_channels != shape.out_channels ||
      blocked_group_width(shape.in_channels, shape.in_channels / shape.groups, shape.out_channels / shape.groups,
                          dtype) == 0) {
    return false;
  }
  const int64_t lanes = lanes_of(dtype);
  const int64_t blocks = shape.batch * ((shape.out_channels + lanes - 1) / lanes);
  return blocks >= 2 * at::get_num_threads();
}

bool depthwise_blocked_grad_weight_applies(const ConvGeometry& g, at::ScalarType dtype) {
  if (g.in_channels != g.out_channels ||
      blocked_group_width(g.in_channels, g.in_per_group(), g.out_per_group(), dtype) == 0) {
    return false;
  }
  const int64_t lanes = lanes_of(dtype);
  return (g.in_channels + lanes - 1) / lanes >= 2 * at::get_num_threads();
}

void grad_weight_depthwise_blocked(const at::Tensor& x, const PlacedAxis (&x_axes)[3], const at::Tensor& gy,
                                   const ConvGeometry& g, at::Tensor& gw) {
  const int64_t width = blocked_group_width(g.in_channels, g.in_per_group(), g.out_per_group(), x.scalar_type());
  TORCH_INTERNAL_ASSERT(width > 0 && g.in_channels == g.out_channels);
  TORCH_INTERNAL_ASSERT(gw.is_contiguous());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::direct::grad_weight_depthwise_blocked", [&] {
    with_group_width(width, [&](auto group) {
      constexpr int G = decltype(group)::value;
      if constexpr (Simd<scalar_t>::kLanes % G == 0) {  // else blocked_group_width gave 0
        grad_weight_blocked<scalar_t, G>(x.data_ptr<scalar_t>(), channel_layout(x), x_axes, gy.data_ptr<scalar_t>(),
                                         channel_layout(gy), g, gw.data_ptr<scalar_t>());
      }
    });
  });
}

void correlate_depthwise_blocked(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                                 const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y) {
  const int64_t width = blocked_group_width(shape.in_channels, shape.in_channels / shape.groups,
                                            shape.out_channels / shape.groups, source.scalar_type());
  TORCH_INTERNAL_ASSERT(width > 0 && shape.in_channels == shape.out_channels);
  TORCH_INTERNAL_ASSERT(w.is_contiguous());
  if (y.numel() == 0) return;
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(source.scalar_type(), "oaconv::direct::correlate_depthwise_blocked", [&] {
    with_group_width(width, [&](auto group) {
      constexpr int G = decltype(group)::value;
      if constexpr (Simd<scalar_t>::kLanes % G == 0) {  // else blocked_group_width gave 0
        depthwise_blocked<scalar_t, G>(source.data_ptr<scalar_t>(), channel_layout(source), axes,
                                       w.data_ptr<scalar_t>(), b.defined() ? b.data_ptr<scalar_t>() : nullptr,
                                       y.data_ptr<scalar_t>(), channel_layout(y), shape);
      }
    });
  });
}

}  // namespace oaconv::direct
