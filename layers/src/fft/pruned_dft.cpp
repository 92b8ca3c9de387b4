#include "pruned_dft.h"

#include <ATen/ATen.h>

#include <cmath>

namespace oaconv::fft {
namespace {

// exp(sign * 2 pi i * freq * tap / size) for freq in [0, freqs), tap = t * dilation, t < taps:
// a (freqs x taps) complex matrix, computed in double and cast to `dtype`'s complex type.
at::Tensor twiddles(int64_t freqs, int64_t taps, int64_t dilation, int64_t size, double sign, at::ScalarType dtype) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor f = at::arange(freqs, opts).unsqueeze(1);
  const at::Tensor t = at::arange(taps, opts).unsqueeze(0) * static_cast<double>(dilation);
  // Reduce freq * tap modulo size before scaling: exact phases even for large products.
  const at::Tensor phase = at::remainder(f * t, static_cast<double>(size)) * (sign * 2.0 * M_PI / size);
  const at::Tensor m = at::complex(at::cos(phase), at::sin(phase));
  return m.to(dtype == at::kFloat ? at::kComplexFloat : at::kComplexDouble);
}

}  // namespace

at::Tensor kernel_spectrum_by_dft(const SpectralProblem& p, const at::Tensor& weight) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft, half = cols / 2 + 1;
  const at::ScalarType dtype = weight.scalar_type();
  const at::Tensor e_w = twiddles(half, g.kernel_w, g.dilation_w, cols, -1.0, dtype).t();  // kw x half
  const at::Tensor e_h = twiddles(rows, g.kernel_h, g.dilation_h, rows, -1.0, dtype);      // P_h x kh
  // Scale folded in: forward and grad-input results come out of the inverse FFT normalised.
  const at::Tensor w = weight.detach().reshape({planes * g.kernel_h, g.kernel_w}) *
                       (1.0 / static_cast<double>(rows * cols));
  // Each axis is one large GEMM (not one small product per plane): columns on the contiguous
  // axis, then rows after moving the (small) kh axis first.
  const at::Tensor along_cols = at::matmul(w.to(e_w.scalar_type()), e_w).view({planes, g.kernel_h, half});
  const at::Tensor rows_first = along_cols.permute({1, 0, 2}).reshape({g.kernel_h, planes * half});
  const at::Tensor full = at::mm(e_h, rows_first).view({rows, planes, half});  // P_h x planes x half
  at::Tensor spectrum = new_spectrum(p, planes, weight.options().memory_format(at::MemoryFormat::Contiguous));
  at::view_as_complex(spectrum.narrow(1, 0, p.frequencies))
      .view({planes, rows, half})
      .copy_(full.permute({1, 0, 2}));
  if (p.spectrum_stride > p.frequencies) spectrum.narrow(1, p.frequencies, p.spectrum_stride - p.frequencies).zero_();
  return spectrum;
}

void grad_weight_by_inverse_dft(const SpectralProblem& p, const at::Tensor& gw_spectrum, at::Tensor& gw) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft, half = cols / 2 + 1;
  const at::ScalarType dtype = gw.scalar_type();
  const at::Tensor spectrum = at::view_as_complex(gw_spectrum.narrow(1, 0, p.frequencies).contiguous())
                                  .view({planes, rows, half});
  // Since Re() is linear, out = Re(sum_u e_h[a, u] sum_v c_v GW[u, v] e_w[v, b]): first the
  // columns (contiguous axis, one GEMM over all planes and rows), then the rows on the small
  // result, also as one GEMM.
  const at::Tensor weight_v = at::full({half, 1}, 2.0, at::TensorOptions().dtype(at::kDouble));
  weight_v[0] = 1.0;
  if (cols % 2 == 0) weight_v[half - 1] = 1.0;
  const double scale = 1.0 / static_cast<double>(rows * cols);
  const at::Tensor e_w = twiddles(half, g.kernel_w, g.dilation_w, cols, 1.0, dtype) *
                         (weight_v * scale).to(dtype == at::kFloat ? at::kComplexFloat : at::kComplexDouble);
  const at::Tensor along_cols = at::mm(spectrum.view({planes * rows, half}), e_w)  // planes*P_h x kw
                                    .view({planes, rows, g.kernel_w})
                                    .permute({1, 0, 2})
                                    .reshape({rows, planes * g.kernel_w});
  const at::Tensor e_h = twiddles(rows, g.kernel_h, g.dilation_h, rows, 1.0, dtype).t();  // kh x P_h
  const at::Tensor taps = at::real(at::mm(e_h, along_cols)).view({g.kernel_h, planes, g.kernel_w});
  gw.copy_(taps.permute({1, 0, 2}).reshape(gw.sizes()));
}

}  // namespace oaconv::fft
