#pragma once
// The F(4x4, 3x3) pipelines' building blocks (winograd_tiles.h), shared by the blocked pipeline
// (winograd_tiles.cpp) and the kernel-streaming one (winograd_streamed.cpp); included only by
// the per-instruction-set kernel libraries.
//
// The transforms run along many tiles at once: a channel's 6x6 windows are gathered (every
// fourth value of a placed row, by SIMD shuffles), then the 6x6 (or 4x4) matrix on either side
// is applied as two passes of additions and small multiplies in whole vectors. The 36 per-point
// products are register-blocked SIMD kernels (6 output channels x 1 to 4 vectors of tiles, the
// kernel's values broadcast), as the spectral product's are; the output transform interleaves
// the four column phases back by shuffles.
#include "winograd_tiles.h"

#include "../direct/placed_planes.h"
#include "../simd_vec.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace oaconv::winograd::detail {

// Vectors of tiles per register block: 6 x 4 accumulators of 32 registers, 6 x 2 of 16.
constexpr int kColVectors = kSimdRegisters >= 32 ? 4 : 2;
constexpr int kRows = static_cast<int>(kKernelRows);

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// A flat buffer of `elements` T from the pipelines' workspace pool (not a thread's cached buffer,
// which would keep up to workspace_limit() allocated for good).
template <typename T>
at::Tensor workspace_of(WorkspaceAllocator workspace, int64_t elements) {
  return workspace({elements}, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
}

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

// G of F(4x4, 3x3), 6 x 3, spelt out by g_ (G v) and gt_ (G^T q) below:
//   [  1/4     0     0  ]
//   [ -1/6  -1/6  -1/6  ]
//   [ -1/6   1/6  -1/6  ]
//   [  1/24  1/12  1/6  ]
//   [  1/24 -1/12  1/6  ]
//   [   0     0     1   ]

// v (3 values) -> G v (6 values), G of F(4x4, 3x3) above, its rows 1-2 and 3-4 sharing sums.
template <typename T, typename V>
inline void g_(V v0, V v1, V v2, V (&o)[6]) {
  const V s = v0 + v2, e = T(1) / 24 * v0 + T(1) / 6 * v2, f = T(1) / 12 * v1;
  o[0] = T(1) / 4 * v0;
  o[1] = -T(1) / 6 * (s + v1);
  o[2] = -T(1) / 6 * (s - v1);
  o[3] = e + f;
  o[4] = e - f;
  o[5] = v2;
}

// store(k * 6 + l, (G g G^T)[k][l]) for the 3x3 kernel g[i * 3 + j], in registers (V: one
// kernel a lane, or scalars); each point stored as soon as it is made.
template <typename T, typename V, typename Store>
inline void kernel_points(const V (&g)[9], const Store& store) {
  V t[3][6];  // t[i] = G applied along row i of g
  for (int i = 0; i < 3; ++i) g_<T, V>(g[i * 3], g[i * 3 + 1], g[i * 3 + 2], t[i]);
#pragma GCC unroll 6
  for (int l = 0; l < 6; ++l) {
    V o[6];
    g_<T, V>(t[0][l], t[1][l], t[2][l], o);
#pragma GCC unroll 6
    for (int k = 0; k < 6; ++k) store(k * 6 + l, o[k]);
  }
}

// The 36 points G g G^T of the kernels of block b (6 output channels) of group g of the
// correlation, input channels [c0, c0 + count) of the group: point p of input channel c0 + c,
// row r to dst[p * point_stride + c * 6 + r] (rows past out_g zero). The correlation is w's (O,
// cg, 3, 3) with og = O / groups outputs a group, or (`transposed`) grad-input's: in and out
// channels swapped per group and each kernel flipped. The block's kernels are gathered as 9
// planes of tap values, taps[ij][c * 6 + r], then transformed a vector of them at a time in
// registers and stored along the packed layout (kernel by kernel, scattering each kernel's 36
// points a point_stride apart, was 3-5x slower). Uses the calling thread's placed buffer 0.
template <typename T>
void transform_kernel_block(const T* w, int64_t og, int64_t cg, int64_t g, bool transposed, int64_t b, int64_t c0,
                            int64_t count, T* dst, int64_t point_stride) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t out_g = transposed ? cg : og;
  const int64_t e = count * kKernelRows;  // values of one point
  T* taps = direct::placed_buffer<T, 0>(9 * e);
  // Row by row (a correlation output channel), its kernels a fixed stride apart in w: 9 * cg
  // values between a grad-input row's (w's output channels), 9 between a forward row's.
  for (int64_t r = 0; r < kKernelRows; ++r) {
    const int64_t a = b * kKernelRows + r;  // the correlation's output channel in the group
    T* to = taps + r;
    if (a >= out_g) {
      for (int ij = 0; ij < 9; ++ij) {
        for (int64_t c = 0; c < count; ++c) to[ij * e + c * kKernelRows] = T(0);
      }
    } else if (transposed) {
      const T* src = w + ((g * og + c0) * cg + a) * 9;
      for (int64_t c = 0; c < count; ++c, src += 9 * cg, to += kKernelRows) {
#pragma GCC unroll 9
        for (int ij = 0; ij < 9; ++ij) to[ij * e] = src[8 - ij];
      }
    } else {
      const T* src = w + ((g * og + a) * cg + c0) * 9;
      for (int64_t c = 0; c < count; ++c, src += 9, to += kKernelRows) {
#pragma GCC unroll 9
        for (int ij = 0; ij < 9; ++ij) to[ij * e] = src[ij];
      }
    }
  }
  int64_t x = 0;
  for (; x + L <= e; x += L) {
    Vec gv[9];
    for (int ij = 0; ij < 9; ++ij) gv[ij] = S::load(taps + ij * e + x);
    kernel_points<T, Vec>(gv, [&](int p, Vec v) { S::store(dst + p * point_stride + x, v); });
  }
  for (; x < e; ++x) {
    T gv[9];
    for (int ij = 0; ij < 9; ++ij) gv[ij] = taps[ij * e + x];
    kernel_points<T, T>(gv, [&](int p, T v) { dst[p * point_stride + x] = v; });
  }
}

