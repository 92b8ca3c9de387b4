#include <oaconv/explain.h>

#include <oaconv/autotune.h>

#include "algorithm_choice.h"
#include "algorithm_registry.h"
#include "auto/autotuner.h"
#include "conv_geometry.h"
#include "fft/tiling.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <iomanip>
#include <sstream>

namespace oaconv {

namespace {

// The explanation of one geometry (any rank, transposed or not).
std::string explain_geometry(const ConvGeometry& g, Algorithm requested, c10::ScalarType dtype, bool channels_last) {
  const int threads = at::get_num_threads();
  const Algorithm resolved = resolve_algorithm(requested, g, dtype, at::kCPU);
  std::ostringstream s;
  std::ostringstream out;
  const auto& sizes = g.transposed ? g.in : g.out;
  for (int a = 0; a < g.rank; ++a) out << (a ? "x" : "") << sizes[a];
  s << "convolution: " << g.to_string() << " -> output " << out.str() << "\n"
    << "direct-equivalent multiply-adds per forward: " << g.forward_macs() << "\n";
  if (g.transposed) {
    s << "transposed: its passes are the adjoint convolution's (" << g.rank
      << "-D), re-assigned: forward = the adjoint's grad_input, grad_input = its forward, grad_weight = its "
         "grad_weight\n";
  }
  s << "layout: " << (channels_last ? "channels-last (input or weight)" : "contiguous") << "\n";
  s << "requested " << to_string(requested);
  if (requested == Algorithm::kAuto) {
    s << ": one algorithm per pass, below (" << threads << " threads)\n";
  } else {
    s << ", runs " << to_string(resolved) << " (" << threads << " threads)\n";
  }
  if (!ours_can_run(g, dtype, at::kCPU)) s << "only aten runs this case (device, dtype, no channels or output_padding >= stride)\n";
  for (const AlgorithmEntry& e : algorithm_registry()) {
    if (const char* reason = e.declines(g)) s << to_string(e.algorithm) << " declines this case: " << reason << "\n";
  }
  for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
    if (registry_entry(a).declines(g) != nullptr) continue;
    const fft::Tiling t = fft::choose_tiling(a, g, threads);
    s << to_string(a) << ": " << t.to_string() << ", modelled training step "
      << fft::modelled_step_seconds(g, t, threads) * 1e3 << " ms\n";
  }
  if (requested == Algorithm::kAuto) {
    const AutotuneRecord r = autotune::lookup_or_model(g, dtype, threads, channels_last);
    // The record is of the adjoint's passes; a transposed call runs them re-assigned.
    const PassAlgorithms& a = r.algorithms;
    const PassAlgorithms runs = g.transposed ? PassAlgorithms{a.grad_input, a.forward, a.grad_weight} : a;
    s << "auto, per pass (" << (r.measured ? "measured on this machine" : "cost model: not measured yet")
      << (autotune_enabled() ? "" : ", autotuning off") << "): forward " << to_string(runs.forward)
      << ", grad_input " << to_string(runs.grad_input) << ", grad_weight " << to_string(runs.grad_weight) << "\n";
    // Columns under the rows below ("  " + 12 wide names); a transposed call's are the adjoint's passes.
    s << "  " << std::left << std::setw(12) << (g.transposed ? "adjoint ms" : "ms per pass") << std::right;
    for (const AlgorithmEntry& e : algorithm_registry()) s << std::setw(9) << to_string(e.algorithm);
    s << "   (- = not run: the model put it over 4x the best, or its forward took 4x the best forward "
         "(direct: 3x the pass's best); only = the one candidate the model left in every pass, not timed"
      << (registry_entry(Algorithm::kOverlapAdd).declines(g) == nullptr && fft::overlap_add_is_fft(g, threads)
              ? "; oaa's tiling is fft's, so fft's code: timed once, as fft)\n"
              : ")\n");
    const char* names[] = {"forward", "grad_input", "grad_weight"};
    for (int pass = 0; pass < 3; ++pass) {
      s << "  " << std::left << std::setw(12) << names[pass] << std::right;
      for (double t : r.seconds[pass]) {
        if (t == kOnlyCandidateNotTimed) {
          s << std::setw(9) << "only";
        } else if (t < 0) {
          s << std::setw(9) << "-";
        } else {
          s << std::setw(9) << std::fixed << std::setprecision(3) << t * 1e3;
        }
      }
      s << "\n";
    }
    s << "  whole training step ms (autograd, fresh weight each step):";
    bool any = false;
    for (int c = 0; c < kRegisteredAlgorithms; ++c) {
      if (r.step_seconds[c] >= 0) {
        s << " " << to_string(algorithm_registry()[c].algorithm) << " " << std::fixed << std::setprecision(3)
          << r.step_seconds[c] * 1e3;
        any = true;
      }
    }
    if (r.mix_step_seconds >= 0) s << " per-pass mix " << r.mix_step_seconds * 1e3, any = true;
    s << (any ? "\n" : " none (inference only, a single contender, or not measured)\n");
    s << "  rule: the per-pass fastest make a mix; the fastest measured whole step wins (aten unless beaten by 3 %;\n"
         "        aten's step is not timed when its passes took over 2x the best spectral algorithm's)\n";
  }
  return s.str();
}

template <typename Options>
std::string explain_request(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                            c10::ScalarType dtype, bool channels_last, const char* op) {
  const ConvGeometry g = geometry_of_sizes(input_sizes, weight_sizes, conv_request(options), op, dtype);
  autotune::check_channels_last_rank(g, channels_last, op);
  return explain_geometry(g, options.algorithm(), dtype, channels_last);
}

template <typename Options>
std::string tiling_of_request(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                              Algorithm algorithm) {
  TORCH_CHECK(algorithm == Algorithm::kFft || algorithm == Algorithm::kOverlapAdd,
              "oaconv::spectral_tiling: expected fft or oaa, but got ", to_string(algorithm));
  const ConvGeometry g =
      geometry_of_sizes(input_sizes, weight_sizes, conv_request(options), "oaconv::spectral_tiling");
  return fft::choose_tiling(algorithm, g, at::get_num_threads()).to_string();
}

}  // namespace

