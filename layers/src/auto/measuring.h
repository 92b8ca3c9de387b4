#pragma once
// How `auto` measures a configuration (measuring.cpp documents the rules).
#include "autotune_cache_file.h"
#include "../conv_geometry.h"

#include <ATen/core/Tensor.h>

namespace oaconv::autotune {

// Measures the passes of `e` not measured yet (the forward; the gradients too when `backward`)
// on the call's own input and weight and a random grad-output, then decides e.algorithms.
void measure(const ConvGeometry& g, const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
             bool backward, Entry& e);

}  // namespace oaconv::autotune
