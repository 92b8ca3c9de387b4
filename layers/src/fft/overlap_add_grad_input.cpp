// Grad-input pass of the spectral algorithms: GX[nt, c] = sum_o G[nt, o] W[o, c] per group
// (the adjoint of correlation is convolution: no conjugate), inverse FFT, then each tile's B
// samples per axis (from offset K-1) written to its disjoint part of the input gradient.
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "tile_io.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

namespace oaconv::fft {

void grad_input_chunk(const SpectralProblem& p, const at::Tensor& gy_spectrum, const at::Tensor& kernel_spectrum,
                      at::Tensor& gx) {
  const ConvGeometry& g = p.g;
  const int64_t rows = gx.size(0) * p.tiles();
  const int64_t cg = g.in_per_group(), og = g.out_per_group();
  at::Tensor gx_spectrum = new_spectrum(p, rows * g.in_channels, gx.options());
  {
    PhaseTimer timer(&PhaseTimes::spectral_product);
    AT_DISPATCH_FLOATING_TYPES(gx.scalar_type(), "oaconv::fft::grad_input_product", [&] {
      // Per group: A = G[nt, o], B[o, c] = W[o, c], C = GX[nt, c].
      spectral_gemm<scalar_t>(rows, cg, og, 2 * p.spectrum_stride,
                              spectrum_matrix<scalar_t>(gy_spectrum, 0, g.out_channels, 1, og), false,
                              spectrum_matrix<scalar_t>(kernel_spectrum, 0, cg, 1, og * cg), false,
                              spectrum_matrix<scalar_t>(gx_spectrum, 0, g.in_channels, 1, cg), false, g.groups);
    });
  }
  at::Tensor gx_tiles = new_real_planes(p, rows * g.in_channels, gx.options(), /*zeroed=*/false);
  {
    PhaseTimer timer(&PhaseTimes::inverse_transform);
    inverse_fft(p, gx_spectrum, gx_tiles);
  }
  PhaseTimer timer(&PhaseTimes::overlap_add);
  write_grad_input_tiles(p, gx_tiles, gx);
}

}  // namespace oaconv::fft
