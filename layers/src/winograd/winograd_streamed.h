#pragma once
// The F(4x4, 3x3) pipeline for few tiles and many channels (winograd_tiles.h's maths): the small
// images of deep layers (ResNet's 8x8 and 4x4 stages), where the packed transformed kernel, 4x
// the weight (9.4 MB for 256 x 256 kernels, 38 MB for 512 x 512), costs more to write and read
// than the products that use it (36 x tiles multiply-adds per kernel).
//
// A block of tiles (the whole batch where it fits) is transformed once and stays in L2; tasks
// take 24 output channels each and transform their part of the kernel on the fly, a chunk of
// input channels at a time, right before the 36 per-point products use it: the transformed
// kernel never goes through memory, and the weight is read once a block. grad-weight likewise:
// per task (24 output by 64 input channels) the 36 per-point sums over all tiles, then G^T Q G,
// written to the weight's gradient directly.
#include "winograd_tiles.h"

#include <ATen/core/Tensor.h>

namespace oaconv::winograd {

// A block's transformed input tiles, shared by every task: within the 2 MiB L2 of the cores this
// was tuned on (Intel Xeon, AVX-512) beside a task's kernel chunk and point sums (with less L2
// they are re-read from L3 by each task).
constexpr int64_t kStreamedBlockBytes = int64_t{3} << 19;

// y (N, O', out_h, out_w) = bias + the stride-1 3x3 correlation of src (N, C', H, W) placed at
// (top, left) of zeros (as correlate_tiles), with w's (O, C / groups, 3, 3) kernels or
// (`transposed`) grad-input's: w's channels swapped per group and its kernels flipped. Every
// tensor contiguous; bias (O') or undefined; at least one input channel (the block of tiles is
// sized by it). Where it beats pack_kernel_transform + correlate_tiles, which is never for an
// empty batch or channel dimension: streams_kernel (winograd_conv.cpp).
void correlate_streamed(const at::Tensor& src, const at::Tensor& w, const at::Tensor& bias, int64_t groups,
                        bool transposed, int64_t top, int64_t left, WorkspaceAllocator workspace, at::Tensor& y);

// grad_weight_tiles' gw, every tile's transforms made once (within workspace_bytes: else false,
// gw untouched). Faster than grad_weight_tiles where the tiles are few (winograd_conv.cpp).
bool grad_weight_streamed(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                          int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw);

}  // namespace oaconv::winograd
