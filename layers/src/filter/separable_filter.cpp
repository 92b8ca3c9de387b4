#include "separable_filter.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "../simd_vec.h"

#include <vector>

namespace oaconv::filter {
namespace {

// out[x] = sum_i taps[i] * in[i * stride + x] for x < n: a block of 4 vectors of x in registers
// while the taps go by, so each input value is loaded once per tap and never stored between.
template <typename T>
void vertical_pass(const T* in, int64_t stride, const T* taps, int64_t count, T* out, int64_t n) {
  using S = Simd<T>;
  constexpr int64_t kBlock = 4 * S::kLanes;
  int64_t x = 0;
  for (; x + kBlock <= n; x += kBlock) {
    typename S::Vec a0{}, a1{}, a2{}, a3{};
    for (int64_t i = 0; i < count; ++i) {
      const T* p = in + i * stride + x;
      const typename S::Vec c = S::broadcast(taps[i]);
      a0 += c * S::load(p);
      a1 += c * S::load(p + S::kLanes);
      a2 += c * S::load(p + 2 * S::kLanes);
      a3 += c * S::load(p + 3 * S::kLanes);
    }
    S::store(out + x, a0);
    S::store(out + x + S::kLanes, a1);
    S::store(out + x + 2 * S::kLanes, a2);
    S::store(out + x + 3 * S::kLanes, a3);
  }
  for (; x < n; ++x) {
    T acc = 0;
    for (int64_t i = 0; i < count; ++i) acc += taps[i] * in[i * stride + x];
    out[x] = acc;
  }
}

// out[x] (+)= sum_j taps[j] * in[x + j] for x < n: the same register blocking along the row.
template <typename T>
void horizontal_pass(const T* in, const T* taps, int64_t count, T* out, int64_t n, bool accumulate) {
  using S = Simd<T>;
  constexpr int64_t kBlock = 4 * S::kLanes;
  int64_t x = 0;
  for (; x + kBlock <= n; x += kBlock) {
    typename S::Vec a0{}, a1{}, a2{}, a3{};
    if (accumulate) {
      a0 = S::load(out + x), a1 = S::load(out + x + S::kLanes);
      a2 = S::load(out + x + 2 * S::kLanes), a3 = S::load(out + x + 3 * S::kLanes);
    }
    for (int64_t j = 0; j < count; ++j) {
      const T* p = in + x + j;
      const typename S::Vec c = S::broadcast(taps[j]);
      a0 += c * S::load(p);
      a1 += c * S::load(p + S::kLanes);
      a2 += c * S::load(p + 2 * S::kLanes);
      a3 += c * S::load(p + 3 * S::kLanes);
    }
    S::store(out + x, a0);
    S::store(out + x + S::kLanes, a1);
    S::store(out + x + 2 * S::kLanes, a2);
    S::store(out + x + 3 * S::kLanes, a3);
  }
  for (; x < n; ++x) {
    T acc = accumulate ? out[x] : T(0);
    for (int64_t j = 0; j < count; ++j) acc += taps[j] * in[x + j];
    out[x] = acc;
  }
}

template <typename T>
void correlate_rows(const T* padded, T* out, int64_t planes, int64_t hp, int64_t wp, int64_t h,
                    int64_t w, const std::vector<T>& columns, const std::vector<T>& rows, int64_t rank) {
  const int64_t kh = hp - h + 1, kw = wp - w + 1;
  // One task per output row: its vertical pass (kh input rows -> one intermediate row of wp)
  // stays in L1/L2, then the horizontal pass reads that row kw times.
  at::parallel_for(0, planes * h, 8, [&](int64_t begin, int64_t end) {
    std::vector<T> vertical(static_cast<size_t>(wp));
    T* tmp = vertical.data();
    for (int64_t task = begin; task < end; ++task) {
      const int64_t plane = task / h, y = task % h;
      const T* src = padded + (plane * hp + y) * wp;
      T* dst = out + (plane * h + y) * w;
      for (int64_t t = 0; t < rank; ++t) {
        const T* col = columns.data() + t * kh;
        const T* row = rows.data() + t * kw;
        vertical_pass(src, wp, col, kh, tmp, wp);
        horizontal_pass(tmp, row, kw, dst, w, /*accumulate=*/t > 0);
      }
    }
  });
}

template <typename T>
std::vector<T> to_vector(const at::Tensor& factors) {
  const at::Tensor f = factors.to(at::kDouble).contiguous();
  const double* data = f.data_ptr<double>();
  return std::vector<T>(data, data + f.numel());
}

}  // namespace

at::Tensor separable_correlate_valid(const at::Tensor& padded, const at::Tensor& columns,
                                     const at::Tensor& rows) {
  TORCH_CHECK(padded.dim() == 3, "oaconv::filter2d (separable): expected (C, H, W) planes");
  TORCH_CHECK(columns.dim() == 2 && rows.dim() == 2 && columns.size(0) == rows.size(0) && columns.size(0) >= 1,
              "oaconv::filter2d (separable): factors must be (rank, kh) and (rank, kw) with rank >= 1");
  const at::Tensor in = padded.contiguous();
  const int64_t planes = in.size(0), hp = in.size(1), wp = in.size(2);
  const int64_t rank = columns.size(0), kh = columns.size(1), kw = rows.size(1);
  TORCH_CHECK(kh <= hp && kw <= wp, "oaconv::filter2d (separable): kernel ", kh, "x", kw,
              " larger than the padded image ", hp, "x", wp);
  const int64_t h = hp - kh + 1, w = wp - kw + 1;
  at::Tensor out = at::empty({planes, h, w}, in.options());
  AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "separable_correlate_valid", [&] {
    correlate_rows<scalar_t>(in.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), planes, hp, wp, h, w,
                             to_vector<scalar_t>(columns), to_vector<scalar_t>(rows), rank);
  });
  return out;
}

}  // namespace oaconv::filter
