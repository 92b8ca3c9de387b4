#pragma once
// Everything the spectral passes share about one convolution: the geometry, the tiling, the
// transform sizes and the spectrum layout: interleaved complex [planes][spectrum_stride][2].
#include "../conv_geometry.h"
#include "spectral_gemm.h"
#include "tiling.h"

#include <oaconv/algorithm.h>

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// The geometry is held at rank 3 (depth, rows, cols): a rank-1 or rank-2 convolution has unit
// leading axes, and its tensors are viewed with unit axes inserted after the channels
// (unsqueeze_to_rank), so every loop below is written once for three axes.
struct SpectralProblem {
  ConvGeometry g;  // rank 3
  Tiling tiling;
  c10::ScalarType dtype = c10::kFloat;
  int threads = 1;
  int64_t kernel_d = 1, kernel_h = 0, kernel_w = 0;  // dilated taps K = d * (k - 1) + 1
  int64_t full_d = 1, full_h = 0, full_w = 0;        // stride-1 output size, padded - K + 1
  int64_t frequencies = 0;             // P_d * P_h * (P_w / 2 + 1)
  int64_t spectrum_stride = 0;         // frequencies rounded up to whole SIMD vectors (complex)
  int64_t real_plane = 0;              // P_d * P_h * P_w
  // Spectrum layout of one plane: row-major, element (s, u, v) at (s * P_h + u) * (P_w/2+1) + v,
  // or, for a 2-D transform (P_d = 1) with columns outer, at v * P_h + u (FFTW's faster choice
  // for small transforms). The spectral products do not care (every frequency is independent);
  // the pruned DFTs follow it.
  bool columns_outer = false;

  int64_t tiles() const { return tiling.tiles(); }
  // Batch items per chunk so that one pass's transient buffers stay under `limit` bytes.
  int64_t batch_chunk(int64_t limit) const;
  // Bytes of transient buffers one batch item needs in the largest pass.
  int64_t bytes_per_batch_item() const;
  // Bytes of one batch item's input spectra (kept from forward for the weight gradient).
  int64_t input_spectrum_bytes_per_item() const;
};

// The problem of a convolution of any rank (lifted to rank 3 here).
SpectralProblem make_spectral_problem(const ConvGeometry& g, Algorithm algorithm, c10::ScalarType dtype,
                                      int threads);

// Fresh buffers: real planes [planes, P_d, P_h, P_w] (zeroed, for tiles written sparsely; or not, for
// inverse-transform outputs) and spectra [planes, stride, 2].
at::Tensor new_real_planes(const SpectralProblem& p, int64_t planes, const at::TensorOptions& options,
                           bool zeroed = true);
at::Tensor new_spectrum(const SpectralProblem& p, int64_t planes, const at::TensorOptions& options);

// Transforms of all planes of a buffer, in chunks of planes with cached single-threaded FFTW
// plans, the chunks spread over the threads.
void forward_fft(const SpectralProblem& p, const at::Tensor& real, at::Tensor& spectrum);
void inverse_fft(const SpectralProblem& p, at::Tensor& spectrum, at::Tensor& real);  // destroys spectrum

// Matrix view of a spectrum [planes, stride, 2] whose plane index is
// row * rows_stride_planes + col * col_stride_planes (+ group * group_stride_planes for grouped
// products), starting at plane `first_plane`.
template <typename T>
SpectrumMatrix<T> spectrum_matrix(const at::Tensor& spectrum, int64_t first_plane, int64_t row_stride_planes,
                                  int64_t col_stride_planes, int64_t group_stride_planes = 0);

}  // namespace oaconv::fft
