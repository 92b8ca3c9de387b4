#include "winograd_conv.h"

#include "winograd_streamed.h"
#include "winograd_tiles.h"
#include "../fft/workspace_pool.h"
#include "../kernel_transform_cache.h"
#include "../isa/rate_scales.h"

#include <oaconv/profiling.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace oaconv::winograd {
namespace {

int64_t tiles_along(int64_t outputs) { return (outputs + kTile - 1) / kTile; }

// Few tiles and many channels (ResNet's 8x8 and 4x4 stages): the packed kernel (36 values a
// kernel) is 4x or more the batch's transformed tiles (36 a tile and input channel), and
// transforming it on the fly beside the products beats writing and reading it
// (winograd_streamed.h), given tasks of 24 output channels enough to share among the threads.
// (Steps against the blocked pipeline, interleaved: N8 C256 8x8 6.7/5.4 ms against 9.2/10.5,
// N8 C512 4x4 15.8/14.0 against 41.3/34.4; where the two are as large, N8 C128 16x16 and N8 C256
// 14x14, 8.8/5.8 against 5.9/4.7 and 19.4/19.8 against 18.3/17.4.)
bool streams_kernel(int64_t tiles, int64_t in_channels, int64_t in_per_group, int64_t out_channels, int64_t groups,
                    int threads) {
  const int64_t tasks = groups * ((out_channels / groups + 23) / 24);
  return tiles > 0 && in_per_group > 0 && in_per_group * out_channels >= 4 * tiles * in_channels &&
         tasks >= 2 * std::max(1, threads);
}

// grad-weight's products reduce over the tiles; up to this many, its sums (4x the weight) cost
// more to write and read than the products that make them, and the streamed pipeline's, made in
// the core's cache, win (N8 C512 4x4, 8 tiles: 5.4-6.8 ms against 8.0-10.9; N8 C256 8x8, 32
// tiles: about even; 64 tiles even, 128 (N8 C256 14x14) 10.3-11.8 against 6.2-7.6).
constexpr int64_t kStreamedGradTiles = 32;

// y (N, O', out_h, out_w) = bias + the stride-1 correlation of src (N, C', H, W), placed at
// (top, left) of zeros, with w's kernels, or (`transposed`) grad-input's: w's channels swapped
// per group and its kernels flipped.
at::Tensor correlate(const at::Tensor& src, const at::Tensor& w, const at::Tensor& bias, int64_t groups,
                     bool transposed, int64_t top, int64_t left, int64_t out_h, int64_t out_w) {
  const at::TensorOptions options = src.options().memory_format(at::MemoryFormat::Contiguous);
  const int64_t og = w.size(0) / groups, cg = w.size(1);
  const int64_t out_g = transposed ? cg : og, in_g = transposed ? og : cg;
  at::Tensor y = at::empty({src.size(0), groups * out_g, out_h, out_w}, options);
  const int64_t tiles = src.size(0) * tiles_along(out_h) * tiles_along(out_w);
  if (streams_kernel(tiles, src.size(1), in_g, y.size(1), groups, at::get_num_threads())) {
    correlate_streamed(src.contiguous(), w.contiguous(), bias, groups, transposed, top, left, &fft::pooled_empty, y);
    return y;
  }
  // The packed transform, made once per weight version (evaluation, frozen layers; in training
  // the optimizer's update makes it anew each step, into the previous one's buffer).
  const std::vector<int64_t> packed_sizes{groups, kPoints, kernel_row_blocks(out_g), in_g, kKernelRows};
  const KernelTransformKind kind{KernelTransformKind::kWinograd, {groups, transposed ? 1 : 0, 0, 0, 0, 0}};
  const at::Tensor u = KernelTransformCache::instance().get(w, kind, [&](const at::Tensor& weight, const at::Tensor& reuse) {
    at::Tensor packed = reuse.defined() && reuse.sizes() == at::IntArrayRef(packed_sizes) ? reuse
                                                                                           : at::empty(packed_sizes, options);
    pack_kernel_transform(weight.contiguous(), groups, transposed, packed);
    return packed;
  });
  correlate_tiles(src.contiguous(), u, bias, groups, top, left, y);
  return y;
}

}  // namespace

