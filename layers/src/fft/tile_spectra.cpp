// Forward transforms of input tiles and grad-output windows (shared by all three passes).
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "tile_io.h"

#include <ATen/ATen.h>

namespace oaconv::fft {

at::Tensor transform_input(const SpectralProblem& p, const at::Tensor& x) {
  PhaseTimer timer(&PhaseTimes::input_transform);
  const int64_t planes = x.size(0) * p.tiles() * p.g.in_channels;
  at::Tensor real = new_real_planes(p, planes, x.options(), /*zeroed=*/false);
  gather_input_tiles(p, x, real);
  at::Tensor spectrum = new_spectrum(p, planes, x.options());
  forward_fft(p, real, spectrum);
  return spectrum;
}

at::Tensor transform_grad_output(const SpectralProblem& p, const at::Tensor& gy) {
  PhaseTimer timer(&PhaseTimes::input_transform);
  const int64_t planes = gy.size(0) * p.tiles() * p.g.out_channels;
  at::Tensor real = new_real_planes(p, planes, gy.options(), /*zeroed=*/false);
  gather_grad_output_windows(p, gy, real);
  at::Tensor spectrum = new_spectrum(p, planes, gy.options());
  forward_fft(p, real, spectrum);
  return spectrum;
}

}  // namespace oaconv::fft
