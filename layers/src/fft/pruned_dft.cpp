#include "pruned_dft.h"
#include "../parallel_tasks.h"

#include "dft_matrix_product.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

#include <algorithm>
#include <cmath>
#include <utility>
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

// One axis of the transform: its frequencies (P_h rows, or P_w/2+1 columns of the half
// spectrum), its kernel taps and their dilation, and the transform size.
struct Axis {
  int64_t freqs, taps, dilation, size;
};

// The spectrum plane's outer axis (its rows, of inner-axis frequencies, contiguous) and inner
// axis, per the problem's layout.
std::pair<Axis, Axis> spectrum_axes(const SpectralProblem& p) {
  TORCH_INTERNAL_ASSERT(p.tiling.depth.fft == 1, "the separable DFTs are 2-D (taps_by_fft takes 3-D)");
  const Axis rows{p.tiling.rows.fft, p.g.kernel[1], p.g.dilation[1], p.tiling.rows.fft};
  const Axis cols{p.tiling.cols.fft / 2 + 1, p.g.kernel[2], p.g.dilation[2], p.tiling.cols.fft};
  return p.columns_outer ? std::make_pair(cols, rows) : std::make_pair(rows, cols);
}

// Kernel spectrum, outer axis first (k x k taps -> outer freqs x k: a real kernel, cheap), then
// along the inner axis as one product per plane that writes the interleaved spectrum rows:
//   t[o][(r, y)] = sum_x e_O[o][x]_r w[x][y]                  (r = re, im; x, y: outer, inner tap)
//   W[o][(i, re)] = sum_y t_re e_I,re - t_im e_I,im,  W[o][(i, im)] = sum_y t_re e_I,im + t_im e_I,re
// With columns outer, x is the column tap b and y the row tap a: the taps enter transposed.
template <typename T>
void kernel_spectrum_impl(const SpectralProblem& p, const T* w, T* spectrum) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  // Named references, not a structured binding: C++17 lambdas cannot capture those.
  const std::pair<Axis, Axis> axes = spectrum_axes(p);
  const Axis &outer = axes.first, &inner = axes.second;
  const int64_t kh = g.kernel[1], kw = g.kernel[2], stride = 2 * p.spectrum_stride;
  const int64_t used = 2 * outer.freqs * inner.freqs;
  const double scale = 1.0 / static_cast<double>(p.real_plane);
  // e_O[o][x] (scaled) and e_I[i][y], forward sign.
  const Twiddles<T> eo(outer.freqs, outer.taps, outer.dilation, outer.size, -1.0,
                       std::vector<double>(outer.freqs, scale));
  const Twiddles<T> ei(inner.freqs, inner.taps, inner.dilation, inner.size, -1.0,
                       std::vector<double>(inner.freqs, 1.0));
  const int64_t ky = inner.taps;
  PackedMatrix<T> along_inner(2 * ky, 2 * inner.freqs);
  for (int64_t y = 0; y < ky; ++y)
    for (int64_t i = 0; i < inner.freqs; ++i) {
      const T re = ei.re[i * ky + y], im = ei.im[i * ky + y];
      along_inner(y, 2 * i) = re;
      along_inner(y, 2 * i + 1) = im;
      along_inner(ky + y, 2 * i) = -im;
      along_inner(ky + y, 2 * i + 1) = re;
    }
  parallel_range(planes, [&](int64_t begin, int64_t end) {
    PackedMatrix<T> taps(outer.taps, ky);  // w[x][y]
    std::vector<T> t(outer.freqs * 2 * ky);
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* wp = w + plane * kh * kw;
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) (p.columns_outer ? taps(b, a) : taps(a, b)) = wp[a * kw + b];
      multiply_rows(eo.re.data(), outer.freqs, outer.taps, taps, t.data(), 2 * ky);       // t_re
      multiply_rows(eo.im.data(), outer.freqs, outer.taps, taps, t.data() + ky, 2 * ky);  // t_im
      T* dst_plane = spectrum + plane * stride;
      multiply_rows(t.data(), outer.freqs, 2 * ky, along_inner, dst_plane, 2 * inner.freqs);
      for (int64_t i = used; i < stride; ++i) dst_plane[i] = T(0);  // SIMD padding
    }
  });
}

