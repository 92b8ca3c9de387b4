// The F(4x4, 3x3) tile pipeline (winograd_tiles.h), compiled per instruction set.
//
// A task is a block of whole tile rows. Per channel, the block's windows are gathered (every
// fourth value of a placed row, by SIMD shuffles), then the 6x6 (or 4x4) matrix on either side
// is applied as two passes of additions and small multiplies along all the block's tiles in
// whole vectors. The 36 per-point products are register-blocked SIMD kernels (6 output
// channels x 2 or 4 vectors of tiles, the kernel's values broadcast), as the spectral product's
// are; the output transform interleaves the four column phases back by shuffles.

#include "winograd_tiles.h"

#include "../direct/placed_planes.h"
#include "../parallel_tasks.h"
#include "../simd_vec.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace oaconv::winograd {
namespace {

// Transformed tiles one block holds: with the products' chunk below, within the 2 MiB L2 of the
// cores this was tuned on (Intel Xeon, AVX-512) and half of it on older ones.
constexpr int64_t kBlockBytes = int64_t{1} << 20;
constexpr int64_t kProductBytes = int64_t{512} << 10;
// Vectors of tiles per register block: 6 x 4 accumulators of 32 registers, 6 x 2 of 16.
constexpr int kColVectors = kSimdRegisters >= 32 ? 4 : 2;
constexpr int kRows = static_cast<int>(kKernelRows);

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// The three 1-D transforms on SIMD vectors V of T, one value per lane.
// z (6 values) -> B^T z.
template <typename T, typename V>
inline void bt(V z0, V z1, V z2, V z3, V z4, V z5, V (&o)[6]) {
  o[0] = T(4) * z0 - T(5) * z2 + z4;
  o[1] = -T(4) * (z1 + z2) + z3 + z4;
  o[2] = T(4) * (z1 - z2) - z3 + z4;
  o[3] = T(2) * (z3 - z1) - z2 + z4;
  o[4] = T(2) * (z1 - z3) - z2 + z4;
  o[5] = T(4) * z1 - T(5) * z3 + z5;
}

// m (6 values) -> A^T m (4 values).
template <typename T, typename V>
inline void at_(V m0, V m1, V m2, V m3, V m4, V m5, V (&o)[4]) {
  const V s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  o[0] = m0 + s12 + s34;
  o[1] = d12 + T(2) * d34;
  o[2] = s12 + T(4) * s34;
  o[3] = d12 + T(8) * d34 + m5;
}

// q (4 values) -> A q (6 values).
template <typename T, typename V>
inline void a_(V q0, V q1, V q2, V q3, V (&o)[6]) {
  const V s02 = q0 + q2, s13 = q1 + q3, e = q0 + T(4) * q2, f = T(2) * q1 + T(8) * q3;
  o[0] = q0;
  o[1] = s02 + s13;
  o[2] = s02 - s13;
  o[3] = e + f;
  o[4] = e - f;
  o[5] = q3;
}

// G of F(4x4, 3x3), 6 x 3.
template <typename T>
constexpr T kG[6][3] = {{T(1) / 4, 0, 0},
                        {-T(1) / 6, -T(1) / 6, -T(1) / 6},
                        {-T(1) / 6, T(1) / 6, -T(1) / 6},
                        {T(1) / 24, T(1) / 12, T(1) / 6},
                        {T(1) / 24, -T(1) / 12, T(1) / 6},
                        {0, 0, 1}};

template <typename T>
void pack_kernel(const T* w, int64_t o, int64_t cg, int64_t groups, bool transposed, T* u) {
  const int64_t og = o / groups;
  // The correlation's channels a group: out_g outputs from in_g inputs.
  const int64_t out_g = transposed ? cg : og, in_g = transposed ? og : cg, blocks = kernel_row_blocks(out_g);
  const int64_t e = in_g * kKernelRows, point_stride = blocks * e;  // e: values of one packed point
  parallel_tasks(groups * blocks, [&](int64_t task) {
    const int64_t g = task / blocks, b = task % blocks;
    // The block's 6 x in_g kernels as 9 planes of tap values, taps[ij][c * 6 + r]; then
    // t[i][l] = sum_j g[i][j] G[l][j] and u[k][l] = sum_i G[k][i] t[i][l] plane by plane: every
    // loop runs along the packed layout (kernel by kernel, scattering each kernel's 36 points a
    // point_stride apart, 256 x 256 kernels took 4.4 ms a call once warm, 2 threads; this way
    // 0.8-1.5 ms).
    T* taps = direct::placed_buffer<T, 0>(9 * e);
    T* t = direct::placed_buffer<T, 1>(18 * e);
    for (int64_t c = 0; c < in_g; ++c) {
      for (int64_t r = 0; r < kKernelRows; ++r) {
        const int64_t a = b * kKernelRows + r;  // the correlation's output channel in the group
        const T* src = a >= out_g ? nullptr
                       : transposed ? w + ((g * og + c) * cg + a) * 9
                                    : w + ((g * og + a) * cg + c) * 9;
        for (int ij = 0; ij < 9; ++ij) taps[ij * e + c * kKernelRows + r] = src ? src[transposed ? 8 - ij : ij] : T(0);
      }
    }
    for (int i = 0; i < 3; ++i) {
      const T *g0 = taps + (i * 3) * e, *g1 = g0 + e, *g2 = g1 + e;
      for (int l = 0; l < 6; ++l) {
        T* to = t + (i * 6 + l) * e;
        const T c0 = kG<T>[l][0], c1 = kG<T>[l][1], c2 = kG<T>[l][2];
        for (int64_t x = 0; x < e; ++x) to[x] = c0 * g0[x] + c1 * g1[x] + c2 * g2[x];
      }
    }
    for (int k = 0; k < 6; ++k) {
      const T c0 = kG<T>[k][0], c1 = kG<T>[k][1], c2 = kG<T>[k][2];
      for (int l = 0; l < 6; ++l) {
        const T *t0 = t + l * e, *t1 = t + (6 + l) * e, *t2 = t + (12 + l) * e;
        T* dst = u + (g * kPoints * blocks + b) * e + (k * 6 + l) * point_stride;
        for (int64_t x = 0; x < e; ++x) dst[x] = c0 * t0[x] + c1 * t1[x] + c2 * t2[x];
      }
    }
  });
}

// {p[4 i] : i < L}, from the 4 L values at p: two shuffles pick each half's every fourth value,
// a third joins the halves (three permutes for L values, against L scalar loads and stores).
template <typename T>
inline typename Simd<T>::Vec every_fourth(const T* p) {
  using S = Simd<T>;
  constexpr int L = S::kLanes;
  constexpr typename S::Mask pick = S::lanes([](int i) { return i < Simd<T>::kLanes / 2 ? 4 * i : 0; });
  constexpr typename S::Mask join =
      S::lanes([](int i) { return i < Simd<T>::kLanes / 2 ? i : i + Simd<T>::kLanes / 2; });
  const typename S::Vec low = shuffle2(S::load(p), S::load(p + L), pick);
  const typename S::Vec high = shuffle2(S::load(p + 2 * L), S::load(p + 3 * L), pick);
  return shuffle2(low, high, join);
}

// The inverse for four phases: out[4 i + s] = z_s[i] for i < L, the 4 L values to out.
template <typename T>
inline void interleave_four(const typename Simd<T>::Vec& z0, const typename Simd<T>::Vec& z1,
                            const typename Simd<T>::Vec& z2, const typename Simd<T>::Vec& z3, T* out) {
  using S = Simd<T>;
  constexpr int L = S::kLanes;
  static_assert(L >= 4, "four phases interleave whole quarters of a vector");
  // Pairs: (a[i], b[i]) for the lower and the upper half of i.
  constexpr typename S::Mask pairs_low =
      S::lanes([](int i) { return (i % 2) * Simd<T>::kLanes + i / 2; });
  constexpr typename S::Mask pairs_high =
      S::lanes([](int i) { return (i % 2) * Simd<T>::kLanes + i / 2 + Simd<T>::kLanes / 2; });
  // Quads: (p[2i], p[2i + 1], q[2i], q[2i + 1]) for the lower and the upper half of i.
  constexpr typename S::Mask quads_low =
      S::lanes([](int i) { return (i % 4 < 2 ? 0 : Simd<T>::kLanes) + 2 * (i / 4) + i % 2; });
  constexpr typename S::Mask quads_high = S::lanes(
      [](int i) { return (i % 4 < 2 ? 0 : Simd<T>::kLanes) + 2 * (i / 4 + Simd<T>::kLanes / 4) + i % 2; });
  const typename S::Vec p_low = shuffle2(z0, z1, pairs_low), p_high = shuffle2(z0, z1, pairs_high);
  const typename S::Vec q_low = shuffle2(z2, z3, pairs_low), q_high = shuffle2(z2, z3, pairs_high);
  S::store(out, shuffle2(p_low, q_low, quads_low));
  S::store(out + L, shuffle2(p_low, q_low, quads_high));
  S::store(out + 2 * L, shuffle2(p_high, q_high, quads_low));
  S::store(out + 3 * L, shuffle2(p_high, q_high, quads_high));
}

// Rows [row, row + count) of the plane src (h x w) placed with row 0 at padded row `top` and
// column 0 at `left`, into dst (count x padded_w): zeros wherever the plane is not.
template <typename T>
void place_rows(const T* src, int64_t h, int64_t w, int64_t top, int64_t left, int64_t row, int64_t count,
                int64_t padded_w, T* dst) {
  const int64_t c0 = std::max<int64_t>(0, -left), c1 = std::min(w, padded_w - left);
  for (int64_t i = 0; i < count; ++i) {
    T* r = dst + i * padded_w;
    const int64_t sr = row + i - top;
    if (sr < 0 || sr >= h || c1 <= c0) {
      std::fill(r, r + padded_w, T(0));
      continue;
    }
    std::fill(r, r + c0 + left, T(0));
    std::memcpy(r + c0 + left, src + sr * w + c0, static_cast<size_t>(c1 - c0) * sizeof(T));
    std::fill(r + c1 + left, r + padded_w, T(0));
  }
}

// The 36 points B^T d B of one channel's tiles in tile rows [row0, row0 + rows) of the flattened
// (image, tile row) list: point p of the block's tile t to out[p * point_stride + t], for t <
// `padded` (tiles past the block's are zero). The 6x6 windows are gathered first, d[i][j][t]
// (the only strided access: every fourth value of a placed row, three shuffles a vector), so
// that both passes of B^T then run along the whole block's tiles: contiguous, in full vectors.
template <typename T>
void input_tiles(const T* src, int64_t channels, int64_t ch, int64_t h, int64_t w, int64_t top, int64_t left,
                 int64_t row0, int64_t rows, int64_t th_count, int64_t tw, int64_t padded, T* out,
                 int64_t point_stride) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t wp = kTile * tw + 2, tiles = rows * tw;
  // The gathers read whole vectors: up to 4 L values past a row's last window and L tiles past
  // the block's last, into slack (their lanes land on tiles written later or zeroed below).
  const int64_t ds = padded + L;  // d's row stride
  T* pad = direct::placed_buffer<T, 0>(kWindow * wp + 4 * L);
  T* __restrict d = direct::placed_buffer<T, 1>(kPoints * ds);  // d[i * 6 + j][t]
  T* __restrict e = direct::placed_buffer<T, 4>(kPoints * padded);  // e[k * 6 + j][t] = (B^T d)[k][j]
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    place_rows(src + (img * channels + ch) * h * w, h, w, top, left, kTile * th, kWindow, wp, pad);
    for (int64_t ij = 0; ij < kPoints; ++ij) {
      const T* from = pad + (ij / 6) * wp + ij % 6;
      T* to = d + ij * ds + r * tw;
      for (int64_t q = 0; q < tw; q += L) S::store(to + q, every_fourth(from + kTile * q));
    }
  }
  for (int64_t ij = 0; ij < kPoints; ++ij) std::fill(d + ij * ds + tiles, d + ij * ds + padded, T(0));
  for (int j = 0; j < 6; ++j) {
    const T* dj = d + j * ds;
    for (int64_t t = 0; t < padded; t += L) {
      Vec o[6];
      bt<T, Vec>(S::load(dj + t), S::load(dj + 6 * ds + t), S::load(dj + 12 * ds + t), S::load(dj + 18 * ds + t),
                 S::load(dj + 24 * ds + t), S::load(dj + 30 * ds + t), o);
      for (int k = 0; k < 6; ++k) S::store(e + (k * 6 + j) * padded + t, o[k]);
    }
  }
  for (int k = 0; k < 6; ++k) {
    const T* ek = e + k * 6 * padded;
    T* const ok = out + k * 6 * point_stride;
    for (int64_t t = 0; t < padded; t += S::kLanes) {
      Vec o[6];
      bt<T, Vec>(S::load(ek + t), S::load(ek + padded + t), S::load(ek + 2 * padded + t), S::load(ek + 3 * padded + t),
                 S::load(ek + 4 * padded + t), S::load(ek + 5 * padded + t), o);
      for (int l = 0; l < 6; ++l) S::store(ok + l * point_stride + t, o[l]);
    }
  }
}

