// The C++ side of bench/python_overhead.py: one conv2d layer's training step (forward through
// oaconv's functional API, then backward into the input, weight and bias) timed from C++, so
// the Python package's per-call cost can be measured against it on the same layer.
//
// Usage: layer_step_timer SHAPE ALGORITHM STEPS THREADS
//   SHAPE as `oaconv info --shape` takes it (N,C,O,H,W,K[,groups]); prints the median of STEPS
//   timed steps, after kWarmupSteps untimed ones, as `median_us <value>`. The allocator keeps
//   freed memory (oaconv::keep_freed_memory), as python_overhead.py sets it for its own process.
#include "layer_shape.h"

#include <oaconv/algorithm.h>
#include <oaconv/allocator_tuning.h>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

constexpr int kWarmupSteps = 5;

int main(int argc, char** argv) {
  oaconv::keep_freed_memory();
  if (argc != 5) {
    std::fprintf(stderr, "usage: layer_step_timer SHAPE ALGORITHM STEPS THREADS\n");
    return 2;
  }
  try {
    const auto shape = oaconv::apps::LayerShape::parse(argv[1], "conv2d");
    const oaconv::Algorithm algorithm = oaconv::algorithm_from_string(argv[2]);
    const int steps = std::stoi(argv[3]), threads = std::stoi(argv[4]);
    if (steps < 1 || threads < 1) throw std::invalid_argument("layer_step_timer: STEPS and THREADS must be >= 1");
    at::set_num_threads(threads);
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn(shape.input_sizes()).requires_grad_();
    const torch::Tensor w = torch::randn(shape.weight_sizes()).requires_grad_();
    const torch::Tensor b = torch::randn({shape.out_channels}).requires_grad_();
    const torch::Tensor gy = torch::randn(shape.output_sizes());
    std::vector<double> us;
    for (int i = 0; i < steps + kWarmupSteps; ++i) {
      const auto start = std::chrono::steady_clock::now();
      shape.run(x, w, b, algorithm).backward(gy);
      const double elapsed = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      if (i >= kWarmupSteps) us.push_back(elapsed);
    }
    std::nth_element(us.begin(), us.begin() + us.size() / 2, us.end());
    std::printf("median_us %.3f\n", us[us.size() / 2]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
