#include "spectral_gemm.h"

#include "../parallel_tasks.h"
#include "../simd_vec.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>

namespace oaconv::fft {
namespace {

// Register blocks by the target's register file: MR x NR complex tiles keep 2 * MR * NR
// accumulator vectors, MR of A and 3 of B (loaded, real and imaginary duplicated) live.
//   32 vector registers (AVX-512, NEON): 4 x 2 -> 16 + 4 + 3 = 23.
//   16 (AVX2, SSE):                      2 x 3 -> 12 + 2 + 3 = 17, one reloaded from L1.
// On an AVX2 EPYC (bench_spectral_product, 2 threads, geometric mean of its 11 products, three
// runs): 2 x 3 54-62 GFLOP/s, 3 x 2 42-57, 4 x 2 45-50, 2 x 2 47-49, 4 x 1 45, 1 x 4 44; the
// 4 x 2 blocks of 64-byte vectors (each split into two spilled 32-byte halves): 6.9.
constexpr int kRowBlock = kSimdRegisters >= 32 ? 4 : 2;  // i per register block
constexpr int kColBlock = kSimdRegisters >= 32 ? 2 : 3;  // j per register block
// Frequencies per task, 512 bytes of each plane: B's k x j elements for them stay in L1/L2
// while a block of rows of A streams past (with 32-byte vectors, 16 per task rather than 8:
// 49-52 against 47-49 GFLOP/s for 2 x 2 on the AVX2 machine above).
constexpr int kBytesPerTask = 512;
constexpr int64_t kRowsPerTask = 64;
// Values ahead to prefetch: the same plane's next 64-byte cache line.
template <typename T>
constexpr int64_t kPrefetchAheadOf = 64 / sizeof(T);

// For a = (ar, ai), b = (br, bi):  p = a * (br, br) = (ar br, ai br),  q = a * (bi, bi) =
// (ar bi, ai bi), summed over k; with s = swap(q) = (ai bi, ar bi) taken once at the end:
//   a b            = (p.re - s.re,  p.im + s.im)
//   a conj(b)      = (p.re + s.re,  p.im - s.im)
//   conj(a) b      = (p.re + s.re, -p.im + s.im)
//   conj(a) conj(b)= (p.re - s.re, -p.im - s.im)
// so the inner loop needs only the two lane duplications of each B vector (shared by MR rows).
template <typename T, int MR, int NR, bool kConjA, bool kConjB>
void block_kernel(int64_t i0, int64_t j0, int64_t kk, int64_t f, const SpectrumMatrix<T>& a,
                  const SpectrumMatrix<T>& b, const SpectrumMatrix<T>& c, bool accumulate) {
  using S = Simd<T>;
  using Vec = typename S::Vec;
  Vec p[MR][NR], q[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int s = 0; s < NR; ++s) p[r][s] = q[r][s] = Vec{};
  const T* a_ptr = a.data + i0 * a.row_stride + f;
  const T* b_ptr = b.data + j0 * b.col_stride + f;
  for (int64_t t = 0; t < kk; ++t, a_ptr += a.col_stride, b_ptr += b.row_stride) {
    // Every (i, k) element is its own stream (one spectrum plane each, thousands of them: more
    // than the hardware prefetcher tracks). The task's next frequency vector reads the next
    // cache line of the same planes: fetch it now.
    for (int r = 0; r < MR; ++r) __builtin_prefetch(a_ptr + r * a.row_stride + kPrefetchAheadOf<T>);
    for (int s = 0; s < NR; ++s) __builtin_prefetch(b_ptr + s * b.col_stride + kPrefetchAheadOf<T>);
    Vec av[MR];
    for (int r = 0; r < MR; ++r) av[r] = S::load(a_ptr + r * a.row_stride);
    for (int s = 0; s < NR; ++s) {
      const Vec bv = S::load(b_ptr + s * b.col_stride);
      const Vec br = S::dup_even(bv), bi = S::dup_odd(bv);
      for (int r = 0; r < MR; ++r) {
        p[r][s] += av[r] * br;
        q[r][s] += av[r] * bi;
      }
    }
  }
  constexpr T kQRe = (kConjA != kConjB) ? T(1) : T(-1);
  constexpr T kPIm = kConjA ? T(-1) : T(1);
  constexpr T kQIm = kConjB ? T(-1) : T(1);
  const Vec p_sign = S::pair(T(1), kPIm), q_sign = S::pair(kQRe, kQIm);
  for (int r = 0; r < MR; ++r) {
    for (int s = 0; s < NR; ++s) {
      Vec out = p[r][s] * p_sign + S::swap_pairs(q[r][s]) * q_sign;
      T* dst = c.data + (i0 + r) * c.row_stride + (j0 + s) * c.col_stride + f;
      if (accumulate) out += S::load(dst);
      S::store(dst, out);
    }
  }
}

// Runtime block sizes (the edges of the matrices) dispatched to compile-time kernels.
template <typename T, bool kConjA, bool kConjB, int NR>
void dispatch_rows(int mr, int64_t i0, int64_t j0, int64_t kk, int64_t f, const SpectrumMatrix<T>& a,
                   const SpectrumMatrix<T>& b, const SpectrumMatrix<T>& c, bool acc) {
  switch (mr) {
    case 4: return block_kernel<T, 4, NR, kConjA, kConjB>(i0, j0, kk, f, a, b, c, acc);
    case 3: return block_kernel<T, 3, NR, kConjA, kConjB>(i0, j0, kk, f, a, b, c, acc);
    case 2: return block_kernel<T, 2, NR, kConjA, kConjB>(i0, j0, kk, f, a, b, c, acc);
    default: return block_kernel<T, 1, NR, kConjA, kConjB>(i0, j0, kk, f, a, b, c, acc);
  }
}

template <typename T, bool kConjA, bool kConjB>
void dispatch_cols(int nr, int mr, int64_t i0, int64_t j0, int64_t kk, int64_t f, const SpectrumMatrix<T>& a,
                   const SpectrumMatrix<T>& b, const SpectrumMatrix<T>& c, bool acc) {
  static_assert(kRowBlock <= 4 && kColBlock <= 3, "dispatch_rows and dispatch_cols cover blocks up to 4 x 3");
  switch (nr) {
    case 3: return dispatch_rows<T, kConjA, kConjB, 3>(mr, i0, j0, kk, f, a, b, c, acc);
    case 2: return dispatch_rows<T, kConjA, kConjB, 2>(mr, i0, j0, kk, f, a, b, c, acc);
    default: return dispatch_rows<T, kConjA, kConjB, 1>(mr, i0, j0, kk, f, a, b, c, acc);
  }
}

template <typename T, bool kConjA, bool kConjB>
void gemm(int64_t m, int64_t n, int64_t k, int64_t values, const SpectrumMatrix<T>& a, const SpectrumMatrix<T>& b,
          const SpectrumMatrix<T>& c, bool acc, int64_t groups) {
  constexpr int64_t kLanes = Simd<T>::kLanes;
  constexpr int64_t kVectorsPerTask = kBytesPerTask / (kLanes * sizeof(T));
  const int64_t vectors = values / kLanes;
  const int64_t freq_tasks = (vectors + kVectorsPerTask - 1) / kVectorsPerTask;
  const int64_t row_tasks = (m + kRowsPerTask - 1) / kRowsPerTask;
  parallel_tasks(groups * row_tasks * freq_tasks, [&](int64_t task) {
    const int64_t ft = task % freq_tasks;
    const int64_t rt = (task / freq_tasks) % row_tasks;
    const int64_t group = task / (freq_tasks * row_tasks);
    const SpectrumMatrix<T> ag{a.data + group * a.group_stride, a.row_stride, a.col_stride};
    const SpectrumMatrix<T> bg{b.data + group * b.group_stride, b.row_stride, b.col_stride};
    const SpectrumMatrix<T> cg{c.data + group * c.group_stride, c.row_stride, c.col_stride};
    const int64_t v_end = std::min(vectors, (ft + 1) * kVectorsPerTask);
    const int64_t i_end = std::min(m, (rt + 1) * kRowsPerTask);
    // The frequency vectors innermost: each operand plane's cache lines are then read one
    // after another (a sequential stream the hardware prefetcher follows), and the A and B
    // blocks of one (i0, j0) stay in L1 across the task's vectors.
    for (int64_t i0 = rt * kRowsPerTask; i0 < i_end; i0 += kRowBlock) {
      const int mr = static_cast<int>(std::min<int64_t>(kRowBlock, i_end - i0));
      for (int64_t j0 = 0; j0 < n; j0 += kColBlock) {
        const int nr = static_cast<int>(std::min<int64_t>(kColBlock, n - j0));
        for (int64_t v = ft * kVectorsPerTask; v < v_end; ++v) {
          const int64_t f = v * kLanes;
          dispatch_cols<T, kConjA, kConjB>(nr, mr, i0, j0, k, f, ag, bg, cg, acc);
        }
      }
    }
  });
}

}  // namespace

template <typename T>
void spectral_gemm(int64_t m, int64_t n, int64_t k, int64_t values, const SpectrumMatrix<T>& a, bool conj_a,
                   const SpectrumMatrix<T>& b, bool conj_b, const SpectrumMatrix<T>& c, bool accumulate,
                   int64_t groups) {
  TORCH_INTERNAL_ASSERT(values % Simd<T>::kLanes == 0);
  if (m == 0 || n == 0 || groups == 0) return;
  if (conj_a && conj_b) gemm<T, true, true>(m, n, k, values, a, b, c, accumulate, groups);
  else if (conj_a) gemm<T, true, false>(m, n, k, values, a, b, c, accumulate, groups);
  else if (conj_b) gemm<T, false, true>(m, n, k, values, a, b, c, accumulate, groups);
  else gemm<T, false, false>(m, n, k, values, a, b, c, accumulate, groups);
}

template void spectral_gemm<float>(int64_t, int64_t, int64_t, int64_t, const SpectrumMatrix<float>&, bool,
                                   const SpectrumMatrix<float>&, bool, const SpectrumMatrix<float>&, bool, int64_t);
template void spectral_gemm<double>(int64_t, int64_t, int64_t, int64_t, const SpectrumMatrix<double>&, bool,
                                    const SpectrumMatrix<double>&, bool, const SpectrumMatrix<double>&, bool, int64_t);

}  // namespace oaconv::fft
