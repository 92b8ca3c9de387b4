// oaconv::conv*d and conv_transpose*d: validate, resolve the algorithm of each pass, run them.
#include <oaconv/functional.h>

#include "algorithm_choice.h"
#include "algorithm_registry.h"
#include "auto/autotuner.h"
#include "aten_conv.h"
#include "conv_geometry.h"
#include "conv_node.h"

#include <ATen/ATen.h>

namespace oaconv {
namespace {

// The algorithm of each of the call's own passes.
PassAlgorithms choose_passes(const ConvGeometry& g, Algorithm requested, const at::Tensor& input,
                             const at::Tensor& weight, const at::Tensor& bias) {
  PassAlgorithms chosen;
  if (requested == Algorithm::kAuto && ours_can_run(g, input.scalar_type(), input.device())) {
    // auto on a case our algorithms can run: one algorithm per pass, measured once per shape.
    // (Not resolve_algorithm(kAuto) first: its cost model made auto 15-20 us a call slower than
    // aten on a 0.5 ms k = 1 layer step, 3-4 %.)
    if (!g.transposed) {
      chosen = autotune::choose_for_call(g, input, weight, bias);
    } else {
      // Measured on the adjoint convolution (every pass: the call's forward is its grad-input),
      // then re-assigned to the transposed convolution's passes. The adjoint's input (the call's
      // output) takes the call input's layout, so the record is keyed by the call's layout.
      const at::Tensor adjoint_input =
          at::empty(g.input_sizes(), input.options().memory_format(input.suggest_memory_format()))
              .requires_grad_(true);
      // (The call's bias belongs to the adjoint's input side: it is not part of the adjoint's passes.)
      const PassAlgorithms adjoint =
          autotune::choose_for_call(g, adjoint_input, weight, at::Tensor(), /*all_passes=*/true);
      chosen = PassAlgorithms{adjoint.grad_input, adjoint.forward, adjoint.grad_weight};
    }
    // A choice loaded from a cache file is not trusted to respect what each algorithm runs.
    for (Algorithm* pass : {&chosen.forward, &chosen.grad_input, &chosen.grad_weight}) {
      if (registry_entry(*pass).declines(g) != nullptr) *pass = Algorithm::kAten;
    }
  } else {
    const Algorithm a = resolve_algorithm(requested, g, input.scalar_type(), input.device());
    chosen = PassAlgorithms{a, a, a};
  }
  TORCH_INTERNAL_ASSERT(chosen.forward != Algorithm::kAuto && chosen.grad_input != Algorithm::kAuto &&
                            chosen.grad_weight != Algorithm::kAuto,
                        "oaconv: kAuto was not resolved");
  return chosen;
}

at::Tensor run_batched(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                       const ConvRequest& request, Algorithm requested, const char* op) {
  const ConvGeometry g = make_conv_geometry(input, weight, bias, request, op);
  const PassAlgorithms chosen = choose_passes(g, requested, input, weight, bias);
  // aten alone keeps ATen's own autograd; anything else runs in oaconv's one node.
  const bool all_aten = chosen.forward == Algorithm::kAten && chosen.grad_input == Algorithm::kAten &&
                        chosen.grad_weight == Algorithm::kAten;
  if (g.transposed) {
    // auto measured the adjoint's passes, so it runs them even when all are aten's: ATen's own
    // transposed convolution can be several times slower than its adjoint's passes (LibTorch
    // 1.13, N16 C64->32 32->64 k4 s2: 190 ms a step against 31 ms for the three passes).
    if (all_aten && (requested != Algorithm::kAuto || !ours_can_run(g, input.scalar_type(), input.device()))) {
      return aten::conv_transpose(input, weight, bias, g);
    }
    return conv_transpose_with_pass_algorithms(input, weight, bias, g, chosen);
  }
  if (all_aten) return aten::convolution(input, weight, bias, g);
  return conv_with_pass_algorithms(input, weight, bias, g, chosen);
}

// An unbatched input (C, spatial...), as torch accepts, runs as a batch of one.
at::Tensor run(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias, const ConvRequest& request,
               Algorithm requested, const char* op) {
  TORCH_CHECK(input.defined(), op, ": the input is an undefined tensor");
  if (input.dim() == request.rank + 1) {
    return run_batched(input.unsqueeze(0), weight, bias, request, requested, op).squeeze(0);
  }
  return run_batched(input, weight, bias, request, requested, op);
}

}  // namespace

at::Tensor conv1d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  const Conv1dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv1d");
}

at::Tensor conv2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  const Conv2dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv2d");
}

at::Tensor conv3d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                  const Conv3dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv3d");
}

at::Tensor conv_transpose1d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                            const ConvTranspose1dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv_transpose1d");
}

at::Tensor conv_transpose2d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                            const ConvTranspose2dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv_transpose2d");
}

at::Tensor conv_transpose3d(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                            const ConvTranspose3dFuncOptions& options) {
  return run(input, weight, bias, conv_request(options), options.algorithm(), "oaconv::conv_transpose3d");
}

}  // namespace oaconv