// The 36 points A q A^T of one grad-output channel's 4x4 tiles in tile rows [row0, row0 + rows)
// (zero past the plane's edges), laid out as input_tiles lays its points out.
template <typename T>
void grad_output_tiles(const T* gy, int64_t out_channels, int64_t oc, int64_t out_h, int64_t out_w, int64_t row0,
                       int64_t rows, int64_t th_count, int64_t tw, int64_t padded, T* out, int64_t point_stride) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t w4 = kTile * tw, tiles = rows * tw, ds = padded + L;
  T* pad = direct::placed_buffer<T, 0>(kTile * w4 + 4 * L);
  T* __restrict d = direct::placed_buffer<T, 1>(16 * ds);  // d[i * 4 + j][t]
  T* __restrict e = direct::placed_buffer<T, 4>(24 * padded);  // e[k * 4 + j][t] = (A q)[k][j]
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    place_rows(gy + (img * out_channels + oc) * out_h * out_w, out_h, out_w, 0, 0, kTile * th, kTile, w4, pad);
    for (int64_t ij = 0; ij < 16; ++ij) {
      const T* from = pad + (ij / 4) * w4 + ij % 4;
      T* to = d + ij * ds + r * tw;
      for (int64_t q = 0; q < tw; q += L) S::store(to + q, every_fourth(from + kTile * q));
    }
  }
  for (int64_t ij = 0; ij < 16; ++ij) std::fill(d + ij * ds + tiles, d + ij * ds + padded, T(0));
  for (int j = 0; j < 4; ++j) {
    const T* dj = d + j * ds;
    for (int64_t t = 0; t < padded; t += L) {
      Vec o[6];
      a_<T, Vec>(S::load(dj + t), S::load(dj + 4 * ds + t), S::load(dj + 8 * ds + t), S::load(dj + 12 * ds + t), o);
      for (int k = 0; k < 6; ++k) S::store(e + (k * 4 + j) * padded + t, o[k]);
    }
  }
  for (int k = 0; k < 6; ++k) {
    const T* ek = e + k * 4 * padded;
    T* const ok = out + k * 6 * point_stride;
    for (int64_t t = 0; t < padded; t += L) {
      Vec o[6];
      a_<T, Vec>(S::load(ek + t), S::load(ek + padded + t), S::load(ek + 2 * padded + t), S::load(ek + 3 * padded + t), o);
      for (int l = 0; l < 6; ++l) S::store(ok + l * point_stride + t, o[l]);
    }
  }
}

