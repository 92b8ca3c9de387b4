#pragma once
// Transforms of kernels, which have only k x k nonzero taps in a P_h x P_w plane, done as
// separable DFTs by matrix products instead of full FFTs:
//
//   W[u, v] = sum_{a<kh, b<kw} w[a, b] e^{-2 pi i (u a dh / P_h + v b dw / P_w)}
//           = (E_h w E_w)[u, v],   E_h: P_h x kh,  E_w: kw x (P_w/2 + 1)
//
// and, for the weight gradient, only the k x k taps of the inverse transform of a Hermitian
// half spectrum:
//
//   gw[a, b] = 1/(P_h P_w) sum_u sum_{v <= P_w/2} c_v Re(GW[u, v] e^{2 pi i (u a dh/P_h + v b dw/P_w)})
//
// with c_v = 2 except c_0 = 1 and c_{P_w/2} = 1 for even P_w (the columns that have no mirror
// image in the half spectrum). A full FFT would spend P log P work per plane to produce (or
// keep) k x k values; these products cost about P k per plane. The long axis (P_h rows of P_w/2+1
// frequencies against k taps) is a register-blocked product (dft_matrix_product.h), run per
// plane inside LibTorch's OpenMP pool: BLAS (OpenBLAS's own pthread pool) would fight the
// OpenMP workers for the cores and ignore the thread count the user set. Long kernels (many
// taps on an axis: 1-D filters) make the products cost more than whole FFTs of the planes; those
// are transformed by FFT instead (pruned_dft.cpp, taps_by_fft), and so are all 3-D ones.
#include "spectral_problem.h"

#include <ATen/core/Tensor.h>

namespace oaconv::fft {

// The kernel spectrum [O * Cg, stride, 2] of weight (O, Cg, k...) of any rank, scaled by
// 1/(P_d P_h P_w).
at::Tensor kernel_spectrum_by_dft(const SpectralProblem& p, const at::Tensor& weight);

// gw (O, Cg, k...) from the weight-gradient spectrum [O * Cg, stride, 2] (unscaled; it may be
// overwritten).
void grad_weight_by_inverse_dft(const SpectralProblem& p, at::Tensor& gw_spectrum, at::Tensor& gw);

}  // namespace oaconv::fft