// q (6 values) -> G^T q (3 values), the columns of G above, rows 1-2 and 3-4 sharing sums.
template <typename T, typename V>
inline void gt_(V q0, V q1, V q2, V q3, V q4, V q5, V (&o)[3]) {
  const V s12 = q1 + q2, d12 = q1 - q2, s34 = q3 + q4, d34 = q3 - q4;
  o[0] = T(1) / 4 * q0 - T(1) / 6 * s12 + T(1) / 24 * s34;
  o[1] = T(1) / 12 * d34 - T(1) / 6 * d12;
  o[2] = T(1) / 6 * (s34 - s12) + q5;
}

// The 3x3 kernels G^T Q G of up to L kernels, one a lane of the 36 point vectors q[p * plane]
// (Q[k][l] at p = 6 k + l), made in registers (t[i][l] = sum_k G[k][i] Q[k][l], then r[i][j] =
// sum_l t[i][l] G[l][j]) and written kernel-major, out[lane * 9 + ij] for lane < count: the
// weight's gradient holds consecutive input channels' kernels so. (Plane by plane through memory,
// 18 planes of t and 9 of r, then scattered kernel by kernel, this took more time than the
// per-point products on 4x4 images: 512 x 512 kernels of 8 tiles.)
template <typename T>
inline void kernels_from_points(const T* q, int64_t plane, int64_t count, T* out) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int L = S::kLanes;
  Vec t[3][6];
#pragma GCC unroll 6
  for (int l = 0; l < 6; ++l) {
    Vec o[3];
    gt_<T, Vec>(S::load(q + l * plane), S::load(q + (6 + l) * plane), S::load(q + (12 + l) * plane),
                S::load(q + (18 + l) * plane), S::load(q + (24 + l) * plane), S::load(q + (30 + l) * plane), o);
    for (int i = 0; i < 3; ++i) t[i][l] = o[i];
  }
  alignas(kSimdBytes) T r[9][L];
#pragma GCC unroll 3
  for (int i = 0; i < 3; ++i) {
    Vec o[3];
    gt_<T, Vec>(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], o);
    for (int j = 0; j < 3; ++j) S::store(r[i * 3 + j], o[j]);
  }
  for (int64_t lane = 0; lane < count; ++lane) {
#pragma GCC unroll 9
    for (int ij = 0; ij < 9; ++ij) out[lane * 9 + ij] = r[ij][lane];
  }
}

