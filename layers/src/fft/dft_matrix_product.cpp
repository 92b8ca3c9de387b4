#include "dft_matrix_product.h"

#include "../simd_vec.h"

#include <algorithm>
#include <cstring>

namespace oaconv::fft {
namespace {

constexpr int kRowBlock = 6;     // MR: 6 x 2 accumulator vectors + 2 of B + 1 broadcast
constexpr int kVectorBlock = 2;  // NV

template <typename T, int MR, int NV>
void block_kernel(const T* a, int64_t lda, const PackedMatrix<T>& b, int64_t j0, T* c, int64_t ldc) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  constexpr int64_t L = S::kLanes;
  Vec acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int s = 0; s < NV; ++s) acc[r][s] = Vec{};
  const int64_t k = b.rows();
  for (int64_t t = 0; t < k; ++t) {
    const T* bt = b.row(t) + j0;
    Vec bv[NV];
    for (int s = 0; s < NV; ++s) bv[s] = S::load(bt + s * L);
    for (int r = 0; r < MR; ++r) {
      const Vec ar = S::broadcast(a[r * lda + t]);
      for (int s = 0; s < NV; ++s) acc[r][s] += ar * bv[s];
    }
  }
  // Columns past b.cols() are padding: a partial last vector goes through a buffer so the
  // row's neighbour in c (often the next row, contiguous) is never touched.
  const int64_t valid = b.cols() - j0;
  for (int r = 0; r < MR; ++r) {
    for (int s = 0; s < NV; ++s) {
      T* dst = c + r * ldc + j0 + s * L;
      if ((s + 1) * L <= valid) {
        S::store(dst, acc[r][s]);
      } else if (s * L < valid) {
        T tmp[L];
        S::store(tmp, acc[r][s]);
        std::memcpy(dst, tmp, static_cast<size_t>(valid - s * L) * sizeof(T));
      }
    }
  }
}

template <typename T, int NV>
void dispatch_rows(int mr, const T* a, int64_t lda, const PackedMatrix<T>& b, int64_t j0, T* c, int64_t ldc) {
  switch (mr) {
    case 6: return block_kernel<T, 6, NV>(a, lda, b, j0, c, ldc);
    case 5: return block_kernel<T, 5, NV>(a, lda, b, j0, c, ldc);
    case 4: return block_kernel<T, 4, NV>(a, lda, b, j0, c, ldc);
    case 3: return block_kernel<T, 3, NV>(a, lda, b, j0, c, ldc);
    case 2: return block_kernel<T, 2, NV>(a, lda, b, j0, c, ldc);
    default: return block_kernel<T, 1, NV>(a, lda, b, j0, c, ldc);
  }
}

}  // namespace

template <typename T>
void multiply_rows(const T* a, int64_t m, int64_t lda, const PackedMatrix<T>& b, T* c, int64_t ldc) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t vectors = (b.cols() + L - 1) / L;
  for (int64_t i0 = 0; i0 < m; i0 += kRowBlock) {
    const int mr = static_cast<int>(std::min<int64_t>(kRowBlock, m - i0));
    const T* ai = a + i0 * lda;
    T* ci = c + i0 * ldc;
    for (int64_t v = 0; v < vectors; v += kVectorBlock) {
      if (vectors - v >= kVectorBlock) dispatch_rows<T, kVectorBlock>(mr, ai, lda, b, v * L, ci, ldc);
      else dispatch_rows<T, 1>(mr, ai, lda, b, v * L, ci, ldc);
    }
  }
}

template void multiply_rows<float>(const float*, int64_t, int64_t, const PackedMatrix<float>&, float*, int64_t);
template void multiply_rows<double>(const double*, int64_t, int64_t, const PackedMatrix<double>&, double*, int64_t);

}  // namespace oaconv::fft