// One round of the butterfly transpose of the L x L block in r, and the rounds after it: rows i
// and i + B (i without bit B) swap their off-diagonal B x B blocks.
template <typename T, int B>
inline void butterfly_rounds(typename Simd<T>::Vec (&r)[Simd<T>::kLanes]) {
  using S = Simd<T>;
  constexpr int L = S::kLanes;
  if constexpr (B < L) {
    constexpr typename S::Mask low = S::lanes([](int k) { return (k & B) ? Simd<T>::kLanes + k - B : k; });
    constexpr typename S::Mask high = S::lanes([](int k) { return (k & B) ? Simd<T>::kLanes + k : k + B; });
    for (int i = 0; i < L; ++i) {
      if (i & B) continue;
      const typename S::Vec x = r[i], y = r[i + B];
      r[i] = shuffle2(x, y, low);
      r[i + B] = shuffle2(x, y, high);
    }
    butterfly_rounds<T, 2 * B>(r);
  }
}

// dst[t * dst_stride + i] = src[i * src_stride + t] for i, t < L (rows i >= count read as zero):
// log2(L) rounds of L two-vector shuffles.
template <typename T>
void transpose_block(const T* src, int64_t src_stride, int64_t count, T* dst, int64_t dst_stride) {
  using S = Simd<T>;
  typename S::Vec r[S::kLanes];
  for (int i = 0; i < S::kLanes; ++i) r[i] = i < count ? S::load(src + i * src_stride) : typename S::Vec{};
  butterfly_rounds<T, 1>(r);
  for (int t = 0; t < S::kLanes; ++t) S::store(dst + t * dst_stride, r[t]);
}

