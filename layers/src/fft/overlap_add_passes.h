#pragma once
// The passes of the spectral algorithms (`oaa`, and `fft`, its one-tile case), for one chunk
// of the batch. Row index nt = n * T + t runs over (batch item, tile); see tiling.h and
// tile_io.h for where tiles sit, and spectral_gemm.h for the products:
//
//   forward:      Y[nt, o]  = sum_c X[nt, c] conj(W[o, c])      -> inverse FFT -> overlap-add
//   grad input:   GX[nt, c] = sum_o G[nt, o] W[o, c]            -> inverse FFT -> tile write
//   grad weight:  GW[o, c]  = sum_nt conj(G[nt, o]) X[nt, c]    -> inverse FFT -> crop k x k
//
// X: input tiles' spectra, W: kernel spectra (scaled by 1/(P_h P_w)), G: grad-output windows'
// spectra. Each product reduces only within a group.
#include "spectral_problem.h"

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// X for x (n, C, H, W): gather tiles, forward FFT into `spectrum` [n*T*C, stride, 2].
void transform_input(const SpectralProblem& p, const at::Tensor& x, at::Tensor spectrum);
// G for gy (n, O, Ho, Wo): gather windows (zero-inserted for stride), forward FFT into
// `spectrum` [n*T*O, stride, 2].
void transform_grad_output(const SpectralProblem& p, const at::Tensor& gy, at::Tensor spectrum);

// y (n, O, Ho, Wo) = bias + x ⋆ w, from X and W.
void forward_chunk(const SpectralProblem& p, const at::Tensor& x_spectrum, const at::Tensor& kernel_spectrum,
                   const at::Tensor& bias, at::Tensor& y);
// gx (n, C, H, W) from G and W.
void grad_input_chunk(const SpectralProblem& p, const at::Tensor& gy_spectrum, const at::Tensor& kernel_spectrum,
                      at::Tensor& gx);
// GW [O * Cg, stride, 2] = the weight-gradient spectrum summed over every row of G and X.
void grad_weight_spectrum(const SpectralProblem& p, const at::Tensor& gy_spectrum,
                          const at::Tensor& x_spectrum, at::Tensor& gw_spectrum);
// gw (O, Cg, kh, kw) from the summed GW (destroyed): inverse FFT, first K taps every dilation.
void grad_weight_from_spectrum(const SpectralProblem& p, at::Tensor& gw_spectrum, at::Tensor& gw);

}  // namespace oaconv::fft
