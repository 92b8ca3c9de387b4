#pragma once
// The spectral product: for every frequency f, a small complex matrix product
//
//   C[i, j](f) = sum_k op_a(A[i, k](f)) * op_b(B[k, j](f)),   op = identity or conj,
//
// where each matrix element is a split-complex vector over frequencies (real parts in one
// array, imaginary parts `im_offset` elements later). The frequency axis is contiguous, so
// the kernel multiplies whole SIMD vectors of frequencies with register-blocked i x j tiles:
// per k it loads 2 vectors per row of A and per column of B and does 4 FMAs per (i, j).
//   forward:      Y[nt, o]  = sum_c X[nt, c] conj(W[o, c])
//   grad input:   GX[nt, c] = sum_o G[nt, o] W[o, c]
//   grad weight:  GW[o, c]  = sum_nt conj(G[nt, o]) X[nt, c]
#include <cstdint>

namespace oaconv::fft {

template <typename T>
struct SplitMatrix {
  T* data = nullptr;        // real part of element (0, 0)
  int64_t im_offset = 0;    // imaginary parts start this many elements after the real parts
  int64_t row_stride = 0;   // elements between (i, k) and (i + 1, k)
  int64_t col_stride = 0;   // elements between (i, k) and (i, k + 1)
};

// frequencies: a multiple of the SIMD width (64 bytes). Parallel over frequency blocks and
// row blocks; C is overwritten.
template <typename T>
void spectral_gemm(int64_t m, int64_t n, int64_t k, int64_t frequencies, const SplitMatrix<T>& a,
                   bool conj_a, const SplitMatrix<T>& b, bool conj_b, const SplitMatrix<T>& c);

}  // namespace oaconv::fft
