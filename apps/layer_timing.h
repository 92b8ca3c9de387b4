#pragma once
// Timing one convolution layer with one algorithm: warm-up, then the median of repeats.
#include <oaconv/algorithm.h>
#include <oaconv/profiling.h>

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace oaconv::apps {

// One layer: a convolution of rank 1-3 or a transposed one, cubic kernel, stride s; padding k/2
// for a convolution, (k - s) / 2 for a transposed one (so that stride 1 keeps the size and
// k 4 s 2 doubles it).
struct LayerShape {
  int64_t rank = 2;
  bool transposed = false;
  int64_t batch = 8, in_channels = 16, out_channels = 16;
  std::vector<int64_t> size{64, 64};
  int64_t kernel = 5;
  int64_t groups = 1;
  int64_t stride = 1;

  // "N,C,O,<rank sizes>,k[,groups]" for `kind` (conv1d, conv2d, conv3d, conv_transpose1d/2d/3d),
  // e.g. conv2d "8,16,16,64,64,5", conv1d "8,16,16,16384,1025".
  static LayerShape parse(const std::string& text, const std::string& kind = "conv2d", int64_t stride = 1);
  std::string kind() const;  // "conv2d", "conv_transpose1d", ...
  std::string to_string() const;
  int64_t padding() const;
  std::vector<int64_t> input_sizes() const;
  std::vector<int64_t> weight_sizes() const;
  double forward_flops() const;  // 2 * multiply-adds of the direct method
  // The layer's forward on x, w, b with `algorithm`.
  at::Tensor run(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, Algorithm algorithm) const;
};

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