// Output channel oc of the block's tiles (above) = b + A^T m A of their 36 points m[p *
// point_stride + t]: both passes of A^T along the block's tiles, then each 4x4 result written to
// its place in y (N, O, out_h, out_w), cropped to the output.
template <typename T>
void output_tiles(const T* m, int64_t point_stride, int64_t row0, int64_t rows, int64_t th_count, int64_t tw,
                  int64_t padded, T b, T* y, int64_t out_channels, int64_t oc, int64_t out_h, int64_t out_w) {
  T* __restrict s = direct::placed_buffer<T, 0>(24 * padded);  // s[k * 4 + mc][t]: A^T along each point row k
  // z[mr * 4 + mc][t], with L tiles of slack: the interleave reads whole vectors.
  const int64_t zs = padded + Simd<T>::kLanes;
  T* __restrict z = direct::placed_buffer<T, 1>(16 * zs);
  using S = Simd<T>;
  using Vec = typename S::Vec;
  const int64_t ps = point_stride;
  for (int k = 0; k < 6; ++k) {
    const T* mk = m + k * 6 * ps;
    for (int64_t t = 0; t < padded; t += S::kLanes) {
      Vec o[4];
      at_<T, Vec>(S::load(mk + t), S::load(mk + ps + t), S::load(mk + 2 * ps + t), S::load(mk + 3 * ps + t),
                  S::load(mk + 4 * ps + t), S::load(mk + 5 * ps + t), o);
      for (int mc = 0; mc < 4; ++mc) S::store(s + (k * 4 + mc) * padded + t, o[mc]);
    }
  }
  const Vec bv = S::broadcast(b);
  for (int mc = 0; mc < 4; ++mc) {
    const T* sm = s + mc * padded;
    const int64_t st = 4 * padded;
    for (int64_t t = 0; t < padded; t += S::kLanes) {
      Vec o[4];
      at_<T, Vec>(S::load(sm + t), S::load(sm + st + t), S::load(sm + 2 * st + t), S::load(sm + 3 * st + t),
                  S::load(sm + 4 * st + t), S::load(sm + 5 * st + t), o);
      for (int mr = 0; mr < 4; ++mr) S::store(z + (mr * 4 + mc) * zs + t, o[mr] + bv);
    }
  }
  const int64_t whole = out_w / kTile;  // tiles whose 4 columns are all inside the output
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    T* plane = y + (img * out_channels + oc) * out_h * out_w;
    for (int64_t mr = 0; mr < 4 && kTile * th + mr < out_h; ++mr) {
      T* yrow = plane + (kTile * th + mr) * out_w;
      const T* z0 = z + mr * 4 * zs + r * tw;
      int64_t q = 0;
      if constexpr (S::kLanes >= 4) {
        for (; q + S::kLanes <= whole; q += S::kLanes) {
          interleave_four<T>(S::load(z0 + q), S::load(z0 + zs + q), S::load(z0 + 2 * zs + q), S::load(z0 + 3 * zs + q),
                             yrow + kTile * q);
        }
      }
      for (; q < whole; ++q) {
        for (int mc = 0; mc < 4; ++mc) yrow[kTile * q + mc] = z0[mc * zs + q];
      }
      for (int64_t col = kTile * whole; col < out_w; ++col) yrow[col] = z0[(col % 4) * zs + col / 4];
    }
  }
}

// m[r * ldm + j * L + lane] (kAccumulate: +=) sum over k < depth of a's row value times
// b[k * ldb + j * L + lane], for r < 6 P and j < NV, where row r's value is a[(r / 6) *
// panel_stride + k * lda + r % 6] (P panels of 6 rows): the accumulators stay in registers, each
// loaded vector of b serves 6 P rows and each broadcast value of a NV vectors.
template <typename T, int P, int NV, bool kAccumulate>
inline void product_block(const T* a, int64_t lda, int64_t panel_stride, const T* b, int64_t ldb, int64_t depth, T* m,
                          int64_t ldm) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int L = S::kLanes;
  // Every loop fully unrolled, so that the accumulators are registers (GCC leaves a loop of 24
  // rows rolled, with the accumulators in memory).
  Vec acc[P][kRows][NV];
