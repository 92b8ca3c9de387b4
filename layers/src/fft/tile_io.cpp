#include "tile_io.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>

namespace oaconv::fft {
namespace {

// The span of plane samples n in [0, count) whose full output position
// first_position + n lies in [0, full) — as [begin, end).
std::pair<int64_t, int64_t> valid_span(int64_t first_position, int64_t count, int64_t full) {
  const int64_t begin = std::max<int64_t>(0, -first_position);
  const int64_t end = std::min<int64_t>(count, full - first_position);
  return {begin, std::max(begin, end)};
}

// Where tile t sits: its first input row and column (u, v), and the first full output row and
// column its B + K - 1 correlation samples (or its grad-output window) belong to.
struct TileOrigin {
  int64_t u, v, first_i, first_j;
};

TileOrigin tile_origin(const SpectralProblem& p, int64_t t) {
  const int64_t u = (t / p.tiling.cols.tiles) * p.tiling.rows.tile;
  const int64_t v = (t % p.tiling.cols.tiles) * p.tiling.cols.tile;
  return {u, v, u + p.g.pad_before[0] - (p.kernel_h - 1), v + p.g.pad_before[1] - (p.kernel_w - 1)};
}

template <typename T>
void gather_input_tiles_impl(const SpectralProblem& p, const T* x, T* planes, int64_t batch) {
  const auto& r = p.tiling.rows;
  const auto& c = p.tiling.cols;
  const int64_t channels = p.g.in_channels, h = p.g.in[0], w = p.g.in[1];
  const int64_t pw = c.fft;
  const int64_t total = batch * p.tiles() * channels;
  at::parallel_for(0, total, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t ch = plane % channels;
      const int64_t t = (plane / channels) % p.tiles();
      const int64_t n = plane / (channels * p.tiles());
      const auto [u, v, first_i, first_j] = tile_origin(p, t);
      const int64_t rows = std::min(r.tile, h - u), cols = std::min(c.tile, w - v);
      const T* src = x + ((n * channels + ch) * h + u) * w + v;
      // One pass over the whole plane: zeros around the tile, the tile at (K_h-1, K_w-1).
      T* dst = planes + plane * p.real_plane;
      const int64_t top = p.kernel_h - 1, left = p.kernel_w - 1;
      std::memset(dst, 0, top * pw * sizeof(T));
      for (int64_t i = 0; i < rows; ++i) {
        T* row = dst + (top + i) * pw;
        std::memset(row, 0, left * sizeof(T));
        std::memcpy(row + left, src + i * w, cols * sizeof(T));
        std::memset(row + left + cols, 0, (pw - left - cols) * sizeof(T));
      }
      std::memset(dst + (top + rows) * pw, 0, (r.fft - top - rows) * pw * sizeof(T));
    }
  });
}

template <typename T>
void gather_grad_output_windows_impl(const SpectralProblem& p, const T* gy, T* planes, int64_t batch) {
  const auto& r = p.tiling.rows;
  const auto& c = p.tiling.cols;
  const ConvGeometry& g = p.g;
  const int64_t channels = g.out_channels;
  const int64_t pw = c.fft;
  const int64_t span_h = r.tile + p.kernel_h - 1, span_w = c.tile + p.kernel_w - 1;
  const int64_t total = batch * p.tiles() * channels;
  at::parallel_for(0, total, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t ch = plane % channels;
      const int64_t t = (plane / channels) % p.tiles();
      const int64_t n = plane / (channels * p.tiles());
      const auto [u, v, first_i, first_j] = tile_origin(p, t);
      const auto [a0, a1] = valid_span(first_i, span_h, p.full_h);
      const auto [b0, b1] = valid_span(first_j, span_w, p.full_w);
      const T* src_plane = gy + (n * channels + ch) * g.out[0] * g.out[1];
      T* dst = planes + plane * p.real_plane;
      std::memset(dst, 0, p.real_plane * sizeof(T));  // zeros outside the window and between strides
      for (int64_t a = a0; a < a1; ++a) {
        const int64_t i = first_i + a;
        if (i % g.stride[0] != 0) continue;  // zero-inserted row
        const T* src = src_plane + (i / g.stride[0]) * g.out[1];
        T* out = dst + a * pw;
        if (g.stride[1] == 1) {
          std::memcpy(out + b0, src + first_j + b0, (b1 - b0) * sizeof(T));
        } else {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t j = first_j + b;
            if (j % g.stride[1] == 0) out[b] = src[j / g.stride[1]];
          }
        }
      }
    }
  });
}

