#pragma once
// Moving data between images and tile planes of the spectral algorithms (see tiling.h).
//
// Per axis, tile t covers input samples [u, u + B), u = t*B, and sits at offset K-1 of its
// P-sample plane. Its correlation with the kernel fills plane samples n in [0, B + K - 1),
// which belong to the stride-1 ("full") output position u + pad - (K-1) + n. The grad-output
// window of tile t is the same span of full output positions; full position i holds
// gy[i / stride] when i is a multiple of the stride, and 0 otherwise (zero insertion).
//
// The depth axis (rank 3; a unit axis otherwise) works the same way. Tile planes are ordered
// [batch][tile depth][tile row][tile col][channel], matching the row index
// nt = (n * T + t) of the spectral products.
#include "spectral_problem.h"

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// Tensors have three spatial axes (unit ones in front for rank 1 and 2).
// x (n, C, D, H, W) -> planes [(n*T + t)*C + c]: tile t of channel c at offset K-1 per axis, zeros
// elsewhere (every value of the planes is written).
void gather_input_tiles(const SpectralProblem& p, const at::Tensor& x, at::Tensor& planes);

// gy (n, O, Do, Ho, Wo) -> planes [(n*T + t)*O + o]: the grad-output window of tile t, zeros elsewhere.
void gather_grad_output_windows(const SpectralProblem& p, const at::Tensor& gy, at::Tensor& planes);

// Overlap-add: y (n, O, Do, Ho, Wo) = bias + sum over tiles of planes [(n*T + t)*O + o], each
// sample added at its full output position when that position is kept by the stride.
void overlap_add_output_tiles(const SpectralProblem& p, const at::Tensor& planes, const at::Tensor& bias,
                              at::Tensor& y);

// gx (n, C, D, H, W): input sample u + v of tile t = plane [(n*T + t)*C + c] at v + K - 1. Tiles
// are disjoint in the input, so every sample is written exactly once.
void write_grad_input_tiles(const SpectralProblem& p, const at::Tensor& planes, at::Tensor& gx);

// gw (O, Cg, k...) (+)= scale * plane [o*Cg + c] at the dilated taps (c*dd, a*dh, b*dw).
void crop_grad_weight(const SpectralProblem& p, const at::Tensor& planes, double scale, bool accumulate,
                      at::Tensor& gw);

}  // namespace oaconv::fft
