#include "kernel_spectrum.h"

#include "profiling_internal.h"
#include "pruned_dft.h"
#include "../kernel_transform_cache.h"

#include <ATen/ATen.h>

namespace oaconv::fft {

at::Tensor compute_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight) {
  PhaseTimer timer(&PhaseTimes::kernel_transform);
  // k x k taps in a P_h x P_w plane: a pruned DFT by matrix products beats a full FFT.
  // The weight's taps are read in order, whatever its rank (the unit leading axes hold none).
  return kernel_spectrum_by_dft(p, weight);
}

at::Tensor cached_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight) {
  const KernelTransformKind kind{KernelTransformKind::kSpectrum,
                                 {p.tiling.depth.fft, p.tiling.rows.fft, p.tiling.cols.fft, p.g.dilation[0],
                                  p.g.dilation[1], p.g.dilation[2]}};
  return KernelTransformCache::instance().get(weight, kind,
                                              [&](const at::Tensor& w, const at::Tensor&) {
    return compute_kernel_spectrum(p, w);
  });
}

}  // namespace oaconv::fft
