#include "tile_io.h"
#include "../parallel_tasks.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

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

// Where tile t sits: its first input sample per axis (z, u, v: depth, row, column), and the
// first full output position its B + K - 1 correlation samples (or its grad-output window)
// belong to. Tiles are numbered depth-major: t = (t_d * T_h + t_h) * T_w + t_w.
struct TileOrigin {
  int64_t z, u, v, first_k, first_i, first_j;
};

TileOrigin tile_origin(const SpectralProblem& p, int64_t t) {
  const Tiling& tiling = p.tiling;
  const int64_t z = (t / (tiling.rows.tiles * tiling.cols.tiles)) * tiling.depth.tile;
  const int64_t u = ((t / tiling.cols.tiles) % tiling.rows.tiles) * tiling.rows.tile;
  const int64_t v = (t % tiling.cols.tiles) * tiling.cols.tile;
  const ConvGeometry& g = p.g;
  return {z, u, v, z + g.pad_before[0] - (p.kernel_d - 1), u + g.pad_before[1] - (p.kernel_h - 1),
          v + g.pad_before[2] - (p.kernel_w - 1)};
}

// Samples per axis of one plane's correlation span (tile + kernel - 1).
struct Spans {
  int64_t d, h, w;
};
Spans correlation_spans(const SpectralProblem& p) {
  return {p.tiling.depth.tile + p.kernel_d - 1, p.tiling.rows.tile + p.kernel_h - 1,
          p.tiling.cols.tile + p.kernel_w - 1};
}

template <typename T>
void gather_input_tiles_impl(const SpectralProblem& p, const T* x, T* planes, int64_t batch) {
  const Tiling& tiling = p.tiling;
  const int64_t channels = p.g.in_channels, depth = p.g.in[0], h = p.g.in[1], w = p.g.in[2];
  const int64_t ph = tiling.rows.fft, pw = tiling.cols.fft, slice = ph * pw;
  const int64_t total = batch * p.tiles() * channels;
  parallel_range(total, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t ch = plane % channels;
      const int64_t t = (plane / channels) % p.tiles();
      const int64_t n = plane / (channels * p.tiles());
      const TileOrigin o = tile_origin(p, t);
      const int64_t slices = std::min(tiling.depth.tile, depth - o.z);
      const int64_t rows = std::min(tiling.rows.tile, h - o.u), cols = std::min(tiling.cols.tile, w - o.v);
      const int64_t front = p.kernel_d - 1, top = p.kernel_h - 1, left = p.kernel_w - 1;
      // One pass over the whole plane: zeros around the tile, the tile at (K_d-1, K_h-1, K_w-1).
      T* dst_plane = planes + plane * p.real_plane;
      std::memset(dst_plane, 0, front * slice * sizeof(T));
      for (int64_t s = 0; s < slices; ++s) {
        const T* src = x + (((n * channels + ch) * depth + o.z + s) * h + o.u) * w + o.v;
        T* dst = dst_plane + (front + s) * slice;
        std::memset(dst, 0, top * pw * sizeof(T));
        for (int64_t i = 0; i < rows; ++i) {
          T* row = dst + (top + i) * pw;
          std::memset(row, 0, left * sizeof(T));
          std::memcpy(row + left, src + i * w, cols * sizeof(T));
          std::memset(row + left + cols, 0, (pw - left - cols) * sizeof(T));
        }
        std::memset(dst + (top + rows) * pw, 0, (ph - top - rows) * pw * sizeof(T));
      }
      std::memset(dst_plane + (front + slices) * slice, 0, (tiling.depth.fft - front - slices) * slice * sizeof(T));
    }
  });
}

template <typename T>
void gather_grad_output_windows_impl(const SpectralProblem& p, const T* gy, T* planes, int64_t batch) {
  const ConvGeometry& g = p.g;
  const int64_t channels = g.out_channels;
  const int64_t pw = p.tiling.cols.fft, slice = p.tiling.rows.fft * pw;
  const int64_t out_slice = g.out[1] * g.out[2];
  const Spans span = correlation_spans(p);
  const int64_t total = batch * p.tiles() * channels;
  parallel_range(total, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t ch = plane % channels;
      const int64_t t = (plane / channels) % p.tiles();
      const int64_t n = plane / (channels * p.tiles());
      const TileOrigin o = tile_origin(p, t);
      const auto [s0, s1] = valid_span(o.first_k, span.d, p.full_d);
      const auto [a0, a1] = valid_span(o.first_i, span.h, p.full_h);
      const auto [b0, b1] = valid_span(o.first_j, span.w, p.full_w);
      const T* src_plane = gy + (n * channels + ch) * g.out[0] * out_slice;
      T* dst_plane = planes + plane * p.real_plane;
      std::memset(dst_plane, 0, p.real_plane * sizeof(T));  // zeros outside the window and between strides
      for (int64_t s = s0; s < s1; ++s) {
        const int64_t k = o.first_k + s;
        if (k % g.stride[0] != 0) continue;  // zero-inserted slice
        const T* src_slice = src_plane + (k / g.stride[0]) * out_slice;
        T* dst = dst_plane + s * slice;
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t i = o.first_i + a;
          if (i % g.stride[1] != 0) continue;  // zero-inserted row
          const T* src = src_slice + (i / g.stride[1]) * g.out[2];
          T* out = dst + a * pw;
          if (g.stride[2] == 1) {
            std::memcpy(out + b0, src + o.first_j + b0, (b1 - b0) * sizeof(T));
          } else {
            for (int64_t b = b0; b < b1; ++b) {
              const int64_t j = o.first_j + b;
              if (j % g.stride[2] == 0) out[b] = src[j / g.stride[2]];
            }
          }
        }
      }
    }
  });
}

