#include "spectral_gemm.h"

#include "../simd_vec.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>

namespace oaconv::fft {
namespace {

constexpr int kRowBlock = 2;  // i per register block
constexpr int kColBlock = 4;  // j per register block: 2*4 complex accumulators = 16 vectors
// Frequencies per task: enough vectors that B's k x j elements stay in L1/L2 while a block of
// rows of A streams past.
constexpr int kVectorsPerTask = 4;

// (ar + i sa ai)(br + i sb bi) = ar br - sa sb ai bi + i (sb ar bi + sa ai br)
template <typename T, int MR, int NR, bool kConjA, bool kConjB>
void block_kernel(int64_t i0, int64_t j0, int64_t kk, int64_t f, const SplitMatrix<T>& a,
                  const SplitMatrix<T>& b, const SplitMatrix<T>& c) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  Vec acc_re[MR][NR], acc_im[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int q = 0; q < NR; ++q) acc_re[r][q] = acc_im[r][q] = Vec{};
  const T* a_ptr = a.data + i0 * a.row_stride + f;
  const T* b_ptr = b.data + j0 * b.col_stride + f;
  for (int64_t p = 0; p < kk; ++p, a_ptr += a.col_stride, b_ptr += b.row_stride) {
    Vec ar[MR], ai[MR];
    for (int r = 0; r < MR; ++r) {
      ar[r] = S::load(a_ptr + r * a.row_stride);
      ai[r] = S::load(a_ptr + r * a.row_stride + a.im_offset);
    }
    for (int q = 0; q < NR; ++q) {
      const Vec br = S::load(b_ptr + q * b.col_stride);
      const Vec bi = S::load(b_ptr + q * b.col_stride + b.im_offset);
      for (int r = 0; r < MR; ++r) {
        acc_re[r][q] += ar[r] * br;
        if constexpr (kConjA != kConjB) acc_re[r][q] += ai[r] * bi;  // -sa*sb = +1
        else acc_re[r][q] -= ai[r] * bi;
        if constexpr (kConjB) acc_im[r][q] -= ar[r] * bi;
        else acc_im[r][q] += ar[r] * bi;
        if constexpr (kConjA) acc_im[r][q] -= ai[r] * br;
        else acc_im[r][q] += ai[r] * br;
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int q = 0; q < NR; ++q) {
      T* out = c.data + (i0 + r) * c.row_stride + (j0 + q) * c.col_stride + f;
      std::memcpy(out, &acc_re[r][q], sizeof(Vec));
      std::memcpy(out + c.im_offset, &acc_im[r][q], sizeof(Vec));
    }
  }
}

// Runtime block sizes (the edges of the matrices) dispatched to compile-time kernels.
template <typename T, bool kConjA, bool kConjB, int MR>
void dispatch_cols(int nr, int64_t i0, int64_t j0, int64_t kk, int64_t f, const SplitMatrix<T>& a,
                   const SplitMatrix<T>& b, const SplitMatrix<T>& c) {
  switch (nr) {
    case 4: return block_kernel<T, MR, 4, kConjA, kConjB>(i0, j0, kk, f, a, b, c);
    case 3: return block_kernel<T, MR, 3, kConjA, kConjB>(i0, j0, kk, f, a, b, c);
    case 2: return block_kernel<T, MR, 2, kConjA, kConjB>(i0, j0, kk, f, a, b, c);
    default: return block_kernel<T, MR, 1, kConjA, kConjB>(i0, j0, kk, f, a, b, c);
  }
}

template <typename T, bool kConjA, bool kConjB>
void gemm(int64_t m, int64_t n, int64_t k, int64_t frequencies, const SplitMatrix<T>& a,
          const SplitMatrix<T>& b, const SplitMatrix<T>& c) {
  constexpr int64_t kLanes = Simd<T>::kLanes;
  const int64_t vectors = frequencies / kLanes;
  const int64_t freq_tasks = (vectors + kVectorsPerTask - 1) / kVectorsPerTask;
  // Rows are grouped so that each task has a few hundred rows at most (B stays hot).
  const int64_t rows_per_task = 64;
  const int64_t row_tasks = (m + rows_per_task - 1) / rows_per_task;
  at::parallel_for(0, freq_tasks * row_tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t ft = task % freq_tasks;
      const int64_t rt = task / freq_tasks;
      const int64_t v_end = std::min(vectors, (ft + 1) * kVectorsPerTask);
      const int64_t i_end = std::min(m, (rt + 1) * rows_per_task);
      for (int64_t v = ft * kVectorsPerTask; v < v_end; ++v) {
        const int64_t f = v * kLanes;
        for (int64_t i0 = rt * rows_per_task; i0 < i_end; i0 += kRowBlock) {
          const int mr = static_cast<int>(std::min<int64_t>(kRowBlock, i_end - i0));
          for (int64_t j0 = 0; j0 < n; j0 += kColBlock) {
            const int nr = static_cast<int>(std::min<int64_t>(kColBlock, n - j0));
            if (mr == 2) dispatch_cols<T, kConjA, kConjB, 2>(nr, i0, j0, k, f, a, b, c);
            else dispatch_cols<T, kConjA, kConjB, 1>(nr, i0, j0, k, f, a, b, c);
          }
        }
      }
    }
  });
}

}  // namespace

template <typename T>
void spectral_gemm(int64_t m, int64_t n, int64_t k, int64_t frequencies, const SplitMatrix<T>& a,
                   bool conj_a, const SplitMatrix<T>& b, bool conj_b, const SplitMatrix<T>& c) {
  TORCH_INTERNAL_ASSERT(frequencies % Simd<T>::kLanes == 0);
  if (m == 0 || n == 0) return;
  if (conj_a && conj_b) gemm<T, true, true>(m, n, k, frequencies, a, b, c);
  else if (conj_a) gemm<T, true, false>(m, n, k, frequencies, a, b, c);
  else if (conj_b) gemm<T, false, true>(m, n, k, frequencies, a, b, c);
  else gemm<T, false, false>(m, n, k, frequencies, a, b, c);
}

template void spectral_gemm<float>(int64_t, int64_t, int64_t, int64_t, const SplitMatrix<float>&, bool,
                                   const SplitMatrix<float>&, bool, const SplitMatrix<float>&);
template void spectral_gemm<double>(int64_t, int64_t, int64_t, int64_t, const SplitMatrix<double>&, bool,
                                    const SplitMatrix<double>&, bool, const SplitMatrix<double>&);

}  // namespace oaconv::fft
