#pragma once
// Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) over blocks of tiles that stay in the core's cache.
//
// A 4x4 block of a 3x3 correlation's output is Y = A^T [(G g G^T) ⊙ (B^T d B)] A, from the 6x6
// input tile d whose top-left is the block's, with the interpolation points 0, ±1, ±2 and ∞:
//
//   B^T = [4  0 -5  0  1  0]    G = [ 1/4     0     0 ]    A^T = [1  1  1  1  1  0]
//         [0 -4 -4  1  1  0]        [-1/6  -1/6  -1/6 ]          [0  1 -1  2 -2  0]
//         [0  4 -4 -1  1  0]        [-1/6   1/6  -1/6 ]          [0  1  1  4  4  0]
//         [0 -2 -1  2  1  0]        [1/24  1/12   1/6 ]          [0  1 -1  8 -8  1]
//         [0  2 -1 -2  1  0]        [1/24 -1/12   1/6 ]
//         [0  4  0 -5  0  1]        [  0     0     1  ]
//
// 36 multiplies per 16 outputs instead of 144: the 36 points of a tile are 36 independent
// channel-contracting matrix products, one per point.
//
// Tiles are numbered (n, tile row, tile column), TH = ceil(out_h / 4) rows of TW = ceil(out_w / 4)
// a image. A task takes a block of whole tile rows (about a megabyte of transformed tiles),
// transforms them for every channel, runs the 36 products on them with register-blocked SIMD
// kernels while they are in L2, and transforms the result back: the transformed tiles (36/16 of
// the tensors they come from) never go through memory.
#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>

namespace oaconv::winograd {

constexpr int64_t kTile = 4;    // outputs per tile and axis
constexpr int64_t kWindow = 6;  // inputs per tile and axis: kTile + 3 - 1
constexpr int64_t kPoints = kWindow * kWindow;
// Output channels per block of a packed kernel: the products' register blocks hold this many
// rows (times 2 or 4 vectors of tiles).
constexpr int64_t kKernelRows = 6;

// Rates of one thread of this pipeline (fits on the Intel Xeon with AVX-512 it was tuned on):
// the products' multiply-adds, values through a transform, and bytes from beyond L2 (the packed
// kernel or the sums a block reads whole). The block sizes here and the cost model `auto` reads
// (winograd_conv.cpp) both use them.
constexpr double kMacsPerSecond = 55e9;
constexpr double kValuesPerSecond = 1.7e9;
constexpr double kBytesPerSecond = 6e9;

// The packed transformed kernel's shape for O output and `in_per_group` input channels:
// (groups, 36, ceil(O / groups / 6), in_per_group, 6), each block of 6 output channels of a group
// with its 6 values of one input channel adjacent (rows past the group's last are zero).
inline int64_t kernel_row_blocks(int64_t out_per_group) { return (out_per_group + kKernelRows - 1) / kKernelRows; }

// u (packed as above) = G g G^T of every kernel g of the correlation with w (O, C / groups,
// 3, 3), or, `transposed`, of the correlation grad-input runs: per group, in and out channels
// swapped and each kernel flipped (g[c][o] = w[o][c] rotated by 180 degrees).
void pack_kernel_transform(const at::Tensor& w, int64_t groups, bool transposed, at::Tensor& u);

// y (N, O, out_h, out_w) = bias + the stride-1 3x3 correlation of src (N, C, H, W), placed with
// its row 0 at padded row `top` and column 0 at `left` of zeros (negative: cropped), with the
// packed transformed kernel u (above); bias (O) or undefined. Every tensor contiguous.
void correlate_tiles(const at::Tensor& src, const at::Tensor& u, const at::Tensor& bias, int64_t groups, int64_t top,
                     int64_t left, at::Tensor& y);

// Hands out an uninitialised contiguous tensor (liboaconv's pool of workspaces: a fresh
// allocation of tens of MiB is page-faulted in on first touch every call).
using WorkspaceAllocator = at::Tensor (*)(at::IntArrayRef sizes, const at::TensorOptions& options);

// gw (O, C / groups, 3, 3) = G^T Q G per kernel, Q the sum over every tile of (A dY A^T) ⊙
// (B^T d B): d the 6x6 tiles of x (N, C, H, W) placed at (top, left) as above, dY the 4x4 tiles
// of gy (N, O, out_h, out_w), zero past its edges. Workspaces beyond the per-thread blocks stay
// within workspace_bytes and come from `workspace`.
void grad_weight_tiles(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                       int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw);

}  // namespace oaconv::winograd
