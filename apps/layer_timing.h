#pragma once
// Timing one convolution layer with several algorithms: a cold step and a warm-up each, then
// interleaved rounds, medians per algorithm.
#include "layer_shape.h"

#include <oaconv/algorithm.h>
#include <oaconv/profiling.h>

#include <vector>

namespace oaconv::apps {

struct LayerTiming {
  double forward_s = 0;           // median forward time
  double forward_backward_s = 0;  // median forward + backward (all gradients) time
  double cold_s = 0;              // first forward + backward (planning, kernel transform)
  PhaseTimes phases;              // per timed forward + backward (fft/oaa only), averaged
};

// Float32, one timing per algorithm, in the order given. Each algorithm runs its cold step and
// `warmup` - 1 more untimed steps first; then `repeats` rounds time one no-grad forward and one
// training step of every algorithm in turn (the weight is updated after each step, so a kernel
// transform is never reused across steps), each round starting one algorithm further on.
// Interleaving spreads the machine's drift (10-40 % within minutes) over all of them; the
// rotation spreads what one algorithm leaves the next: timed in a fixed order (or one algorithm
// after another), the algorithm right after aten read about half the forward speed of the same
// code in another place (N32 C32 32x32 k3: winograd 7.7-7.9 ms, auto running winograd 3.5-4.1;
// rotated, the two equal). From Python, a winograd forward right after an aten step reads
// within a few % of one after any other step: the cause is in this process, not found.
std::vector<LayerTiming> time_layers(const std::vector<Algorithm>& algorithms, const LayerShape& shape, int repeats,
                                     int warmup = 1);

}  // namespace oaconv::apps