#pragma GCC unroll 4
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][r][j] = kAccumulate ? S::load(m + (i * kRows + r) * ldm + j * L) : Vec{};
  // A pointer a panel: its values sit at fixed offsets from it (one index register for all
  // would leave too few registers for the panels' offsets).
  const T* ap[P];
#pragma GCC unroll 4
  for (int i = 0; i < P; ++i) ap[i] = a + i * panel_stride;
  for (int64_t k = 0; k < depth; ++k, b += ldb) {
    Vec bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) bv[j] = S::load(b + j * L);
#pragma GCC unroll 4
    for (int i = 0; i < P; ++i, ap[i - 1] += lda) {
#pragma GCC unroll 6
      for (int r = 0; r < kRows; ++r) {
        const Vec av = S::broadcast(ap[i][r]);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][r][j] += av * bv[j];
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < P; ++i)
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) S::store(m + (i * kRows + r) * ldm + j * L, acc[i][r][j]);
}

// product_block over the panels [0, panels) of NV vectors, P panels at a time while they last.
template <typename T, int P, int NV, bool kAccumulate>
inline void product_panels(const T* a, int64_t lda, int64_t panel_stride, int64_t panels, const T* b, int64_t ldb,
                           int64_t depth, T* m, int64_t ldm) {
  int64_t i = 0;
  for (; i + P <= panels; i += P) {
    product_block<T, P, NV, kAccumulate>(a + i * panel_stride, lda, panel_stride, b, ldb, depth, m + i * kRows * ldm,
                                         ldm);
  }
  if constexpr (P > 1) {
    product_panels<T, P / 2, NV, kAccumulate>(a + i * panel_stride, lda, panel_stride, panels - i, b, ldb, depth,
                                              m + i * kRows * ldm, ldm);
  }
}

// m (6 panels rows, ldm) (kAccumulate: +=) the product over k < depth of the panels' rows of a
// (as product_block reads them) and `vectors` vectors of b's rows. Blocks of kColVectors vectors
// take one panel; the last vectors several panels at once, up to 24 accumulators: 6 of them
// alone would leave the multiply-adds' latency exposed (a block of 16 tiles, one vector, is what
// 14x14 and 16x16 images make).
template <typename T, bool kAccumulate>
void product_rows(const T* a, int64_t lda, int64_t panel_stride, int64_t panels, const T* b, int64_t ldb,
                  int64_t depth, int64_t vectors, T* m, int64_t ldm) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t whole = vectors / kColVectors * kColVectors;
  for (int64_t i = 0; i < panels; ++i) {
    for (int64_t j = 0; j < whole; j += kColVectors) {
      product_block<T, 1, kColVectors, kAccumulate>(a + i * panel_stride, lda, panel_stride, b + j * L, ldb, depth,
                                                    m + i * kRows * ldm + j * L, ldm);
    }
  }
  b += whole * L;
  m += whole * L;
  constexpr int kWide = kSimdRegisters >= 32 ? 4 : 2;  // panels of one vector a block
  switch (vectors - whole) {
    case 3: return product_panels<T, 1, 3, kAccumulate>(a, lda, panel_stride, panels, b, ldb, depth, m, ldm);
    case 2: return product_panels<T, kWide / 2, 2, kAccumulate>(a, lda, panel_stride, panels, b, ldb, depth, m, ldm);
    case 1: return product_panels<T, kWide, 1, kAccumulate>(a, lda, panel_stride, panels, b, ldb, depth, m, ldm);
    default: return;
  }
}

// Tile rows a block: the block's tiles stay within kBlockBytes at bytes_per_tile (past it, the
// products' chunks of output channels would each re-read them from memory: N16 C128 28x28 with
// 392-tile blocks ran its forward at 0.66x aten's), and among those sizes the least modelled
// time of the pass: each block pays `block_seconds` (what it reads whole: the packed kernel, a
// thread's sums) besides `tile_seconds` per tile of whole SIMD vectors, and the blocks run on the
// threads in rounds. Few big blocks cut the whole reads (N8 C256 8x8: a kernel of 9.4 MB, 4
// tiles a block at 4 blocks a thread); many small ones waste fewer vector lanes and even out a
// slowed thread: a block size within 2 % of a bigger one's time is preferred.
int64_t rows_per_block(int64_t total_rows, int64_t tw, int64_t lanes, int64_t bytes_per_tile, double tile_seconds,
                       double block_seconds) {
  const int64_t threads = std::max(1, at::get_num_threads());
  const int64_t most = std::min(total_rows, std::max<int64_t>(1, kBlockBytes / (bytes_per_tile * tw)));
  int64_t best = 1;
  double best_seconds = 0;
  for (int64_t k = 1; k <= most; ++k) {
    const int64_t tiles = k * tw, blocks = (total_rows + k - 1) / k, rounds = (blocks + threads - 1) / threads;
    const double seconds =
        static_cast<double>(rounds) * (static_cast<double>(round_up(tiles, lanes)) * tile_seconds + block_seconds);
    if (k == 1 || seconds < 0.98 * best_seconds) {
      best = k;
      best_seconds = seconds;
    }
  }
  return best;
}