const char* declines(const ConvGeometry& g) {
  if (g.rank != 2) return "winograd: F(4x4, 3x3) is for 2-D layers";
  if (g.kernel[0] != 3 || g.kernel[1] != 3) return "winograd: F(4x4, 3x3) is for 3x3 kernels";
  if (g.stride[0] != 1 || g.stride[1] != 1) return "winograd: F(4x4, 3x3) is for stride 1";
  if (g.dilation[0] != 1 || g.dilation[1] != 1) return "winograd: F(4x4, 3x3) is for dilation 1";
  // A tile's 36 points are multiplied by a kernel point and summed over the group's input
  // channels; with few of them the transforms dominate (MobileNetV2's dw3: forward 30 ms against
  // direct's 8.8, grad-weight 121 against 7.0; 4 channels a group, N32 C128 56²: step 101 ms
  // against direct's 40).
  if (g.groups > 1 && g.in_per_group() < 8) {
    return "winograd: grouped layers need at least 8 input channels a group (direct runs depthwise and narrow "
           "groups faster)";
  }
  return nullptr;
}

at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g) {
  return correlate(x, w, bias, g.groups, false, g.pad_before[0], g.pad_before[1], g.out[0], g.out[1]);
}

at::Tensor grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  // gx[c, i] = sum_o sum_a gy[o, i + p - a] w[o, c, a]: the correlation of gy placed at 2 - p
  // with the flipped kernel, its in/out channels swapped per group.
  return correlate(gy, w, at::Tensor(), g.groups, true, 2 - g.pad_before[0], 2 - g.pad_before[1], g.in[0], g.in[1]);
}

at::Tensor grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g) {
  at::Tensor gw = at::empty({g.out_channels, g.in_per_group(), 3, 3}, x.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t tiles = g.batch * tiles_along(g.out[0]) * tiles_along(g.out[1]);
  if (tiles <= kStreamedGradTiles &&
      grad_weight_streamed(x.contiguous(), gy.contiguous(), g.groups, g.pad_before[0], g.pad_before[1],
                           workspace_limit(), &fft::pooled_empty, gw)) {
    return gw;
  }
  grad_weight_tiles(x.contiguous(), gy.contiguous(), g.groups, g.pad_before[0], g.pad_before[1], workspace_limit(),
                    &fft::pooled_empty, gw);
  return gw;
}

// Per pass: the 36 products per 16 outputs (register-blocked like the spectral product), the
// transforms (per transformed value of the input's and the output's tiles), the kernel's points
// made once per block of tiles where they are streamed (streams_kernel), else the packed kernel
// read once per block of tiles (up to a megabyte of transformed input a block, at least a block
// a thread: the kernel library picks sizes in between by the same rates, winograd_tiles.h), and
// a fixed cost per call (packing the kernel, the workspaces). Fitted to 3x3 layers (Intel Xeon
// with AVX-512, 2 threads, float32; a pass as a third of the measured training step /
// modelled): N32 C64 56x56 17.8 / 20.1 ms, N16 C128 28x28 9.4 / 8.8, N8 C256 14x14 11.0 / 10.5,
// N32 C32 32x32 3.0 / 2.8, N8 C64 32x32 2.1 / 2.3, N8 C128 16x16 2.7 / 3.2.
double modelled_pass_seconds(const ConvGeometry& g, int threads) {
  const double tiles = static_cast<double>(g.batch) * static_cast<double>(tiles_along(g.out[0])) *
                       static_cast<double>(tiles_along(g.out[1]));
  const double in_g = static_cast<double>(g.in_per_group()), out = static_cast<double>(g.out_channels);
  const double macs = kPoints * tiles * in_g * out;
  const double transformed = kPoints * tiles * static_cast<double>(g.in_channels + g.out_channels);
  const double element = 4.0, rate = std::max(1, threads);
  const double tiles_per_block =
      std::max(1.0, std::min(double{1 << 20} / (kPoints * static_cast<double>(g.in_channels) * element),
                             tiles / std::max(1, threads)));
  const isa::RateScales scale = isa::rate_scales();
  double kernel_seconds = 0;
  if (streams_kernel(static_cast<int64_t>(tiles), g.in_channels, g.in_per_group(), g.out_channels, g.groups, threads)) {
    // The kernel's 36 points made once per block of tiles, in cache.
    const double block_bytes = static_cast<double>(kStreamedBlockBytes);
    const double blocks = std::ceil(tiles * kPoints * static_cast<double>(g.in_channels) * element / block_bytes);
    kernel_seconds = blocks * kPoints * in_g * out / (kValuesPerSecond * scale.bytes * rate);
  } else {
    const double kernel_bytes = std::ceil(tiles / tiles_per_block) * kPoints * in_g * out * element;
    kernel_seconds = kernel_bytes / (kBytesPerSecond * scale.bytes * rate);
  }
  return macs / (kMacsPerSecond * scale.product * rate) + transformed / (kValuesPerSecond * scale.bytes * rate) +
         kernel_seconds + 0.5e-3;
}

}  // namespace oaconv::winograd
