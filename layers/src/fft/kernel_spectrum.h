#pragma once
// Kernel spectra W = FFT(w), made once per weight version (kernel_transform_cache.h).
#include "spectral_problem.h"

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// W[o * Cg + c] = FFT of w[o, c] dilated and zero-padded to the transform size, scaled by 1/P
// (so forward and grad-input results come out of the inverse FFT already normalised).
// Layout [O * Cg, stride, 2].
at::Tensor compute_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight);

// The same, from the process-wide cache of kernel transforms when `weight` has not changed.
at::Tensor cached_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight);

}  // namespace oaconv::fft
