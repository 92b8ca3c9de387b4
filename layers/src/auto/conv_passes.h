#pragma once
// Each pass of a convolution — forward, grad-input, grad-weight — by any registered algorithm,
// on its own and without autograd: what `auto` times and mixes (cuDNN-style, one algorithm per
// pass). Candidates are the registry's entries, in its order (algorithm_registry.h).
#include "../algorithm_registry.h"
#include "../conv_geometry.h"

#include <oaconv/algorithm.h>

#include <ATen/core/Tensor.h>

namespace oaconv::autotune {

constexpr int kPasses = 3;

// The algorithms a pass can run with (kAuto excluded), in the order of their indices.
constexpr int kCandidates = kRegisteredAlgorithms;
Algorithm candidate(int index);  // aten, direct, fft, oaa
int candidate_index(Algorithm algorithm);

// y = bias + x ⋆ w (bias may be undefined).
at::Tensor run_forward(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g);
// d loss / d x given gy = d loss / d y.
at::Tensor run_grad_input(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                          const ConvGeometry& g);
// d loss / d w given gy.
at::Tensor run_grad_weight(Algorithm algorithm, const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                           const ConvGeometry& g);

// Forward + backward of every gradient with one algorithm through its autograd op (the work
// sharing between passes included), grad-output gy.
void run_training_step(Algorithm algorithm, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                       const ConvGeometry& g, const at::Tensor& gy);

}  // namespace oaconv::autotune
