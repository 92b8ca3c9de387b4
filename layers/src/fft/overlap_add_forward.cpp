// Forward pass of the spectral algorithms: Y[nt, o] = sum_c X[nt, c] conj(W[o, c]) per group
// (cross-correlation is a product with the conjugate kernel spectrum), inverse FFT, then
// overlap-add of every tile's B+K-1 samples per axis into the output (tiles of the input are
// disjoint, so their correlations overlap by K-1 samples).
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "tile_io.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>

namespace oaconv::fft {

void forward_chunk(const SpectralProblem& p, const at::Tensor& x_spectrum, const at::Tensor& kernel_spectrum,
                   const at::Tensor& bias, at::Tensor& y) {
  const ConvGeometry& g = p.g;
  const int64_t rows = y.size(0) * p.tiles();
  const int64_t cg = g.in_per_group(), og = g.out_per_group();
  at::Tensor y_spectrum = new_spectrum(p, rows * g.out_channels, y.options());
  {
    PhaseTimer timer(&PhaseTimes::spectral_product);
    AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "oaconv::fft::forward_product", [&] {
      // Per group: A = X[nt, c], B[c, o] = W[o, c] (conjugated), C = Y[nt, o].
      spectral_gemm<scalar_t>(rows, og, cg, 2 * p.spectrum_stride,
                              spectrum_matrix<scalar_t>(x_spectrum, 0, g.in_channels, 1, cg), false,
                              spectrum_matrix<scalar_t>(kernel_spectrum, 0, 1, cg, og * cg), true,
                              spectrum_matrix<scalar_t>(y_spectrum, 0, g.out_channels, 1, og), false, g.groups);
    });
  }
  at::Tensor y_tiles = new_real_planes(p, rows * g.out_channels, y.options(), /*zeroed=*/false);
  {
    PhaseTimer timer(&PhaseTimes::inverse_transform);
    inverse_fft(p, y_spectrum, y_tiles);
  }
  PhaseTimer timer(&PhaseTimes::overlap_add);
  overlap_add_output_tiles(p, y_tiles, bias, y);
}

}  // namespace oaconv::fft
