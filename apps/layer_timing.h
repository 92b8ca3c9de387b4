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
// Interleaving spreads the machine's drift (10-40 % within minutes) over all of them, and the
// rotation whatever one algorithm leaves the next. (Timed one after another, winograd's forward
// on N32 C32 32x32 k3 read 7.7-8.1 ms in some runs and auto's, the same winograd code timed
// later, 3.5-4.3; rotated, the two read the same. A later fixed-order run read them equal too.)
std::vector<LayerTiming> time_layers(const std::vector<Algorithm>& algorithms, const LayerShape& shape, int repeats,
                                     int warmup = 1);

}  // namespace oaconv::apps