template <typename Options>
std::string declined_reason(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                            Algorithm algorithm, c10::ScalarType dtype) {
  if (algorithm == Algorithm::kAten || algorithm == Algorithm::kAuto) return "";
  const ConvGeometry g =
      geometry_of_sizes(input_sizes, weight_sizes, conv_request(options), "oaconv::declined_reason", dtype);
  if (!ours_can_run(g, dtype, at::kCPU)) {
    return "only aten runs this case (its dtype, no input channels, or output_padding >= stride)";
  }
  const char* reason = registry_entry(algorithm).declines(g);
  return reason == nullptr ? "" : reason;
}

#define OACONV_DECLINED_REASON(Options)                                                                     \
  template std::string declined_reason<Options>(c10::IntArrayRef, c10::IntArrayRef, const Options&, Algorithm, \
                                                c10::ScalarType);
OACONV_DECLINED_REASON(ConvFuncOptions<1>)
OACONV_DECLINED_REASON(ConvFuncOptions<2>)
OACONV_DECLINED_REASON(ConvFuncOptions<3>)
OACONV_DECLINED_REASON(ConvTransposeFuncOptions<1>)
OACONV_DECLINED_REASON(ConvTransposeFuncOptions<2>)
OACONV_DECLINED_REASON(ConvTransposeFuncOptions<3>)
#undef OACONV_DECLINED_REASON

std::string explain_conv2d(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                           const Conv2dFuncOptions& options, c10::ScalarType dtype, bool channels_last) {
  return explain_request(input_sizes, weight_sizes, options, dtype, channels_last, "oaconv::explain_conv2d");
}

template <size_t D>
std::string explain_conv(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const ConvFuncOptions<D>& options,
                         c10::ScalarType dtype, bool channels_last) {
  return explain_request(input_sizes, weight_sizes, options, dtype, channels_last, "oaconv::explain_conv");
}

template <size_t D>
std::string explain_conv(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                         const ConvTransposeFuncOptions<D>& options, c10::ScalarType dtype, bool channels_last) {
  return explain_request(input_sizes, weight_sizes, options, dtype, channels_last, "oaconv::explain_conv");
}

template std::string explain_conv<1>(c10::IntArrayRef, c10::IntArrayRef, const ConvFuncOptions<1>&, c10::ScalarType,
                                     bool);
template std::string explain_conv<2>(c10::IntArrayRef, c10::IntArrayRef, const ConvFuncOptions<2>&, c10::ScalarType,
                                     bool);
template std::string explain_conv<3>(c10::IntArrayRef, c10::IntArrayRef, const ConvFuncOptions<3>&, c10::ScalarType,
                                     bool);
template std::string explain_conv<1>(c10::IntArrayRef, c10::IntArrayRef, const ConvTransposeFuncOptions<1>&,
                                     c10::ScalarType, bool);
template std::string explain_conv<2>(c10::IntArrayRef, c10::IntArrayRef, const ConvTransposeFuncOptions<2>&,
                                     c10::ScalarType, bool);
template std::string explain_conv<3>(c10::IntArrayRef, c10::IntArrayRef, const ConvTransposeFuncOptions<3>&,
                                     c10::ScalarType, bool);

std::string spectral_tiling(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes,
                            const Conv2dFuncOptions& options, Algorithm algorithm) {
  return tiling_of_request(input_sizes, weight_sizes, options, algorithm);
}

template <typename Options>
std::string spectral_tiling(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const Options& options,
                            Algorithm algorithm) {
  return tiling_of_request(input_sizes, weight_sizes, options, algorithm);
}

#define OACONV_SPECTRAL_TILING(Options)                                                                 \
  template std::string spectral_tiling<Options>(c10::IntArrayRef, c10::IntArrayRef, const Options&, Algorithm);
OACONV_SPECTRAL_TILING(ConvFuncOptions<1>)
OACONV_SPECTRAL_TILING(ConvFuncOptions<3>)
OACONV_SPECTRAL_TILING(ConvTransposeFuncOptions<1>)
OACONV_SPECTRAL_TILING(ConvTransposeFuncOptions<2>)
OACONV_SPECTRAL_TILING(ConvTransposeFuncOptions<3>)
#undef OACONV_SPECTRAL_TILING

}  // namespace oaconv