// Columns j < W (W = 4 or 6) of a vector of windows at f: lane i of column[j] = f[4 i + j].
// The 4 L values from f are split into their four phases once (two rounds of four shuffles);
// columns 4 and 5 are phases 0 and 1 moved down a lane, the next window's value in the last.
// (Gathering each column on its own, four loads and three shuffles a column, took 18 shuffles
// for 6 columns and ran the input transform 7-17 % slower.)
template <typename T, int W>
inline void columns_of_windows(const T* f, typename Simd<T>::Vec (&column)[W]) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int L = S::kLanes;
  static_assert(W == 4 || W == 6, "windows of 4 or 6 columns at a stride of 4");
  constexpr typename S::Mask even = S::lanes([](int i) { return 2 * i; });
  constexpr typename S::Mask odd = S::lanes([](int i) { return 2 * i + 1; });
  // Phase-sorted halves: (a's even lanes of the lower half, b's of the upper), and the odd ones.
  constexpr typename S::Mask evens_of_halves = S::lanes(
      [](int i) { return i < Simd<T>::kLanes / 2 ? 2 * i : Simd<T>::kLanes + 2 * (i - Simd<T>::kLanes / 2); });
  constexpr typename S::Mask odds_of_halves = S::lanes(
      [](int i) { return i < Simd<T>::kLanes / 2 ? 2 * i + 1 : Simd<T>::kLanes + 2 * (i - Simd<T>::kLanes / 2) + 1; });
  const Vec p0 = S::load(f), p1 = S::load(f + L), p2 = S::load(f + 2 * L), p3 = S::load(f + 3 * L);
  const Vec even_low = shuffle2(p0, p1, even), odd_low = shuffle2(p0, p1, odd);     // f[2 i], f[2 i + 1]
  const Vec even_high = shuffle2(p2, p3, even), odd_high = shuffle2(p2, p3, odd);  // from f + 2 L
  column[0] = shuffle2(even_low, even_high, evens_of_halves);
  column[2] = shuffle2(even_low, even_high, odds_of_halves);
  column[1] = shuffle2(odd_low, odd_high, evens_of_halves);
  column[3] = shuffle2(odd_low, odd_high, odds_of_halves);
  if constexpr (W == 6) {
    constexpr typename S::Mask next = S::lanes([](int i) { return i + 1; });  // lane L: the broadcast's
    column[4] = shuffle2(column[0], S::broadcast(f[4 * L]), next);
    column[5] = shuffle2(column[1], S::broadcast(f[4 * L + 1]), next);
  }
}

// Tiles of a row whose window columns two vectors of its values hold: n tiles of `window`
// columns at a stride of 4 span 4 (n - 1) + window values.
template <typename T>
constexpr int64_t tiles_in_two_vectors(int64_t window) {
  return 2 * Simd<T>::kLanes >= window ? (2 * Simd<T>::kLanes - window) / 4 + 1 : 0;
}

// {lo_hi[4 i + J] : i < L} of the 2 L values (lo, hi), lanes past the pair's end arbitrary: the
// gather of column J of a row's windows when its tiles fit two vectors (one shuffle a column,
// the two loads shared by all columns).
template <typename T, int J>
inline typename Simd<T>::Vec column_of_pair(const typename Simd<T>::Vec& lo, const typename Simd<T>::Vec& hi) {
  using S = Simd<T>;
  constexpr typename S::Mask pick =
      S::lanes([](int i) { return 4 * i + J < 2 * Simd<T>::kLanes ? 4 * i + J : 0; });
  return shuffle2(lo, hi, pick);
}

// The inverse for four phases: the 4 L values out[4 i + s] = z_s[i] for i < L, as 4 vectors.
template <typename T>
inline void interleave_four(const typename Simd<T>::Vec& z0, const typename Simd<T>::Vec& z1,
                            const typename Simd<T>::Vec& z2, const typename Simd<T>::Vec& z3,
                            typename Simd<T>::Vec (&out)[4]) {
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
  out[0] = shuffle2(p_low, q_low, quads_low);
  out[1] = shuffle2(p_low, q_low, quads_high);
  out[2] = shuffle2(p_high, q_high, quads_low);
  out[3] = shuffle2(p_high, q_high, quads_high);
}

// Rows [row, row + count) of the plane src (h x w) placed with row 0 at padded row `top` and
// column 0 at `left`, into dst (count x padded_w): zeros wherever the plane is not. dst has a
// vector of slack past its last row.
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
    // Whole vectors (a call of memcpy cost more on the short rows of small images); the last
    // reads only the row's values, and its store runs past them into this row's right padding
    // (zeroed next), the next row (placed after) or the slack.
    using S = Simd<T>;
    const T* from = src + sr * w + c0;
    T* to = r + c0 + left;
    int64_t j = 0;
    for (; j + S::kLanes <= c1 - c0; j += S::kLanes) S::store(to + j, S::load(from + j));
    if (j < c1 - c0) S::store(to + j, S::load_first(from + j, c1 - c0 - j));
    std::fill(r + c1 + left, r + padded_w, T(0));
  }
}

