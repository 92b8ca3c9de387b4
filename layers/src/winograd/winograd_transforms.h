#pragma once
// The tile transforms of Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016), over whole rows of tiles at once.
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
// channel-contracting matrix products (one per point, over every tile of the batch).
//
// Layouts: "point planes" (36, channels, tiles) with tiles = N * TH * TW in (n, tile row, tile
// column) order, TH = ceil(out_h / 4), TW = ceil(out_w / 4). The loops run a whole row of TW
// tiles together, contiguous in every point plane, so they vectorise along the tile row.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace oaconv::winograd {

constexpr int64_t kTile = 4;    // outputs per tile and axis
constexpr int64_t kWindow = 6;  // inputs per tile and axis: kTile + 3 - 1
constexpr int64_t kPoints = kWindow * kWindow;

// v (36, C, N*TH*TW) = B^T d B of every 6x6 tile of xp (N, C, 4*TH + 2, 4*TW + 2), contiguous:
// the input, zero-padded so that tile (i, j) starts at row 4i, column 4j.
void input_tiles_transform(const at::Tensor& xp, int64_t tile_rows, int64_t tile_cols, at::Tensor& v);

// y (N, O, out_h, out_w) = bias + A^T m A of every tile's 36 points in m (36, O, N*TH*TW), each
// tile cropped to the output; bias (O) or undefined.
void output_tiles_transform(const at::Tensor& m, const at::Tensor& bias, int64_t tile_rows, int64_t tile_cols,
                            at::Tensor& y);

// u (36, O, N*TH*TW) = A q A^T of every 4x4 tile q of gyp (N, O, 4*TH, 4*TW), contiguous: the
// grad-output, zero-padded to whole tiles. (The adjoint of the output transform, for the
// weight gradient: dL/dg = G^T [(A dY A^T) ⊙ (B^T d B)] G summed over tiles.)
void grad_output_tiles_transform(const at::Tensor& gyp, int64_t tile_rows, int64_t tile_cols, at::Tensor& u);

}  // namespace oaconv::winograd
