#include "pruned_dft.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

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

template <typename T>
void kernel_spectrum_impl(const SpectralProblem& p, const T* w, T* spectrum) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft, half = cols / 2 + 1;
  const int64_t kh = g.kernel_h, kw = g.kernel_w, stride = 2 * p.spectrum_stride;
  const double scale = 1.0 / static_cast<double>(rows * cols);
  // e_h[u][a] (scaled) and e_w[b][v], forward sign.
  const Twiddles<T> eh(rows, kh, g.dilation_h, rows, -1.0, std::vector<double>(rows, scale));
  // e_w[b][v] has phase v * (b * dilation): built as rows v, columns b, then transposed.
  const Twiddles<T> ewt(half, kw, g.dilation_w, cols, -1.0, std::vector<double>(half, 1.0));
  std::vector<T> ew_re(kw * half), ew_im(kw * half);
  for (int64_t b = 0; b < kw; ++b)
    for (int64_t v = 0; v < half; ++v) {
      ew_re[b * half + v] = ewt.re[v * kw + b];
      ew_im[b * half + v] = ewt.im[v * kw + b];
    }
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> t_re(rows * kw), t_im(rows * kw), out_re(half), out_im(half);
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* wp = w + plane * kh * kw;
      // Rows: t[u][b] = sum_a e_h[u][a] w[a][b].
      for (int64_t u = 0; u < rows; ++u) {
        T* tr = t_re.data() + u * kw;
        T* ti = t_im.data() + u * kw;
        for (int64_t b = 0; b < kw; ++b) tr[b] = ti[b] = T(0);
        for (int64_t a = 0; a < kh; ++a) {
          const T er = eh.re[u * kh + a], ei = eh.im[u * kh + a];
          const T* wa = wp + a * kw;
#pragma omp simd
          for (int64_t b = 0; b < kw; ++b) {
            tr[b] += er * wa[b];
            ti[b] += ei * wa[b];
          }
        }
      }
      // Columns: W[u][v] = sum_b t[u][b] e_w[b][v], written interleaved into the spectrum.
      T* dst_plane = spectrum + plane * stride;
      for (int64_t u = 0; u < rows; ++u) {
        for (int64_t v = 0; v < half; ++v) out_re[v] = out_im[v] = T(0);
        for (int64_t b = 0; b < kw; ++b) {
          const T tr = t_re[u * kw + b], ti = t_im[u * kw + b];
          const T* er = ew_re.data() + b * half;
          const T* ei = ew_im.data() + b * half;
#pragma omp simd
          for (int64_t v = 0; v < half; ++v) {
            out_re[v] += tr * er[v] - ti * ei[v];
            out_im[v] += tr * ei[v] + ti * er[v];
          }
        }
        T* dst = dst_plane + 2 * u * half;
        for (int64_t v = 0; v < half; ++v) {
          dst[2 * v] = out_re[v];
          dst[2 * v + 1] = out_im[v];
        }
      }
      for (int64_t i = 2 * rows * half; i < stride; ++i) dst_plane[i] = T(0);  // SIMD padding
    }
  });
}

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
  const Twiddles<T> evt(half, kw, g.dilation_w, cols, 1.0, c);  // [v][b]
  std::vector<T> ev_re(kw * half), ev_im(kw * half);              // [b][v]
  for (int64_t b = 0; b < kw; ++b)
    for (int64_t v = 0; v < half; ++v) {
      ev_re[b * half + v] = evt.re[v * kw + b];
      ev_im[b * half + v] = evt.im[v * kw + b];
    }
  const Twiddles<T> eu(rows, kh, g.dilation_h, rows, 1.0, std::vector<double>(rows, 1.0));  // [u][a]
  at::parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> g_re(half), g_im(half), s_re(rows * kw), s_im(rows * kw);
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* src = spectrum + plane * stride;
      // Columns: s[u][b] = sum_v c_v GW[u][v] e^{+i theta_vb}.
      for (int64_t u = 0; u < rows; ++u) {
        const T* row = src + 2 * u * half;
        for (int64_t v = 0; v < half; ++v) {
          g_re[v] = row[2 * v];
          g_im[v] = row[2 * v + 1];
        }
        for (int64_t b = 0; b < kw; ++b) {
          const T* er = ev_re.data() + b * half;
          const T* ei = ev_im.data() + b * half;
          T acc_re = 0, acc_im = 0;
#pragma omp simd reduction(+ : acc_re, acc_im)
          for (int64_t v = 0; v < half; ++v) {
            acc_re += g_re[v] * er[v] - g_im[v] * ei[v];
            acc_im += g_re[v] * ei[v] + g_im[v] * er[v];
          }
          s_re[u * kw + b] = acc_re;
          s_im[u * kw + b] = acc_im;
        }
      }
      // Rows, real part only: gw[a][b] = sum_u Re(e^{+i theta_ua} s[u][b]).
      T* out = gw + plane * kh * kw;
      for (int64_t a = 0; a < kh; ++a) {
        T* o = out + a * kw;
        for (int64_t b = 0; b < kw; ++b) o[b] = T(0);
        for (int64_t u = 0; u < rows; ++u) {
          const T er = eu.re[u * kh + a], ei = eu.im[u * kh + a];
          const T* sr = s_re.data() + u * kw;
          const T* si = s_im.data() + u * kw;
#pragma omp simd
          for (int64_t b = 0; b < kw; ++b) o[b] += er * sr[b] - ei * si[b];
        }
      }
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