template <typename T>
void overlap_add_output_tiles_impl(const SpectralProblem& p, const T* planes, const T* bias, T* y, int64_t batch) {
  const auto& r = p.tiling.rows;
  const auto& c = p.tiling.cols;
  const ConvGeometry& g = p.g;
  const int64_t channels = g.out_channels;
  const int64_t pw = c.fft;
  const int64_t span_h = r.tile + p.kernel_h - 1, span_w = c.tile + p.kernel_w - 1;
  at::parallel_for(0, batch * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / channels, ch = nc % channels;
      T* out = y + nc * g.out[0] * g.out[1];
      std::fill(out, out + g.out[0] * g.out[1], bias ? bias[ch] : T(0));
      for (int64_t t = 0; t < p.tiles(); ++t) {
        const T* src = planes + ((n * p.tiles() + t) * channels + ch) * p.real_plane;
        const auto [u, v, first_i, first_j] = tile_origin(p, t);
        const auto [a0, a1] = valid_span(first_i, span_h, p.full_h);
        const auto [b0, b1] = valid_span(first_j, span_w, p.full_w);
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t i = first_i + a;
          if (i % g.stride[0] != 0) continue;  // row dropped by the stride
          T* dst = out + (i / g.stride[0]) * g.out[1];
          const T* row = src + a * pw;
          if (g.stride[1] == 1) {
            T* d = dst + first_j;
            for (int64_t b = b0; b < b1; ++b) d[b] += row[b];
          } else {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t j = first_j + b;
              if (j % g.stride[1] == 0) dst[j / g.stride[1]] += row[b];
            }
          }
        }
      }
    }
  });
}

template <typename T>
void write_grad_input_tiles_impl(const SpectralProblem& p, const T* planes, T* gx, int64_t batch) {
  const auto& r = p.tiling.rows;
  const auto& c = p.tiling.cols;
  const int64_t channels = p.g.in_channels, h = p.g.in[0], w = p.g.in[1];
  const int64_t pw = c.fft;
  at::parallel_for(0, batch * channels, 1, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / channels, ch = nc % channels;
      for (int64_t t = 0; t < p.tiles(); ++t) {
        const auto [u, v, first_i, first_j] = tile_origin(p, t);
        const int64_t rows = std::min(r.tile, h - u), cols = std::min(c.tile, w - v);
        const T* src = planes + ((n * p.tiles() + t) * channels + ch) * p.real_plane +
                       (p.kernel_h - 1) * pw + (p.kernel_w - 1);
        T* dst = gx + (nc * h + u) * w + v;
        for (int64_t i = 0; i < rows; ++i) std::memcpy(dst + i * w, src + i * pw, cols * sizeof(T));
      }
    }
  });
}

}  // namespace

void gather_input_tiles(const SpectralProblem& p, const at::Tensor& x, at::Tensor& planes) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::fft::gather_input_tiles", [&] {
    gather_input_tiles_impl<scalar_t>(p, x.data_ptr<scalar_t>(), planes.data_ptr<scalar_t>(), x.size(0));
  });
}

void gather_grad_output_windows(const SpectralProblem& p, const at::Tensor& gy, at::Tensor& planes) {
  AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "oaconv::fft::gather_grad_output_windows", [&] {
    gather_grad_output_windows_impl<scalar_t>(p, gy.data_ptr<scalar_t>(), planes.data_ptr<scalar_t>(), gy.size(0));
  });
}

void overlap_add_output_tiles(const SpectralProblem& p, const at::Tensor& planes, const at::Tensor& bias,
                              at::Tensor& y) {
  AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "oaconv::fft::overlap_add_output_tiles", [&] {
    overlap_add_output_tiles_impl<scalar_t>(p, planes.data_ptr<scalar_t>(),
                                            bias.defined() ? bias.data_ptr<scalar_t>() : nullptr,
                                            y.data_ptr<scalar_t>(), y.size(0));
  });
}

void write_grad_input_tiles(const SpectralProblem& p, const at::Tensor& planes, at::Tensor& gx) {
  AT_DISPATCH_FLOATING_TYPES(gx.scalar_type(), "oaconv::fft::write_grad_input_tiles", [&] {
    write_grad_input_tiles_impl<scalar_t>(p, planes.data_ptr<scalar_t>(), gx.data_ptr<scalar_t>(), gx.size(0));
  });
}

void crop_grad_weight(const SpectralProblem& p, const at::Tensor& planes, double scale, bool accumulate,
                      at::Tensor& gw) {
  const ConvGeometry& g = p.g;
  const at::Tensor taps = planes.view({-1, p.tiling.rows.fft, p.tiling.cols.fft})
                              .slice(1, 0, p.kernel_h, g.dilation[0])
                              .slice(2, 0, p.kernel_w, g.dilation[1])
                              .reshape(gw.sizes());
  if (accumulate) {
    gw.add_(taps, scale);
  } else {
    gw.copy_(taps).mul_(scale);
  }
}

}  // namespace oaconv::fft
