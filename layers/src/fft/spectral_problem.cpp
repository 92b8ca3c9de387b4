#include "spectral_problem.h"
#include "../parallel_tasks.h"

#include "plan_cache.h"
#include "workspace_pool.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

namespace oaconv::fft {

// FFTW's 2-D real transforms on this machine kind (batched, FFTW_MEASURE), microseconds per
// plane r2c, row-major spectrum vs columns outer: P 32: 1.13 vs 1.04, 48: 3.1 vs 2.5, 72: 5.8 vs
// 4.9, 80: 6.9 vs 5.7, 96: 11.0 vs 9.8, 120: 16.7 vs 14.3; but 128: 19 vs 33 and 256: 76 vs 266
// (power-of-two strides thrash the cache). The column pass then writes its results in place.
constexpr int64_t kMaxColumnsOuterRows = 120;

SpectralProblem make_spectral_problem(const ConvGeometry& geometry, Algorithm algorithm, c10::ScalarType dtype,
                                      int threads) {
  SpectralProblem p;
  p.g = with_leading_unit_axes(geometry, kMaxSpatialRank);
  const ConvGeometry& g = p.g;
  p.dtype = dtype;
  p.threads = threads;
  p.tiling = choose_tiling(algorithm, g, threads);
  p.kernel_d = g.kernel_extent(0);
  p.kernel_h = g.kernel_extent(1);
  p.kernel_w = g.kernel_extent(2);
  p.full_d = g.padded(0) - p.kernel_d + 1;
  p.full_h = g.padded(1) - p.kernel_h + 1;
  p.full_w = g.padded(2) - p.kernel_w + 1;
  p.frequencies = p.tiling.frequencies();
  const int64_t lanes = 64 / (2 * static_cast<int64_t>(c10::elementSize(dtype)));  // complex per 64 B
  p.spectrum_stride = (p.frequencies + lanes - 1) / lanes * lanes;
  p.real_plane = p.tiling.points();
  p.columns_outer = p.tiling.depth.fft == 1 && p.tiling.rows.fft <= kMaxColumnsOuterRows;
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
  const std::array<int64_t, 4> sizes{planes, p.tiling.depth.fft, p.tiling.rows.fft, p.tiling.cols.fft};
  at::Tensor planes_buffer = pooled_empty(sizes, options);
  return zeroed ? planes_buffer.zero_() : planes_buffer;
}

at::Tensor new_spectrum(const SpectralProblem& p, int64_t planes, const at::TensorOptions& options) {
  return pooled_empty({planes, p.spectrum_stride, 2}, options);
}

namespace {

PlanKey plan_key(const SpectralProblem& p, int64_t planes, Direction direction, bool any_alignment) {
  PlanKey k;
  k.depth = p.tiling.depth.fft;
  k.rows = p.tiling.rows.fft;
  k.cols = p.tiling.cols.fft;
  k.howmany = planes;
  k.real_stride = p.real_plane;
  k.spectrum_stride = p.spectrum_stride;
  k.direction = direction;
  k.dtype = p.dtype;
  k.threads = 1;  // the pieces are spread over the threads (for_each_piece)
  k.any_alignment = any_alignment;
  k.flags = planner_flags();
  k.columns_outer = p.columns_outer;
  return k;
}

int64_t real_plane_bytes(const SpectralProblem& p) {
  return p.real_plane * static_cast<int64_t>(c10::elementSize(p.dtype));
}
int64_t spectrum_bytes(const SpectralProblem& p) {
  return 2 * p.spectrum_stride * static_cast<int64_t>(c10::elementSize(p.dtype));
}

// Planes (a power of two) from which on an offset keeps the buffers' 64-byte alignment.
int64_t aligned_step(const SpectralProblem& p) {
  int64_t step = 1;
  while ((step * real_plane_bytes(p)) % 64 != 0) step *= 2;
  return step;
}

// Every transform runs in chunks of planes, one single-threaded FFTW plan per chunk size, the
// chunks spread over the threads. A chunk is the largest power of two of planes whose real and
// complex data fit kChunkBytes (an L2's share), at least one aligned step. Against one
// FFTW-threaded plan over all the planes (2 threads, FFTW_MEASURE, r2c, P 15-512 with 8-8192
// planes): executing took 0.56-0.96x the time, and planning that plan 0.13-3.8 s (P 27, 2048
// planes: 3.8 s), a chunk's 3-115 ms (P 15-80). The chunk plans are shared by every layer and
// batch size with the same transform size, where the whole-batch plans were one per plane count
// (four per layer: the large preset's N64 C16->32 32x32 k13 layer planned for 315 of its first
// call's 805 ms, with chunks 56 ms). Fewer pieces than threads (a few large planes: one grey
// image to filter) run as one FFTW-threaded plan instead, which splits a plane's rows.
constexpr int64_t kChunkBytes = 256 << 10;

// Runs `run(plan, first_plane)` over `planes` planes: whole chunks, then the rest as descending
// powers of two (so any count needs at most log2(chunk) more plans, shared too); a piece
// smaller than the aligned step may start unaligned, so its plan accepts any alignment.
template <typename Run>
void for_each_piece(const SpectralProblem& p, int64_t planes, Direction direction, const Run& run) {
  const int64_t step = aligned_step(p);
  const int64_t fit = std::max<int64_t>(1, kChunkBytes / (real_plane_bytes(p) + spectrum_bytes(p)));
  int64_t chunk = step;
  while (chunk * 2 <= fit) chunk *= 2;
  std::vector<int64_t> sizes(static_cast<size_t>(planes / chunk), chunk);
  for (int64_t size = chunk / 2, rest = planes % chunk; size >= 1; size /= 2) {
    if (rest >= size) sizes.push_back(size), rest -= size;
  }
  if (p.threads > 1 && static_cast<int64_t>(sizes.size()) < p.threads) {
    PlanKey key = plan_key(p, planes, direction, false);
    key.threads = p.threads;
    run(*PlanCache::instance().get(key), 0);
    return;
  }
  struct Piece {
    std::shared_ptr<const FftPlan> plan;
    int64_t first;  // plane
  };
  std::vector<Piece> pieces;
  int64_t first = 0;
  for (int64_t size : sizes) {
    const bool same = !pieces.empty() && size == chunk;  // the whole chunks share one lookup
    pieces.push_back({same ? pieces.back().plan : PlanCache::instance().get(plan_key(p, size, direction, size < step)),
                      first});
    first += size;
  }
  parallel_range(static_cast<int64_t>(pieces.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) run(*pieces[i].plan, pieces[i].first);
  });
}

}  // namespace

