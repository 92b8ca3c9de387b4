#include "pruned_dft.h"

#include "dft_matrix_product.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace oaconv::fft {
namespace {

// Split-complex table t[i][j] = scale_i * exp(sign * 2 pi i * (i * (j * dilation)) / size),
// computed in double (phase reduced modulo `size` first, so it stays exact).
template <typename T>
struct Twiddles {
  std::vector<T> re, im;
  int64_t cols = 0;
  Twiddles(int64_t rows, int64_t cols_, int64_t dilation, int64_t size, double sign, const std::vector<double>& row_scale)
      : re(rows * cols_), im(rows * cols_), cols(cols_) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const double phase = sign * 2.0 * M_PI * static_cast<double>((i * j * dilation) % size) / size;
        re[i * cols + j] = static_cast<T>(row_scale[i] * std::cos(phase));
        im[i * cols + j] = static_cast<T>(row_scale[i] * std::sin(phase));
      }
    }
  }
};

// Kernel spectrum, row axis first (k x k taps -> P_h x k, cheap: a real kernel) then along the
// column axis as one matrix product per plane that writes the interleaved spectrum directly:
//   t[u][(r, b)] = sum_a e_h[u][a]_r w[a][b]                  (r = re, im)
//   W[u][(v, re)] = sum_b t_re e_w,re - t_im e_w,im,  W[u][(v, im)] = sum_b t_re e_w,im + t_im e_w,re
template <typename T>
void kernel_spectrum_impl(const SpectralProblem& p, const T* w, T* spectrum) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft, half = cols / 2 + 1;
  const int64_t kh = g.kernel_h, kw = g.kernel_w, stride = 2 * p.spectrum_stride;
  const double scale = 1.0 / static_cast<double>(rows * cols);
  // e_h[u][a] (scaled), forward sign.
  const Twiddles<T> eh(rows, kh, g.dilation_h, rows, -1.0, std::vector<double>(rows, scale));
  // e_w[v][b]: phase v * (b * dilation), packed as the (2 kw) x (2 half) real matrix above.
  const Twiddles<T> ew(half, kw, g.dilation_w, cols, -1.0, std::vector<double>(half, 1.0));
  PackedMatrix<T> columns(2 * kw, 2 * half);
  for (int64_t b = 0; b < kw; ++b)
    for (int64_t v = 0; v < half; ++v) {
      const T er = ew.re[v * kw + b], ei = ew.im[v * kw + b];
      columns(b, 2 * v) = er;
      columns(b, 2 * v + 1) = ei;
      columns(kw + b, 2 * v) = -ei;
      columns(kw + b, 2 * v + 1) = er;
    }
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    PackedMatrix<T> taps(kh, kw);
    std::vector<T> t(rows * 2 * kw);
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* wp = w + plane * kh * kw;
      for (int64_t a = 0; a < kh; ++a) std::copy(wp + a * kw, wp + (a + 1) * kw, taps.row(a));
      multiply_rows(eh.re.data(), rows, kh, taps, t.data(), 2 * kw);       // t_re
      multiply_rows(eh.im.data(), rows, kh, taps, t.data() + kw, 2 * kw);  // t_im
      T* dst_plane = spectrum + plane * stride;
      multiply_rows(t.data(), rows, 2 * kw, columns, dst_plane, 2 * half);
      for (int64_t i = 2 * rows * half; i < stride; ++i) dst_plane[i] = T(0);  // SIMD padding
    }
  });
}

// Weight-gradient taps, column axis first as one matrix product per plane straight from the
// interleaved spectrum rows (the long reduction, over v <= P_w/2 for P_h rows), then the row
// axis, real part only, for the k x k taps:
//   s[u][(re, b)] = sum_v c_v (GW_re e_re - GW_im e_im),  s[u][(im, b)] = sum_v c_v (GW_re e_im + GW_im e_re)
//   gw[a][b] = sum_u Re(e^{+i theta_ua} s[u][b])
template <typename T>
void grad_weight_impl(const SpectralProblem& p, const T* spectrum, T* gw) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft, half = cols / 2 + 1;
  const int64_t kh = g.kernel_h, kw = g.kernel_w, stride = 2 * p.spectrum_stride;
  // Column weights c_v (Hermitian half spectrum) and the 1/(P_h P_w) scale, folded in.
  std::vector<double> c(half, 2.0 / static_cast<double>(rows * cols));
  c[0] = 1.0 / static_cast<double>(rows * cols);
  if (cols % 2 == 0) c[half - 1] = c[0];
  const Twiddles<T> ev(half, kw, g.dilation_w, cols, 1.0, c);  // [v][b]
  // s's rows are written as whole SIMD vectors: re at columns [0, kw), im at [kwp, kwp + kw), so
  // that s is, as it stands, the packed (2 P_h) x kw right operand of the row-axis product.
  const int64_t kwp = PackedMatrix<T>::padded(kw);
  PackedMatrix<T> columns(2 * half, kwp + kw);
  for (int64_t v = 0; v < half; ++v)
    for (int64_t b = 0; b < kw; ++b) {
      const T er = ev.re[v * kw + b], ei = ev.im[v * kw + b];
      columns(2 * v, b) = er;
      columns(2 * v + 1, b) = -ei;
      columns(2 * v, kwp + b) = ei;
      columns(2 * v + 1, kwp + b) = er;
    }
  // Row axis, real part only: gw[a][b] = sum_u (e_re[u][a] s_re[u][b] - e_im[u][a] s_im[u][b]),
  // a product with the kh x (2 P_h) matrix R[a][2u] = e_re, R[a][2u + 1] = -e_im.
  const Twiddles<T> eu(rows, kh, g.dilation_h, rows, 1.0, std::vector<double>(rows, 1.0));  // [u][a]
  std::vector<T> r(kh * 2 * rows);
  for (int64_t a = 0; a < kh; ++a)
    for (int64_t u = 0; u < rows; ++u) {
      r[a * 2 * rows + 2 * u] = eu.re[u * kh + a];
      r[a * 2 * rows + 2 * u + 1] = -eu.im[u * kh + a];
    }
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    PackedMatrix<T> s(2 * rows, kw);
    for (int64_t plane = begin; plane < end; ++plane) {
      multiply_rows(spectrum + plane * stride, rows, 2 * half, columns, s.row(0), 2 * kwp);
      multiply_rows(r.data(), kh, 2 * rows, s, gw + plane * kh * kw, kw);
    }
  });
}

}  // namespace

at::Tensor kernel_spectrum_by_dft(const SpectralProblem& p, const at::Tensor& weight) {
  const ConvGeometry& g = p.g;
  const at::Tensor w = weight.detach().contiguous();
  at::Tensor spectrum = new_spectrum(p, g.out_channels * g.in_per_group(),
                                     weight.options().memory_format(at::MemoryFormat::Contiguous));
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "oaconv::fft::kernel_spectrum_by_dft", [&] {
    kernel_spectrum_impl<scalar_t>(p, w.data_ptr<scalar_t>(), spectrum.data_ptr<scalar_t>());
  });
  return spectrum;
}

void grad_weight_by_inverse_dft(const SpectralProblem& p, const at::Tensor& gw_spectrum, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(gw.is_contiguous() && gw_spectrum.is_contiguous());
  AT_DISPATCH_FLOATING_TYPES(gw.scalar_type(), "oaconv::fft::grad_weight_by_inverse_dft", [&] {
    grad_weight_impl<scalar_t>(p, gw_spectrum.data_ptr<scalar_t>(), gw.data_ptr<scalar_t>());
  });
}

}  // namespace oaconv::fft
