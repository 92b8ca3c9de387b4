#pragma once
// 2x2 max pooling with stride 2, the pooling of the target classifier's stages.
//
// Same result, indices and gradient as at::max_pool2d(x, {2, 2}) (floor mode: an odd last row
// or column is dropped; the first maximum of a window wins; a NaN propagates), but one
// streaming pass over the input. LibTorch 1.13's NCHW CPU max-pool takes 8.3 ms on a
// 64x16x64x64 float batch at 2 threads, 12x a plain read of the data and more than the
// OaA convolution in front of it; this kernel takes well under a millisecond there.
// The backward pass is LibTorch's own max_pool2d_with_indices_backward, fed our indices.
#include <ATen/core/Tensor.h>

namespace oaconv::training {

// x: (N, C, H, W) or (C, H, W), floating point, H and W >= 2. Differentiable in x.
at::Tensor max_pool_2x2(const at::Tensor& x);

// The forward pass alone: (pooled, indices), indices as at::max_pool2d_with_indices gives them
// (int64, position h * W + w inside the input plane).
std::tuple<at::Tensor, at::Tensor> max_pool_2x2_with_indices(const at::Tensor& x);

}  // namespace oaconv::training
