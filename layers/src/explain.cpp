#include <oaconv/explain.h>

#include "algorithm_choice.h"
#include "conv_geometry.h"
#include "fft/tiling.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <sstream>

namespace oaconv {

std::string explain_conv2d(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                           const Conv2dFuncOptions& options, c10::ScalarType dtype) {
  // Meta tensors carry the sizes through the same validation as a real call, without data.
  const auto meta = at::TensorOptions().device(at::kMeta).dtype(dtype);
  const at::Tensor x = at::empty(input_sizes, meta), w = at::empty(weight_sizes, meta);
  const ConvGeometry g = make_conv_geometry(x, w, at::Tensor(), options, "oaconv::explain_conv2d");
  const int threads = at::get_num_threads();
  const Algorithm resolved = resolve_algorithm(options.algorithm(), g, dtype, at::kCPU);
  std::ostringstream s;
  s << "convolution: " << g.to_string() << " -> output " << g.out_h << "x" << g.out_w << "\n"
    << "direct-equivalent multiply-adds per forward: " << g.forward_macs() << "\n"
    << "requested " << to_string(options.algorithm()) << ", runs " << to_string(resolved) << " (" << threads
    << " threads)\n";
  for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
    const fft::Tiling t = fft::choose_tiling(a, g, threads);
    s << to_string(a) << ": " << t.to_string() << ", modelled training step "
      << fft::modelled_step_seconds(g, t, threads) * 1e3 << " ms\n";
  }
  return s.str();
}

}  // namespace oaconv
