// Grad-weight pass of the spectral algorithms: GW[o, c] = sum_nt conj(G[nt, o]) X[nt, c] per
// group — a reduction over batch items and tiles, which is where overlap-add pays most: every
// tile's input spectrum from the forward pass and every grad-output window's spectrum (shared
// with the grad-input pass) are reused. The inverse transform's first K taps per axis, taken
// every `dilation` samples and scaled by 1/(P_h P_w), are the kernel gradient; only those are
// computed (pruned_dft.h).
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "pruned_dft.h"
#include "tile_io.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

namespace oaconv::fft {

void grad_weight_spectrum(const SpectralProblem& p, const at::Tensor& gy_spectrum,
                          const at::Tensor& x_spectrum, at::Tensor& gw_spectrum) {
  const ConvGeometry& g = p.g;
  const int64_t rows = gy_spectrum.size(0) / g.out_channels;  // n * T
  const int64_t cg = g.in_per_group(), og = g.out_per_group();
  PhaseTimer timer(&PhaseTimes::spectral_product);
  AT_DISPATCH_FLOATING_TYPES(gw_spectrum.scalar_type(), "oaconv::fft::grad_weight_product", [&] {
    // Per group: A[o, nt] = G[nt, o] (conjugated), B[nt, c] = X[nt, c], C = GW[o, c] (overwritten).
    spectral_gemm<scalar_t>(og, cg, rows, 2 * p.spectrum_stride,
                            spectrum_matrix<scalar_t>(gy_spectrum, 0, 1, g.out_channels, og), true,
                            spectrum_matrix<scalar_t>(x_spectrum, 0, g.in_channels, 1, cg), false,
                            spectrum_matrix<scalar_t>(gw_spectrum, 0, cg, 1, og * cg), false, g.groups);
  });
}

void grad_weight_from_spectrum(const SpectralProblem& p, at::Tensor& gw_spectrum, at::Tensor& gw) {
  // Only k x k taps of each inverse are wanted: a pruned inverse DFT by matrix products.
  PhaseTimer timer(&PhaseTimes::inverse_transform);
  grad_weight_by_inverse_dft(p, gw_spectrum, gw);
}

}  // namespace oaconv::fft