template <typename T>
void correlate(const T* src, int64_t n, int64_t c, int64_t h, int64_t w, const T* u, const T* bias, int64_t o,
               int64_t groups, int64_t top, int64_t left, T* y, int64_t out_h, int64_t out_w) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups, row_blocks = kernel_row_blocks(og);
  const double macs_per_tile = static_cast<double>(kPoints * cg * o);
  const int64_t k = rows_per_block(total_rows, tw, L, kPoints * c * static_cast<int64_t>(sizeof(T)),
                                   macs_per_tile / kMacsPerSecond + kPoints * (c + o) / kValuesPerSecond,
                                   macs_per_tile * sizeof(T) / kBytesPerSecond);
  const int64_t most_tiles = round_up(k * tw, L);
  // Output channels per product chunk (a multiple of 6): its points m (36 x chunk x tiles) fill
  // about kProductBytes beside the block's transformed input.
  const int64_t chunk =
      std::max<int64_t>(1, kProductBytes / (kPoints * most_tiles * static_cast<int64_t>(sizeof(T)) * kKernelRows)) *
      kKernelRows;
  parallel_tasks((total_rows + k - 1) / k, [&](int64_t block) {
    const int64_t row0 = block * k, rows = std::min(k, total_rows - row0);
    const int64_t tiles = rows * tw, padded = round_up(tiles, L);
    T* v = direct::placed_buffer<T, 2>(kPoints * c * padded);  // v[p][ch][tile]
    for (int64_t ch = 0; ch < c; ++ch) {
      input_tiles(src, c, ch, h, w, top, left, row0, rows, th_count, tw, padded, v + ch * padded, c * padded);
    }
    T* m = direct::placed_buffer<T, 3>(kPoints * chunk * padded);  // m[p][o in chunk][tile]
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t o0 = 0; o0 < og; o0 += chunk) {
        const int64_t count = std::min(chunk, og - o0), blocks = kernel_row_blocks(count);
        for (int64_t p = 0; p < kPoints; ++p) {
          const T* vp = v + (p * c + g * cg) * padded;
          const T* up = u + ((g * kPoints + p) * row_blocks + o0 / kKernelRows) * cg * kKernelRows;
          product_rows<T, false>(up, kKernelRows, cg * kKernelRows, blocks, vp, padded, cg, padded / L,
                                 m + p * chunk * padded, padded);
        }
        for (int64_t i = 0; i < count; ++i) {
          const int64_t oc = g * og + o0 + i;
          output_tiles(m + i * padded, chunk * padded, row0, rows, th_count, tw, padded, bias ? bias[oc] : T(0), y, o,
                       oc, out_h, out_w);
        }
      }
    }
  });
}

// to[x] = sum over k < count of coef(k) from[k * stride + x], for x < n (zero coefficients skipped).
template <typename T, typename Coef>
inline void combine_planes(const T* from, int64_t stride, int count, Coef coef, int64_t n, T* __restrict to) {
  std::fill_n(to, n, T(0));
  for (int k = 0; k < count; ++k) {
    const T ck = coef(k);
    if (ck == T(0)) continue;
    const T* f = from + k * stride;
    for (int64_t x = 0; x < n; ++x) to[x] += ck * f[x];
  }
}

// gw[oc][j] = G^T Q G of the 36 point sums of Q = the sum of the `slots` sums (each
// [g][p][ogp][cgp]); the slots are added into the first. Plane by plane, as pack_kernel: per
// chunk of a group's (ogp x cgp) plane, t[i][l] = sum_k G[k][i] q[k][l] (18 planes), then
// g[i][j] = sum_l t[i][l] G[l][j] (9), every loop along the contiguous chunk (kernel by kernel,
// the 36 points lie a plane apart: 65536 kernels took about a millisecond).
template <typename T>
void weights_from_point_sums(T* sums, int64_t slots, int64_t slot_size, int64_t o, int64_t cg, int64_t og,
                             int64_t ogp, int64_t cgp, T* gw) {
  for (int64_t s = 1; s < slots; ++s) {
    const T* from = sums + s * slot_size;
    parallel_range(slot_size, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sums[i] += from[i];
    });
  }
  constexpr int64_t kChunk = 512;
  const int64_t plane = ogp * cgp, chunks = (plane + kChunk - 1) / kChunk;
  parallel_tasks(o / og * chunks, [&](int64_t task) {
    const int64_t g = task / chunks, x0 = task % chunks * kChunk, n = std::min(kChunk, plane - x0);
    const T* q = sums + g * kPoints * plane + x0;
    T* __restrict t = direct::placed_buffer<T, 0>(18 * kChunk);
    T* __restrict r = direct::placed_buffer<T, 1>(9 * kChunk);
    for (int i = 0; i < 3; ++i) {
      for (int l = 0; l < 6; ++l) {
        combine_planes(q + l * plane, 6 * plane, 6, [&](int k) { return kG<T>[k][i]; }, n, t + (i * 6 + l) * kChunk);
      }
    }
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        combine_planes(t + i * 6 * kChunk, kChunk, 6, [&](int l) { return kG<T>[l][j]; }, n, r + (i * 3 + j) * kChunk);
      }
    }
    for (int64_t x = 0; x < n; ++x) {
      const int64_t i = (x0 + x) / cgp, j = (x0 + x) % cgp;
      if (i >= og || j >= cg) continue;
      T* k = gw + ((g * og + i) * cg + j) * 9;
      for (int ij = 0; ij < 9; ++ij) k[ij] = r[ij * kChunk + x];
    }
  });
}

