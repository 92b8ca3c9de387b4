#pragma once
// oaconv's convolutions, functional form: torch::nn::functional's semantics (cross-correlation,
// channels first, zero padding) for 1, 2 and 3 spatial axes and their transposed forms, computed
// by the algorithm named in the options, with oaconv's own backward for each algorithm.
#include <oaconv/options.h>

#include <ATen/core/Tensor.h>

namespace oaconv {

// input (N, C, spatial...) or unbatched (C, spatial...); weight (O, C / groups, kernel...);
// bias (O) or undefined. Returns (N, O, out...) (or (O, out...) for an unbatched input).
at::Tensor conv1d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                  const Conv1dFuncOptions& options = {});
at::Tensor conv2d(const at::Tensor& input, const at::Tensor& weight,
                  const at::Tensor& bias = {}, const Conv2dFuncOptions& options = {});
at::Tensor conv3d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                  const Conv3dFuncOptions& options = {});

// The transposed convolutions (the adjoint of conv*d, as torch's conv_transpose*d): input
// (N, C, spatial...) or unbatched; weight (C, O / groups, kernel...); bias (O) or undefined.
at::Tensor conv_transpose1d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                            const ConvTranspose1dFuncOptions& options = {});
at::Tensor conv_transpose2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                            const ConvTranspose2dFuncOptions& options = {});
at::Tensor conv_transpose3d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias = {},
                            const ConvTranspose3dFuncOptions& options = {});

}  // namespace oaconv