// Weight-gradient taps, inner axis first as one product per plane straight from the
// interleaved spectrum rows (the long reduction), then the outer axis, real part only:
//   s[o][(re, y)] = sum_i GW_re e_I,re - GW_im e_I,im,  s[o][(im, y)] = sum_i GW_re e_I,im + GW_im e_I,re
//   out[x][y] = sum_o Re(e_O[o][x] s[o][y])      (= gw[a][b], or gw[b][a] with columns outer)
// The column axis's twiddles carry c_v and the 1/(P_h P_w) scale.
template <typename T>
void grad_weight_impl(const SpectralProblem& p, const T* spectrum, T* gw) {
  const ConvGeometry& g = p.g;
  const int64_t planes = g.out_channels * g.in_per_group();
  // Named references, not a structured binding: C++17 lambdas cannot capture those.
  const std::pair<Axis, Axis> axes = spectrum_axes(p);
  const Axis &outer = axes.first, &inner = axes.second;
  const int64_t kh = g.kernel[1], kw = g.kernel[2], stride = 2 * p.spectrum_stride;
  const int64_t cols = p.tiling.cols.fft, half = cols / 2 + 1;
  // Column weights c_v (Hermitian half spectrum) and the 1/(P_h P_w) scale, folded in.
  std::vector<double> c(half, 2.0 / static_cast<double>(p.real_plane));
  c[0] = 1.0 / static_cast<double>(p.real_plane);
  if (cols % 2 == 0) c[half - 1] = c[0];
  const std::vector<double> ones_outer(outer.freqs, 1.0), ones_inner(inner.freqs, 1.0);
  const Twiddles<T> eo(outer.freqs, outer.taps, outer.dilation, outer.size, 1.0, p.columns_outer ? c : ones_outer);
  const Twiddles<T> ei(inner.freqs, inner.taps, inner.dilation, inner.size, 1.0, p.columns_outer ? ones_inner : c);
  // s's rows are written as whole SIMD vectors: re at columns [0, ky), im at [kyp, kyp + ky), so
  // that s is, as it stands, the packed (2 outer freqs) x ky right operand of the outer product.
  const int64_t kx = outer.taps, ky = inner.taps, kyp = PackedMatrix<T>::padded(ky);
  PackedMatrix<T> along_inner(2 * inner.freqs, kyp + ky);
  for (int64_t i = 0; i < inner.freqs; ++i)
    for (int64_t y = 0; y < ky; ++y) {
      const T re = ei.re[i * ky + y], im = ei.im[i * ky + y];
      along_inner(2 * i, y) = re;
      along_inner(2 * i + 1, y) = -im;
      along_inner(2 * i, kyp + y) = im;
      along_inner(2 * i + 1, kyp + y) = re;
    }
  // Outer axis, real part only: a product with the kx x (2 outer freqs) matrix
  // R[x][2o] = e_O,re[o][x], R[x][2o + 1] = -e_O,im[o][x].
  std::vector<T> r(kx * 2 * outer.freqs);
  for (int64_t x = 0; x < kx; ++x)
    for (int64_t o = 0; o < outer.freqs; ++o) {
      r[x * 2 * outer.freqs + 2 * o] = eo.re[o * kx + x];
      r[x * 2 * outer.freqs + 2 * o + 1] = -eo.im[o * kx + x];
    }
  parallel_range(planes, [&](int64_t begin, int64_t end) {
    PackedMatrix<T> s(2 * outer.freqs, ky);
    std::vector<T> transposed(p.columns_outer ? kh * kw : 0);
    for (int64_t plane = begin; plane < end; ++plane) {
      multiply_rows(spectrum + plane * stride, outer.freqs, 2 * inner.freqs, along_inner, s.row(0), 2 * kyp);
      T* out = gw + plane * kh * kw;
      if (!p.columns_outer) {
        multiply_rows(r.data(), kx, 2 * outer.freqs, s, out, ky);
        continue;
      }
      multiply_rows(r.data(), kx, 2 * outer.freqs, s, transposed.data(), ky);  // [b][a]
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) out[a * kw + b] = transposed[b * kh + a];
    }
  });
}

// Whether full FFTs of the planes cost less than the separable products: those take about
// 4 k_y F_o F_i multiply-adds per plane (F_o, F_i: outer and inner frequencies, k_y: inner taps)
// against about 2.5 P log2 P flops of a real FFT of the P-point plane; a multiply-add of the
// register-blocked products is taken as half a flop of FFTW's. Small 2-D kernels go by products
// (k 7 at 32 x 32: 18 k against 26 k), long ones by FFT (a 1-D k 1025 at P 4096: 8.4 M against
// 0.12 M). 3-D transforms always go by FFT: the products are written for two axes, and a 3-D
// kernel fills a larger share of its plane (7^3 taps in 40^3 points, against 7^2 in 40^2).
bool taps_by_fft(const SpectralProblem& p) {
  if (p.tiling.depth.fft > 1) return true;
  const std::pair<Axis, Axis> axes = spectrum_axes(p);
  const double outer = static_cast<double>(axes.first.freqs), inner = static_cast<double>(axes.second.freqs);
  const double ky = static_cast<double>(axes.second.taps), kx = static_cast<double>(axes.first.taps);
  const double products = 2 * kx * ky * outer + 4 * ky * outer * inner;
  const double plane = static_cast<double>(p.real_plane);
  return products > 2 * 2.5 * plane * std::log2(std::max(2.0, plane));
}