// The transforms' first pass runs on gathered columns: pass(column, o) maps the W values down
// one column of a vector of tiles' W x W windows (6 for the input, 4 for the grad-output) to its
// 6 results, and result k of column j goes to e[(k * W + j) * es].
// first_pass_of_pairs: columns J.. where each window row's values for all the vector's tiles are
// in two vectors, lo[y] and hi[y] (tiles_in_two_vectors).
template <typename T, int W, int J = 0, typename Pass>
inline void first_pass_of_pairs(const typename Simd<T>::Vec (&lo)[W], const typename Simd<T>::Vec (&hi)[W], T* e,
                                int64_t es, Pass pass) {
  if constexpr (J < W) {
    using Vec = typename Simd<T>::Vec;
    Vec column[W], o[6];
    for (int y = 0; y < W; ++y) column[y] = column_of_pair<T, J>(lo[y], hi[y]);
    pass(column, o);
    for (int k = 0; k < 6; ++k) Simd<T>::store(e + (k * W + J) * es, o[k]);
    first_pass_of_pairs<T, W, J + 1>(lo, hi, e, es, pass);
  }
}

// The first pass of the vector of tiles whose windows start at f (window rows `stride` apart,
// `left` of the row's tiles from here on): two shared loads a window row and one shuffle a
// column where the tiles fit two vectors of the row (the last vector of a small image's row),
// else columns_of_windows a window row.
template <typename T, int W, typename Pass>
inline void first_pass(const T* f, int64_t stride, int64_t left, T* e, int64_t es, Pass pass) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  if (left <= tiles_in_two_vectors<T>(W)) {
    Vec lo[W], hi[W];
    for (int y = 0; y < W; ++y) {
      lo[y] = S::load(f + y * stride);
      hi[y] = S::load(f + y * stride + S::kLanes);
    }
    first_pass_of_pairs<T, W>(lo, hi, e, es, pass);
    return;
  }
  Vec rows[W][W];  // rows[y][j]: column j's value in window row y
  for (int y = 0; y < W; ++y) columns_of_windows<T, W>(f + y * stride, rows[y]);
  for (int j = 0; j < W; ++j) {
    Vec column[W], o[6];
    for (int y = 0; y < W; ++y) column[y] = rows[y][j];
    pass(column, o);
    for (int k = 0; k < 6; ++k) S::store(e + (k * W + j) * es, o[k]);
  }
}

// The 36 points B^T d B of one channel's tiles in tile rows [row0, row0 + rows) of the flattened
// (image, tile row) list: point p of the block's tile t to out[p * point_stride + t], for t <
// `padded` (tiles past the block's are zero). For each column j of the 6x6 windows, a vector of
// tiles' six values down it is gathered (the only strided access, first_pass: a placed row's
// values split into their four phases with shuffles) and B^T applied to them in registers,
// e[k][j][t]; the second pass of B^T then runs along the whole block's tiles: contiguous, in full
// vectors. (Gathering all 36 values to memory first and applying both passes from there wrote
// and read the block's windows once more.)
template <typename T>
void input_tiles(const T* src, int64_t channels, int64_t ch, int64_t h, int64_t w, int64_t top, int64_t left,
                 int64_t row0, int64_t rows, int64_t th_count, int64_t tw, int64_t padded, T* out,
                 int64_t point_stride) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t wp = kTile * tw + 2, tiles = rows * tw;
  // The gathers read whole vectors: up to 4 L values past a row's last window, and store L tiles
  // past the row's last, into slack (their lanes land on tiles written later or zeroed below).
  const int64_t es = padded + L;  // e's row stride
  T* pad = direct::placed_buffer<T, 0>(kWindow * wp + 4 * L);
  T* __restrict e = direct::placed_buffer<T, 4>(kPoints * es);  // e[k * 6 + j][t] = (B^T d)[k][j]
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    place_rows(src + (img * channels + ch) * h * w, h, w, top, left, kTile * th, kWindow, wp, pad);
    for (int64_t q = 0; q < tw; q += L) {
      first_pass<T, kWindow>(pad + kTile * q, wp, tw - q, e + r * tw + q, es, [](const Vec(&d)[6], Vec(&o)[6]) {
        bt<T, Vec>(d[0], d[1], d[2], d[3], d[4], d[5], o);
      });
    }
  }
  for (int64_t kj = 0; kj < kPoints; ++kj) std::fill(e + kj * es + tiles, e + kj * es + padded, T(0));
  for (int k = 0; k < 6; ++k) {
    const T* ek = e + k * 6 * es;
    T* const ok = out + k * 6 * point_stride;
    for (int64_t t = 0; t < padded; t += L) {
      Vec o[6];
      bt<T, Vec>(S::load(ek + t), S::load(ek + es + t), S::load(ek + 2 * es + t), S::load(ek + 3 * es + t),
                 S::load(ek + 4 * es + t), S::load(ek + 5 * es + t), o);
      for (int l = 0; l < 6; ++l) S::store(ok + l * point_stride + t, o[l]);
    }
  }
}

