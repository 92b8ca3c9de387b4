#pragma once
// `--kernel SPEC` of `oaconv filter`: gaussian:SIZE:SIGMA, box:SIZE, or a kernel file — a .npy
// array or a text matrix (one row per line, numbers separated by spaces or commas, '#' comments).
#include <ATen/core/Tensor.h>

#include <string>

namespace oaconv::apps {

// The kernel as a (kh, kw) float64 tensor; a c10::Error naming the spec and the rule otherwise.
at::Tensor kernel_from_spec(const std::string& spec);

}  // namespace oaconv::apps
