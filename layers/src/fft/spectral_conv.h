#pragma once
// The spectral algorithms (kFft, kOverlapAdd): their passes, sharing transforms between them.
#include "../conv_geometry.h"

#include <oaconv/algorithm.h>

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// The passes without autograd, for oaconv's autograd node (conv_node.h) and the registry.
// Forward transforms the input tiles once and keeps their spectra for the weight gradient
// (when they fit the workspace limit), takes the kernel spectrum from the cache; backward
// transforms the grad-output once for both gradients.
struct SpectralForward {
  at::Tensor y;
  at::Tensor kernel_spectrum;  // W, for grad-input
  at::Tensor input_spectra;    // X of every image, if kept (keep_input_spectra and it fits the workspace limit)
};
SpectralForward spectral_forward(const ConvGeometry& g, Algorithm algorithm, const at::Tensor& x, const at::Tensor& w,
                                 const at::Tensor& bias, bool keep_input_spectra);

struct SpectralGradients {
  at::Tensor gx, gw;  // undefined when not asked for
};
// kernel_spectrum and input_spectra are forward's (same geometry and algorithm) or undefined, in
// which case they are taken from the cache / transformed here.
SpectralGradients spectral_backward(const ConvGeometry& g, Algorithm algorithm, const at::Tensor& x, const at::Tensor& w,
                                    const at::Tensor& gy, bool want_gx, bool want_gw, at::Tensor kernel_spectrum,
                                    const at::Tensor& input_spectra);

}  // namespace oaconv::fft
