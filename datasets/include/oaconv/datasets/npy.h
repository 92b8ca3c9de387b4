#pragma once
// NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html)
// for float32 and float64 arrays in C order: kernels in, filtered images out.
#include <ATen/core/Tensor.h>

#include <string>

namespace oaconv::datasets {

// Reads a little-endian '<f4' or '<f8' array with fortran_order False, versions 1.0-3.0; any
// other dtype, Fortran order, a malformed header or a truncated file gives a c10::Error naming
// the path and what is wrong.
at::Tensor read_npy(const std::string& path);

// Writes a float32 or float64 tensor (any shape) as version 1.0 .npy, atomically.
void write_npy(const std::string& path, const at::Tensor& array);

}  // namespace oaconv::datasets
