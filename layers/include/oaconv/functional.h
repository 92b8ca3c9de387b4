#pragma once
// oaconv::conv2d: torch::conv2d's semantics (cross-correlation, NCHW, zero padding), computed
// by the algorithm named in the options, with a custom autograd backward for each algorithm.
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>

namespace oaconv {

// input (N, C, H, W) or unbatched (C, H, W); weight (O, C / groups, kh, kw); bias (O) or
// undefined. Returns (N, O, Ho, Wo) (or (O, Ho, Wo) for an unbatched input).
at::Tensor conv2d(const at::Tensor& input, const at::Tensor& weight,
                  const at::Tensor& bias = {}, const Conv2dFuncOptions& options = {});

}  // namespace oaconv
