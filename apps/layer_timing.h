#pragma once
// Timing one convolution layer with one algorithm: warm-up, then the median of repeats.
#include "layer_shape.h"

#include <oaconv/algorithm.h>
#include <oaconv/profiling.h>

namespace oaconv::apps {

struct LayerTiming {
  double forward_s = 0;           // median forward time
  double forward_backward_s = 0;  // median forward + backward (all gradients) time
  double cold_s = 0;              // first forward + backward (planning, kernel transform)
  PhaseTimes phases;              // per timed forward + backward (fft/oaa only), averaged
};

// Float32. Runs `warmup` untimed iterations first. Each forward + backward is a training step:
// the weight is updated after it (so a kernel spectrum is never reused across steps).
LayerTiming time_layer(Algorithm algorithm, const LayerShape& shape, int repeats, int warmup = 1);

}  // namespace oaconv::apps
