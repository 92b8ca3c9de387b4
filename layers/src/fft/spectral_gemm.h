#pragma once
// The spectral product: for every frequency f, a small complex matrix product
//
//   C[i, j](f) = sum_k op_a(A[i, k](f)) * op_b(B[k, j](f)),   op = identity or conj,
//
// where each matrix element is a whole spectrum (interleaved complex, frequencies contiguous,
// as FFTW writes it). The kernel multiplies SIMD vectors of frequencies with register-blocked
// i x j tiles: per k it loads one vector per row of A and per column of B, and per (i, j) does
// 2 FMAs (a * (br, br) and swap(a) * (bi, bi)); the signs that make a product, or a product
// with a conjugate, are applied once when the tile is stored.
//   forward:      Y[nt, o]  = sum_c X[nt, c] conj(W[o, c])
//   grad input:   GX[nt, c] = sum_o G[nt, o] W[o, c]
//   grad weight:  GW[o, c]  = sum_nt conj(G[nt, o]) X[nt, c]
#include <cstdint>

namespace oaconv::fft {

template <typename T>
struct SpectrumMatrix {
  T* data = nullptr;       // element (0, 0): its first real value
  int64_t row_stride = 0;  // values between (i, k) and (i + 1, k)
  int64_t col_stride = 0;  // values between (i, k) and (i, k + 1)
  int64_t group_stride = 0;  // values between group g's element (0, 0) and group g + 1's
};

// values: real values per spectrum (2 x padded frequencies), a multiple of the SIMD width.
// `groups` independent products of the same shape, group g's operands `g * group_stride` values
// past group 0's (a grouped or depthwise convolution's channel groups). One parallel region over
// (group, row block, frequency block) tasks (serial when called inside a parallel region): a
// region per group would pay a barrier per group, which costs a scheduler time slice each when
// another process shares a core (parallel_tasks.h). C is overwritten, or added to when
// `accumulate`.
template <typename T>
void spectral_gemm(int64_t m, int64_t n, int64_t k, int64_t values, const SpectrumMatrix<T>& a, bool conj_a,
                   const SpectrumMatrix<T>& b, bool conj_b, const SpectrumMatrix<T>& c, bool accumulate = false,
                   int64_t groups = 1);

// Multiply-adds counted as 8 real flops each: for GFLOP/s reports.
inline double spectral_gemm_flops(int64_t m, int64_t n, int64_t k, int64_t frequencies) {
  return 8.0 * static_cast<double>(m) * n * k * frequencies;
}

}  // namespace oaconv::fft
