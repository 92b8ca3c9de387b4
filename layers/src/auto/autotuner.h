#pragma once
// kAuto's memory: per (geometry, dtype, threads), the algorithm of each pass — measured on first
// sight (autotuner.cpp documents how), or modelled when measuring is off.
#include "../conv_geometry.h"

#include <oaconv/autotune.h>

#include <ATen/core/Tensor.h>

namespace oaconv::autotune {

// The algorithms kAuto runs this call with: remembered, else measured now on these tensors'
// shapes (only the passes this call can need: forward, plus the gradients when autograd will
// ask for them), else modelled.
// all_passes measures the gradient passes too, whatever autograd needs (a transposed
// convolution's forward is its adjoint's grad-input).
PassAlgorithms choose_for_call(const ConvGeometry& g, const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias,
                               bool all_passes = false);

// The remembered record of calls in this layout (channels_last: the input or the weight
// channels-last, channels_last_layout), or the model's (never measures).
AutotuneRecord lookup_or_model(const ConvGeometry& g, c10::ScalarType dtype, int threads, bool channels_last = false);

// channels_last names a layout only 2-D (NHWC) and 3-D (NDHWC) convolutions have: op's error otherwise.
void check_channels_last_rank(const ConvGeometry& g, bool channels_last, const char* op);

}  // namespace oaconv::autotune