// One point's product of grad-weight: sums (ogp x cgp; kAccumulate: +=) = the point's
// grad-output tiles times its input tiles, reduced over `tiles`, from the point-major planes xp
// (cg channels) and dp (og channels) of `padded` tiles, as the transforms lay them out: each
// L x L block (a vector of channels by a vector of tiles) is transposed tile-major first, since
// the product runs along input channels. Without kAccumulate the padding rows past the
// products' whole panels are zeroed.
template <typename T, bool kAccumulate>
void point_product(const T* xp, const T* dp, int64_t padded, int64_t tiles, int64_t cg, int64_t og, T* sums) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  T* v = direct::placed_buffer<T, 5>(padded * cgp);  // v[t][cgp]
  T* d = direct::placed_buffer<T, 6>(padded * ogp);  // d[t][ogp]
  for (int64_t t0 = 0; t0 < padded; t0 += L) {
    for (int64_t c0 = 0; c0 < cgp; c0 += L) {
      transpose_block(xp + c0 * padded + t0, padded, std::min(L, cg - c0), v + t0 * cgp + c0, cgp);
    }
    for (int64_t o0 = 0; o0 < ogp; o0 += L) {
      transpose_block(dp + o0 * padded + t0, padded, std::max<int64_t>(0, std::min(L, og - o0)), d + t0 * ogp + o0, ogp);
    }
  }
  const int64_t panels = kernel_row_blocks(og);
  product_rows<T, kAccumulate>(d, ogp, kKernelRows, panels, v, cgp, tiles, cgp / L, sums, cgp);
  if (!kAccumulate) std::fill(sums + panels * kKernelRows * cgp, sums + ogp * cgp, T(0));
}

// grad_weight's point sums q[g][p][ogp][cgp] (below) in three phases over the whole batch: every
// tile's points of the input and of the grad-output, then per point and group point_product
// over all tiles, written once (no sum per thread).
template <typename T>
void grad_weight_points_whole_batch(const T* x, int64_t c, int64_t h, int64_t w, const T* gy, int64_t o, int64_t n,
                                    int64_t out_h, int64_t out_w, int64_t groups, int64_t top, int64_t left,
                                    WorkspaceAllocator workspace, T* q) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups;
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  const int64_t tiles = total_rows * tw, padded = round_up(tiles, L);
  // From the pool, not a thread's cached buffer (which would keep up to workspace_limit()
  // allocated for good).
  const at::TensorOptions options = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  const at::Tensor xt_owner = workspace({kPoints * c * padded}, options);
  const at::Tensor dt_owner = workspace({kPoints * o * padded}, options);
  T* xt = xt_owner.data_ptr<T>();
  T* dt = dt_owner.data_ptr<T>();
  parallel_tasks(c, [&](int64_t ch) {
    input_tiles(x, c, ch, h, w, top, left, 0, total_rows, th_count, tw, padded, xt + ch * padded, c * padded);
  });
  parallel_tasks(o, [&](int64_t oc) {
    grad_output_tiles(gy, o, oc, out_h, out_w, 0, total_rows, th_count, tw, padded, dt + oc * padded, o * padded);
  });
  parallel_tasks(groups * kPoints, [&](int64_t task) {
    const int64_t g = task / kPoints, p = task % kPoints;
    point_product<T, false>(xt + (p * c + g * cg) * padded, dt + (p * o + g * og) * padded, padded, tiles, cg, og,
                            q + (g * kPoints + p) * ogp * cgp);
  });
}

