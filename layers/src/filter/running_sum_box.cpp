#include "running_sum_box.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace oaconv::filter {
namespace {

// Rows handled together by the horizontal running sum: independent dependency chains that the
// core overlaps (one chain alone waits on the adder's latency at every pixel).
constexpr int64_t kInterleavedRows = 8;

template <typename T>
void box_rows(const T* padded, T* out, int64_t planes, int64_t hp, int64_t wp, int64_t kh, int64_t kw,
              double value) {
  const int64_t h = hp - kh + 1, w = wp - kw + 1;
  // A task is a band of output rows of one plane; its column sums start from a full kh-row sum,
  // so a band should be several kernel heights tall to keep that start-up small.
  const int64_t band = std::max<int64_t>(4 * kh, 64);
  const int64_t bands_per_plane = (h + band - 1) / band;
  at::parallel_for(0, planes * bands_per_plane, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> column_sums(static_cast<size_t>(kInterleavedRows * wp));
    for (int64_t task = begin; task < end; ++task) {
      const int64_t plane = task / bands_per_plane;
      const int64_t y0 = (task % bands_per_plane) * band, y1 = std::min(h, y0 + band);
      const T* src = padded + plane * hp * wp;
      T* dst = out + plane * h * w;
      // running[x] = sum of src[y .. y+kh-1][x] for the current y.
      std::vector<double> running(static_cast<size_t>(wp), 0.0);
      for (int64_t i = 0; i < kh; ++i) {
        const T* r = src + (y0 + i) * wp;
        for (int64_t x = 0; x < wp; ++x) running[x] += r[x];
      }
      for (int64_t y = y0; y < y1; y += kInterleavedRows) {
        const int64_t rows = std::min(kInterleavedRows, y1 - y);
        // Column sums of `rows` consecutive output rows, each slid down by one row.
        for (int64_t r = 0; r < rows; ++r) {
          if (y + r > y0) {
            const T* enter = src + (y + r + kh - 1) * wp;
            const T* leave = src + (y + r - 1) * wp;
#pragma omp simd
            for (int64_t x = 0; x < wp; ++x) running[x] += double(enter[x]) - double(leave[x]);
          }
          std::copy(running.begin(), running.end(), column_sums.begin() + r * wp);
        }
        // Horizontal running sums of those rows, interleaved.
        double window[kInterleavedRows] = {};
        for (int64_t r = 0; r < rows; ++r) {
          const double* cs = column_sums.data() + r * wp;
          for (int64_t j = 0; j < kw; ++j) window[r] += cs[j];
          dst[(y + r) * w] = static_cast<T>(value * window[r]);
        }
        for (int64_t x = 1; x < w; ++x) {
          for (int64_t r = 0; r < rows; ++r) {
            const double* cs = column_sums.data() + r * wp;
            window[r] += cs[x + kw - 1] - cs[x - 1];
            dst[(y + r) * w + x] = static_cast<T>(value * window[r]);
          }
        }
      }
    }
  });
}

}  // namespace

at::Tensor box_correlate_valid(const at::Tensor& padded, int64_t kh, int64_t kw, double value) {
  TORCH_CHECK(padded.dim() == 3, "oaconv::filter2d (box): expected (C, H, W) planes");
  const at::Tensor in = padded.contiguous();
  const int64_t planes = in.size(0), hp = in.size(1), wp = in.size(2);
  TORCH_CHECK(kh >= 1 && kw >= 1 && kh <= hp && kw <= wp, "oaconv::filter2d (box): kernel ", kh, "x",
              kw, " does not fit the padded image ", hp, "x", wp);
  at::Tensor out = at::empty({planes, hp - kh + 1, wp - kw + 1}, in.options());
  AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "box_correlate_valid", [&] {
    box_rows<scalar_t>(in.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), planes, hp, wp, kh, kw, value);
  });
  return out;
}

}  // namespace oaconv::filter
