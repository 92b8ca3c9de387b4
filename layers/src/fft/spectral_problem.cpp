#include "spectral_problem.h"

#include "plan_cache.h"
#include "workspace_pool.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>

namespace oaconv::fft {

// FFTW's 2-D real transforms on this machine kind (batched, FFTW_MEASURE), microseconds per
// plane r2c, row-major spectrum vs columns outer: P 32: 1.13 vs 1.04, 48: 3.1 vs 2.5, 72: 5.8 vs
// 4.9, 80: 6.9 vs 5.7, 96: 11.0 vs 9.8, 120: 16.7 vs 14.3; but 128: 19 vs 33 and 256: 76 vs 266
// (power-of-two strides thrash the cache). The column pass then writes its results in place.
constexpr int64_t kMaxColumnsOuterRows = 120;

SpectralProblem make_spectral_problem(const ConvGeometry& g, Algorithm algorithm, c10::ScalarType dtype,
                                      int threads) {
  SpectralProblem p;
  p.g = g;
  p.dtype = dtype;
  p.threads = threads;
  p.tiling = choose_tiling(algorithm, g, threads);
  p.kernel_h = g.kernel_extent_h();
  p.kernel_w = g.kernel_extent_w();
  p.full_h = g.padded_h() - p.kernel_h + 1;
  p.full_w = g.padded_w() - p.kernel_w + 1;
  p.frequencies = p.tiling.frequencies();
  const int64_t lanes = 64 / (2 * static_cast<int64_t>(c10::elementSize(dtype)));  // complex per 64 B
  p.spectrum_stride = (p.frequencies + lanes - 1) / lanes * lanes;
  p.real_plane = p.tiling.rows.fft * p.tiling.cols.fft;
  p.columns_outer = p.tiling.rows.fft <= kMaxColumnsOuterRows;
  return p;
}

int64_t SpectralProblem::bytes_per_batch_item() const {
  const int64_t elem = static_cast<int64_t>(c10::elementSize(dtype));
  const int64_t channels = std::max(g.in_channels, g.out_channels);
  // Largest pass (backward): grad-output windows (real + spectrum), the input spectra (kept or
  // recomputed), and the grad-input product and its inverse.
  return elem * tiles() * (2 * g.out_channels * (real_plane + 2 * spectrum_stride) +
                           g.in_channels * 2 * spectrum_stride + channels * real_plane);
}

int64_t SpectralProblem::input_spectrum_bytes_per_item() const {
  return static_cast<int64_t>(c10::elementSize(dtype)) * tiles() * g.in_channels * 2 * spectrum_stride;
}

int64_t SpectralProblem::batch_chunk(int64_t limit) const {
  const int64_t per_item = std::max<int64_t>(1, bytes_per_batch_item());
  return std::max<int64_t>(1, std::min(g.batch, limit / per_item));
}

at::Tensor new_real_planes(const SpectralProblem& p, int64_t planes, const at::TensorOptions& options,
                           bool zeroed) {
  const std::array<int64_t, 3> sizes{planes, p.tiling.rows.fft, p.tiling.cols.fft};
  at::Tensor planes_buffer = pooled_empty(sizes, options);
  return zeroed ? planes_buffer.zero_() : planes_buffer;
}

at::Tensor new_spectrum(const SpectralProblem& p, int64_t planes, const at::TensorOptions& options) {
  return pooled_empty({planes, p.spectrum_stride, 2}, options);
}

namespace {

PlanKey plan_key(const SpectralProblem& p, int64_t planes, Direction direction) {
  PlanKey k;
  k.rows = p.tiling.rows.fft;
  k.cols = p.tiling.cols.fft;
  k.howmany = planes;
  k.real_stride = p.real_plane;
  k.spectrum_stride = p.spectrum_stride;
  k.direction = direction;
  k.dtype = p.dtype;
  k.threads = p.threads;
  k.flags = planner_flags();
  k.columns_outer = p.columns_outer;
  return k;
}

}  // namespace

void forward_fft(const SpectralProblem& p, const at::Tensor& real, at::Tensor& spectrum) {
  const int64_t planes = real.size(0);
  if (planes == 0) return;
  TORCH_INTERNAL_ASSERT(real.is_contiguous() && spectrum.is_contiguous() && spectrum.size(0) == planes);
  // FFTW's plans assume the planning buffers' alignment; at::empty gives 64 bytes.
  TORCH_INTERNAL_ASSERT(reinterpret_cast<uintptr_t>(real.data_ptr()) % 64 == 0 &&
                        reinterpret_cast<uintptr_t>(spectrum.data_ptr()) % 64 == 0);
  const auto plan = PlanCache::instance().get(plan_key(p, planes, Direction::kRealToComplex));
  plan->execute_r2c(real.data_ptr(), spectrum.data_ptr());
  // FFTW leaves the SIMD padding after the last frequency untouched: zero it, so the spectral
  // product never multiplies garbage (or slow denormals).
  if (p.spectrum_stride > p.frequencies) spectrum.narrow(1, p.frequencies, p.spectrum_stride - p.frequencies).zero_();
}

void inverse_fft(const SpectralProblem& p, at::Tensor& spectrum, at::Tensor& real) {
  const int64_t planes = real.size(0);
  if (planes == 0) return;
  TORCH_INTERNAL_ASSERT(real.is_contiguous() && spectrum.is_contiguous() && spectrum.size(0) == planes);
  TORCH_INTERNAL_ASSERT(reinterpret_cast<uintptr_t>(real.data_ptr()) % 64 == 0 &&
                        reinterpret_cast<uintptr_t>(spectrum.data_ptr()) % 64 == 0);
  const auto plan = PlanCache::instance().get(plan_key(p, planes, Direction::kComplexToReal));
  plan->execute_c2r(spectrum.data_ptr(), real.data_ptr());
}

template <typename T>
SpectrumMatrix<T> spectrum_matrix(const at::Tensor& spectrum, int64_t first_plane, int64_t row_stride_planes,
                                  int64_t col_stride_planes) {
  SpectrumMatrix<T> m;
  const int64_t plane = spectrum.size(1) * 2;  // real values per spectrum
  m.data = spectrum.data_ptr<T>() + first_plane * plane;
  m.row_stride = row_stride_planes * plane;
  m.col_stride = col_stride_planes * plane;
  return m;
}

template SpectrumMatrix<float> spectrum_matrix<float>(const at::Tensor&, int64_t, int64_t, int64_t);
template SpectrumMatrix<double> spectrum_matrix<double>(const at::Tensor&, int64_t, int64_t, int64_t);

}  // namespace oaconv::fft
