#pragma once
// The algorithms a convolution pass can run with, in one table (as oneDNN's implementation
// list): for each, whether it declines a case and why, and its forward, grad-input and
// grad-weight passes on their own, without autograd, and its cost model. Dispatch, the one autograd node that runs
// any per-pass combination (conv_node.h), `auto`'s candidates and explain all read this
// table; adding an algorithm is one entry here.
#include "conv_geometry.h"

#include <oaconv/algorithm.h>

#include <ATen/core/Tensor.h>

#include <array>

namespace oaconv {

enum class ConvPass { kForward, kGradInput, kGradWeight };

struct AlgorithmEntry {
  Algorithm algorithm;
  // Why the algorithm does not run this case (explain prints it; the call falls back to aten,
  // auto skips the candidate), or nullptr when it does.
  const char* (*declines)(const ConvGeometry& g);
  // y = bias + x ⋆ w (bias may be undefined).
  at::Tensor (*forward)(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const ConvGeometry& g);
  // d loss / d x and d loss / d w, given gy = d loss / d y.
  at::Tensor (*grad_input)(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g);
  at::Tensor (*grad_weight)(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w, const ConvGeometry& g);
  // Passes that run with this same algorithm share transforms through fft::spectral_forward /
  // spectral_backward (forward's kernel spectrum serves grad-input, its input spectra serve
  // grad-weight, one grad-output transform serves both gradients).
  bool spectral;
  // The cost model's seconds of one pass on this case (auto's prior: which candidates are worth
  // measuring, and its choice when measuring is off).
  double (*modelled_pass_seconds)(const ConvGeometry& g, int threads);
  // Per-pass multipliers of that model (forward, grad-input, grad-weight), or nullptr for 1, 1, 1.
  std::array<double, 3> (*pass_factors)(const ConvGeometry& g) = nullptr;
  // Whether the pass reads a channels-last operand (x; gy) as it comes, where the others make
  // it NCHW first; nullptr: never. The autograd node keeps a channels-last grad-output so for
  // both gradients when either pass reads it so.
  bool (*takes_channels_last)(const ConvGeometry& g, at::ScalarType dtype, ConvPass pass) = nullptr;
};

// The entry's takes_channels_last, false where it has none.
bool takes_channels_last(const AlgorithmEntry& e, const ConvGeometry& g, at::ScalarType dtype, ConvPass pass);

constexpr int kRegisteredAlgorithms = kRunnableAlgorithms;

// aten first (the baseline every decision keeps unless clearly beaten), then direct, fft, oaa,
// winograd.
const std::array<AlgorithmEntry, kRegisteredAlgorithms>& algorithm_registry();

// The entry of a registered algorithm (not kAuto, which is resolved before anything runs).
const AlgorithmEntry& registry_entry(Algorithm algorithm);

}  // namespace oaconv