template <typename T>
void grad_weight(const T* x, int64_t n, int64_t c, int64_t h, int64_t w, const T* gy, int64_t o, int64_t out_h,
                 int64_t out_w, int64_t groups, int64_t top, int64_t left, int64_t workspace_bytes,
                 WorkspaceAllocator workspace, T* gw) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups;
  // Per block, the points of the input's and the grad-output's tiles as forward makes them,
  // xt[p][ch][t] and dt[p][oc][t], then per point and group point_product; a sum Q holds each
  // group's channels padded to whole vectors, the output channels also to register blocks of 6.
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  const int64_t slot_size = groups * kPoints * ogp * cgp;
  // Per tile: the products, both transforms and the transposes; per block: its sum read and written.
  const double macs_per_tile = static_cast<double>(kPoints * cg * o);
  const int64_t k = rows_per_block(total_rows, tw, L, kPoints * (c + o) * static_cast<int64_t>(sizeof(T)),
                                   macs_per_tile / kMacsPerSecond + 2 * kPoints * (c + o) / kValuesPerSecond,
                                   2.0 * slot_size * sizeof(T) / kBytesPerSecond);
  const int64_t blocks = (total_rows + k - 1) / k;
  // Each block adds into a whole sum Q (a thread's); with few tiles and many channels that
  // traffic outgrows making every tile's points once and reducing per point over all tiles.
  const int64_t all_tiles = round_up(total_rows * tw, L);
  const double planes_bytes = 2.0 * kPoints * static_cast<double>(c + o) * all_tiles * sizeof(T);
  const double sums_bytes = 2.0 * static_cast<double>(blocks) * slot_size * sizeof(T);
  if (planes_bytes < sums_bytes && planes_bytes / 2 <= static_cast<double>(workspace_bytes)) {
    // Every value written below.
    const at::Tensor q = workspace({slot_size}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
    grad_weight_points_whole_batch(x, c, h, w, gy, o, n, out_h, out_w, groups, top, left, workspace, q.data_ptr<T>());
    weights_from_point_sums(q.data_ptr<T>(), 1, slot_size, o, cg, og, ogp, cgp, gw);
    return;
  }
  // One sum a thread (the task counter hands blocks to any thread), added up at the end.
  const int64_t slots = std::max(1, at::get_num_threads());
  const at::Tensor partial_owner =
      workspace({slots * slot_size}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
  T* const partial = partial_owner.data_ptr<T>();
  std::fill_n(partial, slots * slot_size, T(0));
  parallel_tasks(blocks, [&](int64_t block) {
    // Inside another parallel region the tasks run one after another on one thread: any slot.
    T* acc = partial + std::min<int64_t>(at::get_thread_num(), slots - 1) * slot_size;
    const int64_t row0 = block * k, rows = std::min(k, total_rows - row0), tiles = rows * tw;
    const int64_t padded = round_up(tiles, L);
    T* xt = direct::placed_buffer<T, 2>(kPoints * c * padded);
    T* dt = direct::placed_buffer<T, 3>(kPoints * o * padded);
    for (int64_t ch = 0; ch < c; ++ch) {
      input_tiles(x, c, ch, h, w, top, left, row0, rows, th_count, tw, padded, xt + ch * padded, c * padded);
    }
    for (int64_t oc = 0; oc < o; ++oc) {
      grad_output_tiles(gy, o, oc, out_h, out_w, row0, rows, th_count, tw, padded, dt + oc * padded, o * padded);
    }
    for (int64_t p = 0; p < kPoints; ++p) {
      for (int64_t g = 0; g < groups; ++g) {
        point_product<T, true>(xt + (p * c + g * cg) * padded, dt + (p * o + g * og) * padded, padded, tiles, cg, og,
                               acc + (g * kPoints + p) * ogp * cgp);
      }
    }
  });
  weights_from_point_sums(partial, slots, slot_size, o, cg, og, ogp, cgp, gw);
}

}  // namespace

void correlate_tiles(const at::Tensor& src, const at::Tensor& u, const at::Tensor& bias, int64_t groups, int64_t top,
                     int64_t left, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(src.dim() == 4 && src.is_contiguous() && y.dim() == 4 && y.is_contiguous() && u.is_contiguous());
  const int64_t o = y.size(1), cg = src.size(1) / groups;
  TORCH_INTERNAL_ASSERT(u.dim() == 5 && u.size(0) == groups && u.size(1) == kPoints &&
                        u.size(2) == kernel_row_blocks(o / groups) && u.size(3) == cg && u.size(4) == kKernelRows);
  TORCH_INTERNAL_ASSERT(y.size(0) == src.size(0) && src.size(1) % groups == 0 && o % groups == 0);
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "oaconv::winograd::correlate_tiles", [&] {
    correlate<scalar_t>(src.data_ptr<scalar_t>(), src.size(0), src.size(1), src.size(2), src.size(3),
                        u.data_ptr<scalar_t>(), b.defined() ? b.data_ptr<scalar_t>() : nullptr, o, groups, top, left,
                        y.data_ptr<scalar_t>(), y.size(2), y.size(3));
  });
}

void pack_kernel_transform(const at::Tensor& w, int64_t groups, bool transposed, at::Tensor& u) {
  TORCH_INTERNAL_ASSERT(w.dim() == 4 && w.is_contiguous() && u.is_contiguous() && w.size(2) == 3 && w.size(3) == 3);
  const int64_t og = w.size(0) / groups, cg = w.size(1);
  const int64_t out_g = transposed ? cg : og, in_g = transposed ? og : cg;
  TORCH_INTERNAL_ASSERT(u.dim() == 5 && u.size(0) == groups && u.size(1) == kPoints &&
                        u.size(2) == kernel_row_blocks(out_g) && u.size(3) == in_g && u.size(4) == kKernelRows);
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "oaconv::winograd::pack_kernel_transform", [&] {
    pack_kernel<scalar_t>(w.data_ptr<scalar_t>(), w.size(0), cg, groups, transposed, u.data_ptr<scalar_t>());
  });
}

void grad_weight_tiles(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                       int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(x.dim() == 4 && x.is_contiguous() && gy.dim() == 4 && gy.is_contiguous() && gw.is_contiguous());
  TORCH_INTERNAL_ASSERT(x.size(0) == gy.size(0) && x.size(1) % groups == 0 && gy.size(1) % groups == 0);
  TORCH_INTERNAL_ASSERT(gw.dim() == 4 && gw.size(0) == gy.size(1) && gw.size(1) == x.size(1) / groups &&
                        gw.size(2) == 3 && gw.size(3) == 3);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::winograd::grad_weight_tiles", [&] {
    grad_weight<scalar_t>(x.data_ptr<scalar_t>(), x.size(0), x.size(1), x.size(2), x.size(3), gy.data_ptr<scalar_t>(),
                          gy.size(1), gy.size(2), gy.size(3), groups, top, left, workspace_bytes, workspace,
                          gw.data_ptr<scalar_t>());
  });
}

}  // namespace oaconv::winograd