void forward_fft(const SpectralProblem& p, const at::Tensor& real, at::Tensor& spectrum) {
  const int64_t planes = real.size(0);
  if (planes == 0) return;
  TORCH_INTERNAL_ASSERT(real.is_contiguous() && spectrum.is_contiguous() && spectrum.size(0) == planes);
  // FFTW's plans assume the planning buffers' alignment; at::empty gives 64 bytes.
  TORCH_INTERNAL_ASSERT(reinterpret_cast<uintptr_t>(real.data_ptr()) % 64 == 0 &&
                        reinterpret_cast<uintptr_t>(spectrum.data_ptr()) % 64 == 0);
  char* const r = static_cast<char*>(real.data_ptr());
  char* const f = static_cast<char*>(spectrum.data_ptr());
  for_each_piece(p, planes, Direction::kRealToComplex, [&](const FftPlan& plan, int64_t first) {
    plan.execute_r2c(r + first * real_plane_bytes(p), f + first * spectrum_bytes(p));
  });
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
  char* const r = static_cast<char*>(real.data_ptr());
  char* const f = static_cast<char*>(spectrum.data_ptr());
  for_each_piece(p, planes, Direction::kComplexToReal, [&](const FftPlan& plan, int64_t first) {
    plan.execute_c2r(f + first * spectrum_bytes(p), r + first * real_plane_bytes(p));
  });
}

template <typename T>
SpectrumMatrix<T> spectrum_matrix(const at::Tensor& spectrum, int64_t first_plane, int64_t row_stride_planes,
                                  int64_t col_stride_planes, int64_t group_stride_planes) {
  SpectrumMatrix<T> m;
  const int64_t plane = spectrum.size(1) * 2;  // real values per spectrum
  m.data = spectrum.data_ptr<T>() + first_plane * plane;
  m.row_stride = row_stride_planes * plane;
  m.col_stride = col_stride_planes * plane;
  m.group_stride = group_stride_planes * plane;
  return m;
}

template SpectrumMatrix<float> spectrum_matrix<float>(const at::Tensor&, int64_t, int64_t, int64_t, int64_t);
template SpectrumMatrix<double> spectrum_matrix<double>(const at::Tensor&, int64_t, int64_t, int64_t, int64_t);

}  // namespace oaconv::fft
