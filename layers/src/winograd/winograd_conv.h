#pragma once
// The `winograd` algorithm: F(4x4, 3x3) minimal filtering (winograd_transforms.h) for 2-D 3x3
// layers at stride 1 and dilation 1, any padding and groups, in all three passes:
//  - forward: the input's tiles and the kernel transformed, then per tile point (36) one batched
//    matrix product over the channels of each group (BLAS), then the output transform;
//  - grad-input: the same on the grad-output padded by 2 - padding, with the kernel flipped and
//    its channels swapped per group (a stride-1 correlation, as in the direct algorithm);
//  - grad-weight: the input's tiles and the grad-output's tiles (A dY A^T) transformed, per point
//    a product reducing over every tile of the batch, then G^T Q G back to 3x3.
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
