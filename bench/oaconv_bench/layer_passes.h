#pragma once
// One layer's tensors and each timed operation on them, through the public API only:
//   forward      y = conv(x, w, b) in training mode (graph recorded, as in a training step),
//                the weight updated in place after it (kernel transforms paid every time);
//   grad_input   y.backward(gy) with only x requiring a gradient;
//   grad_weight  y.backward(gy) with only w and b requiring gradients;
//   fwd_bwd      forward + backward of every gradient, then an optimizer-like in-place update
//                of the weight (so spectral algorithms pay the kernel transform every step).
#include "sweep_shapes.h"

#include <ATen/core/Tensor.h>

#include <string>

namespace oaconv::bench {

enum class Operation { kForward, kGradInput, kGradWeight, kForwardBackward };
const char* to_string(Operation op);

// The cost model's seconds for one call of `op` with `algorithm` (aten, direct, fft or oaa) on
// `shape` (oaconv::modelled_pass_seconds, at the current thread count; negative for an
// algorithm that declines the case).
double modelled_seconds(const LayerShape& shape, Algorithm algorithm, Operation op);

// Whether oaa's tiling of `shape` is fft's single tile: then both run the same code.
bool overlap_add_runs_fft_code(const LayerShape& shape);

class LayerPasses {
 public:
  LayerPasses(const LayerShape& shape, Algorithm algorithm, Operation op);
  // The part of the operation that is not timed (the forward before a backward-only pass).
  void prepare();
  // The timed part.
  void run();
  // The same tensors (input, weight, bias, grad-output: shared, not copied) run by another
  // algorithm, so that algorithms compared side by side read and write the same memory.
  LayerPasses with_algorithm(Algorithm algorithm) const;
  // For auto: what it runs per pass, e.g. "fft/fft/oaa" (forward/grad_input/grad_weight).
  std::string auto_choice() const;

 private:
  Operation op_;
  LayerShape shape_;
  Algorithm algorithm_;
  at::Tensor x_, w_, b_, gy_, y_;
};

}  // namespace oaconv::bench
