#include <oaconv/explain.h>

#include <oaconv/autotune.h>

#include "algorithm_choice.h"
#include "algorithm_registry.h"
#include "conv_geometry.h"
#include "fft/tiling.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <iomanip>
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
  s << "convolution: " << g.to_string() << " -> output " << g.out[0] << "x" << g.out[1] << "\n"
    << "direct-equivalent multiply-adds per forward: " << g.forward_macs() << "\n"
    << "requested " << to_string(options.algorithm());
  if (options.algorithm() == Algorithm::kAuto) {
    s << ": one algorithm per pass, below (" << threads << " threads)\n";
  } else {
    s << ", runs " << to_string(resolved) << " (" << threads << " threads)\n";
  }
  for (const AlgorithmEntry& e : algorithm_registry()) {
    if (const char* reason = e.declines(g)) s << to_string(e.algorithm) << " declines this case: " << reason << "\n";
  }
  for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
    const fft::Tiling t = fft::choose_tiling(a, g, threads);
    s << to_string(a) << ": " << t.to_string() << ", modelled training step "
      << fft::modelled_step_seconds(g, t, threads) * 1e3 << " ms\n";
  }
  if (options.algorithm() == Algorithm::kAuto) {
    const AutotuneRecord r = auto_pass_algorithms(input_sizes, weight_sizes, options, dtype);
    s << "auto, per pass (" << (r.measured ? "measured on this machine" : "cost model: not measured yet")
      << (autotune_enabled() ? "" : ", autotuning off") << "): forward " << to_string(r.algorithms.forward)
      << ", grad_input " << to_string(r.algorithms.grad_input) << ", grad_weight "
      << to_string(r.algorithms.grad_weight) << "\n";
    s << "  ms per pass   " << std::setw(9) << "aten" << std::setw(9) << "direct" << std::setw(9) << "fft"
      << std::setw(9) << "oaa"
      << "   (- = not run: the model put it over 4x the best, or its forward took 4x the best forward "
         "(direct: 3x the pass's best)"
      << (fft::overlap_add_is_fft(g, threads)
              ? "; oaa's tiling is fft's, so fft's code: timed once, as fft)\n"
              : ")\n");
    const char* names[] = {"forward", "grad_input", "grad_weight"};
    for (int pass = 0; pass < 3; ++pass) {
      s << "  " << std::left << std::setw(12) << names[pass] << std::right;
      for (double t : r.seconds[pass]) {
        if (t < 0) {
          s << std::setw(9) << "-";
        } else {
          s << std::setw(9) << std::fixed << std::setprecision(3) << t * 1e3;
        }
      }
      s << "\n";
    }
    s << "  whole training step ms (autograd, fresh weight each step):";
    const char* algos[] = {"aten", "direct", "fft", "oaa"};
    bool any = false;
    for (int c = 0; c < 4; ++c) {
      if (r.step_seconds[c] >= 0) s << " " << algos[c] << " " << std::fixed << std::setprecision(3) << r.step_seconds[c] * 1e3, any = true;
    }
    if (r.mix_step_seconds >= 0) s << " per-pass mix " << r.mix_step_seconds * 1e3, any = true;
    s << (any ? "\n" : " none (inference only, a single contender, or not measured)\n");
    s << "  rule: the per-pass fastest make a mix; the fastest measured whole step wins (aten unless beaten by 3 %;\n"
         "        aten's step is not timed when its passes took over 2x the best spectral algorithm's)\n";
  }
  return s.str();
}

std::string spectral_tiling(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                            const Conv2dFuncOptions& options, Algorithm algorithm) {
  TORCH_CHECK(algorithm == Algorithm::kFft || algorithm == Algorithm::kOverlapAdd,
              "oaconv::spectral_tiling: expected fft or oaa, but got ", to_string(algorithm));
  const auto meta = at::TensorOptions().device(at::kMeta).dtype(c10::kFloat);
  const ConvGeometry g = make_conv_geometry(at::empty(input_sizes, meta), at::empty(weight_sizes, meta), at::Tensor(),
                                            options, "oaconv::spectral_tiling");
  return fft::choose_tiling(algorithm, g, at::get_num_threads()).to_string();
}

}  // namespace oaconv
