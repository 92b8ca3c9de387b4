// The F(4x4, 3x3) tile transforms (winograd_transforms.h), compiled per instruction set: each
// task is one row of tiles of one channel; the 6x6 (or 4x4) matrix on either side is applied
// as two passes of additions and small multiplies over whole rows, the second on the row's
// columns split into their four phases mod 4, so every loop reads and writes contiguously and
// vectorises along the tile row.
#include "winograd_transforms.h"

#include "../direct/placed_planes.h"
#include "../parallel_tasks.h"

#include <ATen/Dispatch.h>
#include <c10/util/Exception.h>

namespace oaconv::winograd {
namespace {

// z (6 values) -> B^T z.
template <typename T>
inline void bt(T z0, T z1, T z2, T z3, T z4, T z5, T (&o)[6]) {
  o[0] = T(4) * z0 - T(5) * z2 + z4;
  o[1] = -T(4) * (z1 + z2) + z3 + z4;
  o[2] = T(4) * (z1 - z2) - z3 + z4;
  o[3] = T(2) * (z3 - z1) - z2 + z4;
  o[4] = T(2) * (z1 - z3) - z2 + z4;
  o[5] = T(4) * z1 - T(5) * z3 + z5;
}

// m (6 values) -> A^T m (4 values).
template <typename T>
inline void at_(T m0, T m1, T m2, T m3, T m4, T m5, T (&o)[4]) {
  const T s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  o[0] = m0 + s12 + s34;
  o[1] = d12 + T(2) * d34;
  o[2] = s12 + T(4) * s34;
  o[3] = d12 + T(8) * d34 + m5;
}

// q (4 values) -> A q (6 values).
template <typename T>
inline void a_(T q0, T q1, T q2, T q3, T (&o)[6]) {
  const T s02 = q0 + q2, s13 = q1 + q3, e = q0 + T(4) * q2, f = T(2) * q1 + T(8) * q3;
  o[0] = q0;
  o[1] = s02 + s13;
  o[2] = s02 - s13;
  o[3] = e + f;
  o[4] = e - f;
  o[5] = q3;
}

template <typename T>
void input_transform(const T* xp, int64_t batch, int64_t channels, int64_t th_count, int64_t tw_count, T* v) {
  const int64_t hp = kTile * th_count + 2, wp = kTile * tw_count + 2, tiles = batch * th_count * tw_count;
  const int64_t phase = tw_count + 1;  // columns 4q + j for q <= TW
  parallel_tasks(batch * channels * th_count, [&](int64_t task) {
    const int64_t th = task % th_count, c = (task / th_count) % channels, n = task / (th_count * channels);
    const T* r = xp + ((n * channels + c) * hp + kTile * th) * wp;
    T* t = direct::placed_buffer<T, 0>(kWindow * wp);
    T* ph = direct::placed_buffer<T, 1>(4 * phase);
    // Rows: t_k = sum_i B^T[k][i] r_i, along the whole row.
    for (int64_t col = 0; col < wp; ++col) {
      T o[6];
      bt(r[col], r[wp + col], r[2 * wp + col], r[3 * wp + col], r[4 * wp + col], r[5 * wp + col], o);
      for (int k = 0; k < 6; ++k) t[k * wp + col] = o[k];
    }
    T* const out = v + c * tiles + (n * th_count + th) * tw_count;
    for (int k = 0; k < 6; ++k) {
      const T* tk = t + k * wp;
      for (int64_t q = 0; q < phase; ++q) {
        for (int64_t j = 0; j < 4; ++j) ph[j * phase + q] = kTile * q + j < wp ? tk[kTile * q + j] : T(0);
      }
      const T *p0 = ph, *p1 = ph + phase, *p2 = ph + 2 * phase, *p3 = ph + 3 * phase;
      T* const o0 = out + (k * 6) * channels * tiles;
      const int64_t plane = channels * tiles;
      for (int64_t q = 0; q < tw_count; ++q) {
        T o[6];
        bt(p0[q], p1[q], p2[q], p3[q], p0[q + 1], p1[q + 1], o);
        for (int l = 0; l < 6; ++l) o0[l * plane + q] = o[l];
      }
    }
  });
}

template <typename T>
void output_transform(const T* m, const T* bias, int64_t batch, int64_t out_channels, int64_t th_count,
                      int64_t tw_count, int64_t out_h, int64_t out_w, T* y) {
  const int64_t tiles = batch * th_count * tw_count, plane = out_channels * tiles;
  parallel_tasks(batch * out_channels * th_count, [&](int64_t task) {
    const int64_t th = task % th_count, o = (task / th_count) % out_channels, n = task / (th_count * out_channels);
    const T* const in = m + o * tiles + (n * th_count + th) * tw_count;
    T* s = direct::placed_buffer<T, 0>(6 * 4 * tw_count);  // s[k][mc][q]: A^T along each point row k
    T* res = direct::placed_buffer<T, 1>(4 * 4 * tw_count);  // res[mr][mc][q]
    for (int k = 0; k < 6; ++k) {
      const T* row = in + k * 6 * plane;
      for (int64_t q = 0; q < tw_count; ++q) {
        T o[4];
        at_(row[q], row[plane + q], row[2 * plane + q], row[3 * plane + q], row[4 * plane + q], row[5 * plane + q], o);
        for (int mc = 0; mc < 4; ++mc) s[(k * 4 + mc) * tw_count + q] = o[mc];
      }
    }
    for (int mc = 0; mc < 4; ++mc) {
      const int64_t stride = 4 * tw_count;
      const T* z = s + mc * tw_count;
      for (int64_t q = 0; q < tw_count; ++q) {
        T o[4];
        at_(z[q], z[stride + q], z[2 * stride + q], z[3 * stride + q], z[4 * stride + q], z[5 * stride + q], o);
        for (int mr = 0; mr < 4; ++mr) res[(mr * 4 + mc) * tw_count + q] = o[mr];
      }
    }
    const T b = bias ? bias[o] : T(0);
    for (int mr = 0; mr < 4 && kTile * th + mr < out_h; ++mr) {
      T* yrow = y + ((n * out_channels + o) * out_h + kTile * th + mr) * out_w;
      const T* r = res + mr * 4 * tw_count;
      for (int64_t col = 0; col < out_w; ++col) yrow[col] = r[(col % 4) * tw_count + col / 4] + b;
    }
  });
}

template <typename T>
void grad_output_transform(const T* gyp, int64_t batch, int64_t out_channels, int64_t th_count, int64_t tw_count,
                           T* u) {
  const int64_t w4 = kTile * tw_count, h4 = kTile * th_count, tiles = batch * th_count * tw_count;
  const int64_t plane = out_channels * tiles;
  parallel_tasks(batch * out_channels * th_count, [&](int64_t task) {
    const int64_t th = task % th_count, o = (task / th_count) % out_channels, n = task / (th_count * out_channels);
    const T* r = gyp + ((n * out_channels + o) * h4 + kTile * th) * w4;
    T* a = direct::placed_buffer<T, 0>(6 * w4);
    T* ph = direct::placed_buffer<T, 1>(4 * tw_count);
    for (int64_t col = 0; col < w4; ++col) {
      T out[6];
      a_(r[col], r[w4 + col], r[2 * w4 + col], r[3 * w4 + col], out);
      for (int p = 0; p < 6; ++p) a[p * w4 + col] = out[p];
    }
    T* const dst = u + o * tiles + (n * th_count + th) * tw_count;
    for (int p = 0; p < 6; ++p) {
      const T* ap = a + p * w4;
      for (int64_t q = 0; q < tw_count; ++q) {
        for (int64_t j = 0; j < 4; ++j) ph[j * tw_count + q] = ap[kTile * q + j];
      }
      T* const d0 = dst + (p * 6) * plane;
      for (int64_t q = 0; q < tw_count; ++q) {
        T out[6];
        a_(ph[q], ph[tw_count + q], ph[2 * tw_count + q], ph[3 * tw_count + q], out);
        for (int p2 = 0; p2 < 6; ++p2) d0[p2 * plane + q] = out[p2];
      }
    }
  });
}

}  // namespace

void input_tiles_transform(const at::Tensor& xp, int64_t tile_rows, int64_t tile_cols, at::Tensor& v) {
  TORCH_INTERNAL_ASSERT(xp.dim() == 4 && xp.is_contiguous() && v.is_contiguous());
  TORCH_INTERNAL_ASSERT(xp.size(2) == kTile * tile_rows + 2 && xp.size(3) == kTile * tile_cols + 2);
  TORCH_INTERNAL_ASSERT(v.dim() == 3 && v.size(0) == kPoints && v.size(1) == xp.size(1) &&
                        v.size(2) == xp.size(0) * tile_rows * tile_cols);
  AT_DISPATCH_FLOATING_TYPES(xp.scalar_type(), "oaconv::winograd::input_tiles_transform", [&] {
    input_transform<scalar_t>(xp.data_ptr<scalar_t>(), xp.size(0), xp.size(1), tile_rows, tile_cols,
                              v.data_ptr<scalar_t>());
  });
}

void output_tiles_transform(const at::Tensor& m, const at::Tensor& bias, int64_t tile_rows, int64_t tile_cols,
                            at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(m.dim() == 3 && m.is_contiguous() && y.dim() == 4 && y.is_contiguous());
  TORCH_INTERNAL_ASSERT(m.size(0) == kPoints && m.size(1) == y.size(1) &&
                        m.size(2) == y.size(0) * tile_rows * tile_cols);
  TORCH_INTERNAL_ASSERT(y.size(2) <= kTile * tile_rows && y.size(3) <= kTile * tile_cols);
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(m.scalar_type(), "oaconv::winograd::output_tiles_transform", [&] {
    output_transform<scalar_t>(m.data_ptr<scalar_t>(), b.defined() ? b.data_ptr<scalar_t>() : nullptr, y.size(0),
                               y.size(1), tile_rows, tile_cols, y.size(2), y.size(3), y.data_ptr<scalar_t>());
  });
}

void grad_output_tiles_transform(const at::Tensor& gyp, int64_t tile_rows, int64_t tile_cols, at::Tensor& u) {
  TORCH_INTERNAL_ASSERT(gyp.dim() == 4 && gyp.is_contiguous() && u.is_contiguous());
  TORCH_INTERNAL_ASSERT(gyp.size(2) == kTile * tile_rows && gyp.size(3) == kTile * tile_cols);
  TORCH_INTERNAL_ASSERT(u.dim() == 3 && u.size(0) == kPoints && u.size(1) == gyp.size(1) &&
                        u.size(2) == gyp.size(0) * tile_rows * tile_cols);
  AT_DISPATCH_FLOATING_TYPES(gyp.scalar_type(), "oaconv::winograd::grad_output_tiles_transform", [&] {
    grad_output_transform<scalar_t>(gyp.data_ptr<scalar_t>(), gyp.size(0), gyp.size(1), tile_rows, tile_cols,
                                    u.data_ptr<scalar_t>());
  });
}

}  // namespace oaconv::winograd
