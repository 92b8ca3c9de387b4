#pragma once
// Timing one convolution layer with one algorithm: warm-up, then the median of repeats.
#include <oaconv/algorithm.h>
#include <oaconv/profiling.h>

#include <cstdint>
#include <string>

namespace oaconv::apps {

struct LayerShape {
  int64_t batch = 8, in_channels = 16, out_channels = 16, height = 64, width = 64, kernel = 5;
  int64_t groups = 1;
  // "N,C,O,H,W,k[,groups]" e.g. "8,16,16,64,64,5"
  static LayerShape parse(const std::string& text);
  std::string to_string() const;
  double forward_flops() const;  // 2 * multiply-adds of the direct method, padding k/2
};

struct LayerTiming {
  double forward_s = 0;           // median forward time
  double forward_backward_s = 0;  // median forward + backward (all gradients) time
  double cold_s = 0;              // first forward + backward (planning, kernel transform)
  PhaseTimes phases;              // per timed forward + backward (fft/oaa only), averaged
};

// Float32, padding k/2, stride 1. Runs `warmup` untimed iterations first.
LayerTiming time_layer(Algorithm algorithm, const LayerShape& shape, int repeats, int warmup = 1);

}  // namespace oaconv::apps
