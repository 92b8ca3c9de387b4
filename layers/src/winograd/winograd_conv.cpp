#include "winograd_conv.h"

#include "winograd_transforms.h"
#include "../isa/rate_scales.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace oaconv::winograd {
namespace {

int64_t tiles_along(int64_t outputs) { return (outputs + kTile - 1) / kTile; }

// src (N, C, H, W) placed with its row 0 at `top` and column 0 at `left` of zeros (N, C, rows,
// cols); what falls outside is left out (a negative offset crops the source).
at::Tensor placed(const at::Tensor& src, int64_t top, int64_t left, int64_t rows, int64_t cols) {
  at::Tensor out = at::zeros({src.size(0), src.size(1), rows, cols}, src.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t r0 = std::max<int64_t>(0, top), c0 = std::max<int64_t>(0, left);
  const int64_t nr = std::min(rows - r0, src.size(2) - (r0 - top)), nc = std::min(cols - c0, src.size(3) - (c0 - left));
  if (nr > 0 && nc > 0 && src.numel() > 0) {
    out.narrow(2, r0, nr).narrow(3, c0, nc).copy_(src.narrow(2, r0 - top, nr).narrow(3, c0 - left, nc));
  }
  return out;
}

// G (6x3) of F(4x4, 3x3) in the dtype of `options`.
at::Tensor g_matrix(const at::TensorOptions& options) {
  const double g[6][3] = {{1.0 / 4, 0, 0},
                          {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                          {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                          {1.0 / 24, 1.0 / 12, 1.0 / 6},
                          {1.0 / 24, -1.0 / 12, 1.0 / 6},
                          {0, 0, 1}};
  return at::from_blob(const_cast<double*>(&g[0][0]), {6, 3}, at::kDouble).to(options.dtype()).clone();
}

// U (36, O, Cg) = G w G^T of every (o, c) kernel of w (O, Cg, 3, 3).
at::Tensor kernel_transform(const at::Tensor& w) {
  const at::Tensor gm = g_matrix(w.options());
  return at::matmul(at::matmul(gm, w), gm.t()).permute({2, 3, 0, 1}).reshape({kPoints, w.size(0), w.size(1)}).contiguous();
}

// y (N, O, out_h, out_w) = bias + the stride-1 correlation of src (N, C, H, W), placed at (top,
// left) of zeros, with w (O, C / groups, 3, 3).
at::Tensor correlate(const at::Tensor& src, const at::Tensor& w, const at::Tensor& bias, int64_t groups, int64_t top,
                     int64_t left, int64_t out_h, int64_t out_w) {
  const int64_t n = src.size(0), c = src.size(1), o = w.size(0);
  const int64_t th = tiles_along(out_h), tw = tiles_along(out_w), tiles = n * th * tw;
  const at::Tensor xp = placed(src, top, left, kTile * th + 2, kTile * tw + 2);
  at::Tensor v = at::empty({kPoints, c, tiles}, src.options().memory_format(at::MemoryFormat::Contiguous));
  input_tiles_transform(xp, th, tw, v);
  const at::Tensor u = kernel_transform(w.contiguous());
  // Per point and group: (Og x Cg) times (Cg x tiles).
  const at::Tensor m = at::bmm(u.view({kPoints * groups, o / groups, c / groups}), v.view({kPoints * groups, c / groups, tiles}))
                           .view({kPoints, o, tiles});
  at::Tensor y = at::empty({n, o, out_h, out_w}, src.options().memory_format(at::MemoryFormat::Contiguous));
  output_tiles_transform(m, bias, th, tw, y);
  return y;
}

}  // namespace

const char* declines(const ConvGeometry& g) {
  if (g.rank != 2) return "winograd: F(4x4, 3x3) is for 2-D layers";
  if (g.kernel[0] != 3 || g.kernel[1] != 3) return "winograd: F(4x4, 3x3) is for 3x3 kernels";
  if (g.stride[0] != 1 || g.stride[1] != 1) return "winograd: F(4x4, 3x3) is for stride 1";
  if (g.dilation[0] != 1 || g.dilation[1] != 1) return "winograd: F(4x4, 3x3) is for dilation 1";
  return nullptr;
}

at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  return correlate(x.contiguous(), w, bias, g.groups, g.pad_before[0], g.pad_before[1], g.out[0], g.out[1]);
}

at::Tensor grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  // gx[c, i] = sum_o sum_a gy[o, i + p - a] w[o, c, a]: the correlation of gy placed at 2 - p
  // with the flipped kernel, its in/out channels swapped per group.
  const int64_t og = g.out_per_group(), cg = g.in_per_group();
  const at::Tensor w_t =
      w.reshape({g.groups, og, cg, 3, 3}).transpose(1, 2).flip({3, 4}).reshape({g.in_channels, og, 3, 3});
  return correlate(gy.contiguous(), w_t, at::Tensor(), g.groups, 2 - g.pad_before[0], 2 - g.pad_before[1], g.in[0],
                   g.in[1]);
}

at::Tensor grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  const int64_t n = g.batch, c = g.in_channels, o = g.out_channels, groups = g.groups;
  const int64_t th = tiles_along(g.out[0]), tw = tiles_along(g.out[1]), tiles = n * th * tw;
  const at::TensorOptions options = x.options().memory_format(at::MemoryFormat::Contiguous);
  const at::Tensor xp = placed(x.contiguous(), g.pad_before[0], g.pad_before[1], kTile * th + 2, kTile * tw + 2);
  at::Tensor v = at::empty({kPoints, c, tiles}, options);
  input_tiles_transform(xp, th, tw, v);
  const at::Tensor gyp = placed(gy.contiguous(), 0, 0, kTile * th, kTile * tw);
  at::Tensor u = at::empty({kPoints, o, tiles}, options);
  grad_output_tiles_transform(gyp, th, tw, u);
  // Per point and group: (Og x tiles) times (tiles x Cg), a reduction over every tile.
  const at::Tensor q = at::bmm(u.view({kPoints * groups, o / groups, tiles}),
                               v.view({kPoints * groups, c / groups, tiles}).transpose(1, 2))
                           .view({6, 6, o, c / groups})
                           .permute({2, 3, 0, 1});
  const at::Tensor gm = g_matrix(x.options());
  return at::matmul(at::matmul(gm.t(), q), gm).contiguous();
}

// Per pass: the 36 products per 16 outputs at the batched product's measured rate, and the
// transforms' traffic (the point planes, 36/16 of the tensors they come from, written and read
// back). Calibrated on issue 20's four 3x3 layers (Intel Xeon with AVX-512, 2 threads, float32;
// forward measured / modelled): N32 C64 56x56 125 / 164 ms (there the products, at::bmm over
// 36 points, took 50 ms at 18.5 GMAC/s; fewer tiles ran slower), N16 C128 28x28 79 / 60,
// N8 C256 14x14 41 / 32, N32 C32 32x32 21 / 20.
double modelled_pass_seconds(const ConvGeometry& g, int threads) {
  const double tiles = static_cast<double>(g.batch) * static_cast<double>(tiles_along(g.out[0])) *
                       static_cast<double>(tiles_along(g.out[1]));
  const double macs = kPoints * tiles * static_cast<double>(g.in_per_group()) * static_cast<double>(g.out_channels);
  const double planes = kPoints * tiles * static_cast<double>(g.in_channels + g.out_channels);
  const double element = 4.0, rate = std::max(1, threads) / 2.0;
  const isa::RateScales scale = isa::rate_scales();
  return macs / (12e9 * scale.aten * rate) + 3.0 * planes * element / (4e9 * scale.bytes * rate);
}

}  // namespace oaconv::winograd
