#pragma once
// The `winograd` algorithm: F(4x4, 3x3) minimal filtering (winograd_tiles.h) for 2-D 3x3
// layers at stride 1 and dilation 1, any padding and groups, in all three passes:
//  - forward: the kernel transformed (G w G^T) and packed, then per block of tiles the input
//    transform, the 36 per-point products over each group's channels and the output transform;
//  - grad-input: the same on the grad-output placed at 2 - padding, with the kernel flipped and
//    its channels swapped per group (a stride-1 correlation, as in the direct algorithm);
//  - grad-weight: per block of tiles the input's tiles (B^T d B) and the grad-output's (A dY
//    A^T), a per-point product reducing over the block's tiles into a sum per thread, then
//    G^T Q G back to 3x3.
#include "../conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::winograd {

// Why winograd does not run this case, or nullptr.
const char* declines(const ConvGeometry& g);

at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g);
at::Tensor grad_input(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g);
at::Tensor grad_weight(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g);

// The cost model's seconds of one pass (auto's prior).
double modelled_pass_seconds(const ConvGeometry& g, int threads);

}  // namespace oaconv::winograd