// Offset in a real plane of each kernel tap (c, a, b) at its dilated position, in the weight's
// order: the taps by FFT place and pick through it.
std::vector<int64_t> tap_offsets(const SpectralProblem& p) {
  const ConvGeometry& g = p.g;
  const int64_t ph = p.tiling.rows.fft, pw = p.tiling.cols.fft;
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(g.kernel_taps()));
  for (int64_t c = 0; c < g.kernel[0]; ++c)
    for (int64_t a = 0; a < g.kernel[1]; ++a)
      for (int64_t b = 0; b < g.kernel[2]; ++b)
        offsets.push_back((c * g.dilation[0] * ph + a * g.dilation[1]) * pw + b * g.dilation[2]);
  return offsets;
}

// The same spectrum by FFT: the dilated taps, scaled, in zeroed real planes, transformed whole.
template <typename T>
void place_taps(const SpectralProblem& p, const T* w, T* real, int64_t planes) {
  const std::vector<int64_t> offsets = tap_offsets(p);
  const int64_t taps = static_cast<int64_t>(offsets.size());
  const T scale = static_cast<T>(1.0 / static_cast<double>(p.real_plane));
  parallel_range(planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      T* dst = real + plane * p.real_plane;
      const T* src = w + plane * taps;
      for (int64_t i = 0; i < taps; ++i) dst[offsets[i]] = src[i] * scale;
    }
  });
}

// gw from the whole inverse transform: the taps at the dilated offsets, scaled.
template <typename T>
void pick_taps(const SpectralProblem& p, const T* real, T* gw, int64_t planes) {
  const std::vector<int64_t> offsets = tap_offsets(p);
  const int64_t taps = static_cast<int64_t>(offsets.size());
  const T scale = static_cast<T>(1.0 / static_cast<double>(p.real_plane));
  parallel_range(planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* src = real + plane * p.real_plane;
      T* dst = gw + plane * taps;
      for (int64_t i = 0; i < taps; ++i) dst[i] = src[offsets[i]] * scale;
    }
  });
}

}  // namespace

at::Tensor kernel_spectrum_by_dft(const SpectralProblem& p, const at::Tensor& weight) {
  const ConvGeometry& g = p.g;
  const at::Tensor w = weight.detach().contiguous();
  if (taps_by_fft(p)) {
    const int64_t planes = g.out_channels * g.in_per_group();
    const auto options = weight.options().memory_format(at::MemoryFormat::Contiguous);
    at::Tensor real = new_real_planes(p, planes, options, /*zeroed=*/true);
    at::Tensor spectrum = new_spectrum(p, planes, options);
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "oaconv::fft::kernel_spectrum_by_fft", [&] {
      place_taps<scalar_t>(p, w.data_ptr<scalar_t>(), real.data_ptr<scalar_t>(), planes);
    });
    forward_fft(p, real, spectrum);
    return spectrum;
  }
  at::Tensor spectrum = new_spectrum(p, g.out_channels * g.in_per_group(),
                                     weight.options().memory_format(at::MemoryFormat::Contiguous));
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "oaconv::fft::kernel_spectrum_by_dft", [&] {
    kernel_spectrum_impl<scalar_t>(p, w.data_ptr<scalar_t>(), spectrum.data_ptr<scalar_t>());
  });
  return spectrum;
}

void grad_weight_by_inverse_dft(const SpectralProblem& p, at::Tensor& gw_spectrum, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(gw.is_contiguous() && gw_spectrum.is_contiguous());
  if (taps_by_fft(p)) {
    const int64_t planes = gw_spectrum.size(0);
    at::Tensor real = new_real_planes(p, planes, gw.options(), /*zeroed=*/false);
    inverse_fft(p, gw_spectrum, real);
    AT_DISPATCH_FLOATING_TYPES(gw.scalar_type(), "oaconv::fft::grad_weight_by_inverse_fft", [&] {
      pick_taps<scalar_t>(p, real.data_ptr<scalar_t>(), gw.data_ptr<scalar_t>(), planes);
    });
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(gw.scalar_type(), "oaconv::fft::grad_weight_by_inverse_dft", [&] {
    grad_weight_impl<scalar_t>(p, gw_spectrum.data_ptr<scalar_t>(), gw.data_ptr<scalar_t>());
  });
}

}  // namespace oaconv::fft