// The 36 points A q A^T of one grad-output channel's 4x4 tiles in tile rows [row0, row0 + rows)
// (zero past the plane's edges), laid out as input_tiles lays its points out, and made as it
// makes them (the first pass on gathered columns, in registers).
template <typename T>
void grad_output_tiles(const T* gy, int64_t out_channels, int64_t oc, int64_t out_h, int64_t out_w, int64_t row0,
                       int64_t rows, int64_t th_count, int64_t tw, int64_t padded, T* out, int64_t point_stride) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  const int64_t w4 = kTile * tw, tiles = rows * tw, es = padded + L;
  T* pad = direct::placed_buffer<T, 0>(kTile * w4 + 4 * L);
  T* __restrict e = direct::placed_buffer<T, 4>(24 * es);  // e[k * 4 + j][t] = (A q)[k][j]
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    place_rows(gy + (img * out_channels + oc) * out_h * out_w, out_h, out_w, 0, 0, kTile * th, kTile, w4, pad);
    for (int64_t q = 0; q < tw; q += L) {
      first_pass<T, kTile>(pad + kTile * q, w4, tw - q, e + r * tw + q, es,
                           [](const Vec(&d)[4], Vec(&o)[6]) { a_<T, Vec>(d[0], d[1], d[2], d[3], o); });
    }
  }
  for (int64_t kj = 0; kj < 24; ++kj) std::fill(e + kj * es + tiles, e + kj * es + padded, T(0));
  for (int k = 0; k < 6; ++k) {
    const T* ek = e + k * 4 * es;
    T* const ok = out + k * 6 * point_stride;
    for (int64_t t = 0; t < padded; t += L) {
      Vec o[6];
      a_<T, Vec>(S::load(ek + t), S::load(ek + es + t), S::load(ek + 2 * es + t), S::load(ek + 3 * es + t), o);
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
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t img = (row0 + r) / th_count, th = (row0 + r) % th_count;
    T* plane = y + (img * out_channels + oc) * out_h * out_w;
    for (int64_t mr = 0; mr < 4 && kTile * th + mr < out_h; ++mr) {
      T* yrow = plane + (kTile * th + mr) * out_w;
      const T* z0 = z + mr * 4 * zs + r * tw;
      if constexpr (S::kLanes >= 4) {
        // A vector of tiles at a time, interleaved whole (z's slack covers the last loads) and
        // stored up to the row's end: storing a row's last part value by value (all 28 values
        // of a 28-wide image's row) took about half of this function on small images.
        for (int64_t q = 0; q < tw; q += S::kLanes) {
          Vec v[4];
          interleave_four<T>(S::load(z0 + q), S::load(z0 + zs + q), S::load(z0 + 2 * zs + q), S::load(z0 + 3 * zs + q), v);
          S::store_values(yrow + kTile * q, v, out_w - kTile * q);
        }
      } else {
        for (int64_t col = 0; col < out_w; ++col) yrow[col] = z0[(col % 4) * zs + col / 4];
      }
    }
  }
}

// out[t * out_stride + i] = planes[i * padded + t] for i < count (zero for count <= i < stride
// rounded to whole vectors), t < padded: the channel-major planes of one point, tile-major, by
// L x L transposes (the products of grad-weight run along channels).
template <typename T>
void tile_major(const T* planes, int64_t padded, int64_t count, T* out, int64_t out_stride) {
  constexpr int64_t L = Simd<T>::kLanes;
  for (int64_t t0 = 0; t0 < padded; t0 += L) {
    for (int64_t c0 = 0; c0 < out_stride; c0 += L) {
      transpose_block(planes + c0 * padded + t0, padded, std::max<int64_t>(0, std::min(L, count - c0)),
                      out + t0 * out_stride + c0, out_stride);
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

}  // namespace oaconv::winograd::detail