template <typename T>
void overlap_add_output_tiles_impl(const SpectralProblem& p, const T* planes, const T* bias, T* y, int64_t batch) {
  const ConvGeometry& g = p.g;
  const int64_t channels = g.out_channels;
  const int64_t pw = p.tiling.cols.fft, slice = p.tiling.rows.fft * pw;
  const int64_t out_slice = g.out[1] * g.out[2], out_plane = g.out[0] * out_slice;
  const Spans span = correlation_spans(p);
  parallel_range(batch * channels, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / channels, ch = nc % channels;
      T* out = y + nc * out_plane;
      std::fill(out, out + out_plane, bias ? bias[ch] : T(0));
      for (int64_t t = 0; t < p.tiles(); ++t) {
        const T* src_plane = planes + ((n * p.tiles() + t) * channels + ch) * p.real_plane;
        const TileOrigin o = tile_origin(p, t);
        const auto [s0, s1] = valid_span(o.first_k, span.d, p.full_d);
        const auto [a0, a1] = valid_span(o.first_i, span.h, p.full_h);
        const auto [b0, b1] = valid_span(o.first_j, span.w, p.full_w);
        for (int64_t s = s0; s < s1; ++s) {
          const int64_t k = o.first_k + s;
          if (k % g.stride[0] != 0) continue;  // slice dropped by the stride
          T* dst_slice = out + (k / g.stride[0]) * out_slice;
          for (int64_t a = a0; a < a1; ++a) {
            const int64_t i = o.first_i + a;
            if (i % g.stride[1] != 0) continue;  // row dropped by the stride
            T* dst = dst_slice + (i / g.stride[1]) * g.out[2];
            const T* row = src_plane + s * slice + a * pw;
            if (g.stride[2] == 1) {
              T* d = dst + o.first_j;
              for (int64_t b = b0; b < b1; ++b) d[b] += row[b];
            } else {
              for (int64_t b = b0; b < b1; ++b) {
                const int64_t j = o.first_j + b;
                if (j % g.stride[2] == 0) dst[j / g.stride[2]] += row[b];
              }
            }
          }
        }
      }
    }
  });
}

template <typename T>
void write_grad_input_tiles_impl(const SpectralProblem& p, const T* planes, T* gx, int64_t batch) {
  const Tiling& tiling = p.tiling;
  const int64_t channels = p.g.in_channels, depth = p.g.in[0], h = p.g.in[1], w = p.g.in[2];
  const int64_t pw = tiling.cols.fft, slice = tiling.rows.fft * pw;
  parallel_range(batch * channels, [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / channels;
      for (int64_t t = 0; t < p.tiles(); ++t) {
        const TileOrigin o = tile_origin(p, t);
        const int64_t slices = std::min(tiling.depth.tile, depth - o.z);
        const int64_t rows = std::min(tiling.rows.tile, h - o.u), cols = std::min(tiling.cols.tile, w - o.v);
        const T* src_plane = planes + ((n * p.tiles() + t) * channels + nc % channels) * p.real_plane +
                             (p.kernel_d - 1) * slice + (p.kernel_h - 1) * pw + (p.kernel_w - 1);
        for (int64_t s = 0; s < slices; ++s) {
          const T* src = src_plane + s * slice;
          T* dst = gx + ((nc * depth + o.z + s) * h + o.u) * w + o.v;
          for (int64_t i = 0; i < rows; ++i) std::memcpy(dst + i * w, src + i * pw, cols * sizeof(T));
        }
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
  const at::Tensor taps = planes.view({-1, p.tiling.depth.fft, p.tiling.rows.fft, p.tiling.cols.fft})
                              .slice(1, 0, p.kernel_d, g.dilation[0])
                              .slice(2, 0, p.kernel_h, g.dilation[1])
                              .slice(3, 0, p.kernel_w, g.dilation[2])
                              .reshape(gw.sizes());
  if (accumulate) {
    gw.add_(taps, scale);
  } else {
    gw.copy_(taps).mul_(scale);
  }
}

}  // namespace oaconv::fft
