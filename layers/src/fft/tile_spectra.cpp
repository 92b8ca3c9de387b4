// Forward transforms of input tiles and grad-output windows (shared by all three passes).
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "tile_io.h"

#include <ATen/ATen.h>

namespace oaconv::fft {

void transform_input(const SpectralProblem& p, const at::Tensor& x, at::Tensor spectrum) {
  PhaseTimer timer(&PhaseTimes::input_transform);
  const int64_t planes = x.size(0) * p.tiles() * p.g.in_channels;
  TORCH_INTERNAL_ASSERT(spectrum.size(0) == planes);
  at::Tensor real = new_real_planes(p, planes, x.options(), /*zeroed=*/false);
  gather_input_tiles(p, x, real);
  forward_fft(p, real, spectrum);
}

void transform_grad_output(const SpectralProblem& p, const at::Tensor& gy, at::Tensor spectrum) {
  PhaseTimer timer(&PhaseTimes::input_transform);
  const int64_t planes = gy.size(0) * p.tiles() * p.g.out_channels;
  TORCH_INTERNAL_ASSERT(spectrum.size(0) == planes);
  at::Tensor real = new_real_planes(p, planes, gy.options(), /*zeroed=*/false);
  gather_grad_output_windows(p, gy, real);
  forward_fft(p, real, spectrum);
}

}  // namespace oaconv::fft
