// Grad-weight pass of the spectral algorithms: GW[o, c] = sum_nt conj(G[nt, o]) X[nt, c] per
// group — a reduction over batch items and tiles, which is where overlap-add pays most: every
// tile's input spectrum from the forward pass and every grad-output window's spectrum (shared
// with the grad-input pass) are reused. The inverse FFT's first K taps per axis, taken every
// `dilation` samples and scaled by 1/(P_h P_w), are the kernel gradient.
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "tile_io.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

namespace oaconv::fft {

void grad_weight_chunk(const SpectralProblem& p, const at::Tensor& gy_spectrum, const at::Tensor& x_spectrum,
                       bool accumulate, at::Tensor& gw) {
  const ConvGeometry& g = p.g;
  const int64_t rows = gy_spectrum.size(0) / g.out_channels;  // n * T
  const int64_t cg = g.in_per_group(), og = g.out_per_group();
  at::Tensor gw_spectrum = new_spectrum(p, g.out_channels * cg, gw.options());
  {
    PhaseTimer timer(&PhaseTimes::spectral_product);
    AT_DISPATCH_FLOATING_TYPES(gw.scalar_type(), "oaconv::fft::grad_weight_product", [&] {
      for (int64_t group = 0; group < g.groups; ++group) {
        // A[o, nt] = G[nt, o] (conjugated), B[nt, c] = X[nt, c], C = GW[o, c].
        spectral_gemm<scalar_t>(og, cg, rows, 2 * p.spectrum_stride,
                                spectrum_matrix<scalar_t>(gy_spectrum, group * og, 1, g.out_channels), true,
                                spectrum_matrix<scalar_t>(x_spectrum, group * cg, g.in_channels, 1), false,
                                spectrum_matrix<scalar_t>(gw_spectrum, group * og * cg, cg, 1));
      }
    });
  }
  at::Tensor gw_planes = new_real_planes(p, g.out_channels * cg, gw.options(), /*zeroed=*/false);
  {
    PhaseTimer timer(&PhaseTimes::inverse_transform);
    inverse_fft(p, gw_spectrum, gw_planes);
  }
  PhaseTimer timer(&PhaseTimes::overlap_add);
  crop_grad_weight(p, gw_planes, 1.0 / static_cast<double>(p.real_plane), accumulate, gw);
  record_pass(static_cast<int64_t>(gy_spectrum.nbytes() + x_spectrum.nbytes() + gw_spectrum.nbytes()));
}

}  // namespace oaconv::fft
