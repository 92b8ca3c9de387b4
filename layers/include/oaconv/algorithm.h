#pragma once
// The closed set of convolution algorithms a layer can run with.
#include <string>
#include <vector>

namespace oaconv {

enum class Algorithm {
  kAten,        // torch::conv2d and its autograd (oneDNN on CPU): the baseline.
  kDirect,      // spatial sliding-window loops; the readable reference, best on tiny shapes.
  kFft,         // convolution theorem on the whole zero-padded image.
  kOverlapAdd,  // FFT overlap-add: image cut in tiles, each transformed at tile + k - 1.
  kWinograd,    // Winograd's minimal filtering F(4x4, 3x3): 2-D 3x3 layers at stride 1.
  kAuto,        // resolved per layer shape to one of the above before anything runs.
};

// The algorithms that run passes: every one before kAuto, in enum order (auto's candidates; the
// registry has one entry each, and the per-candidate times of autotune.h are this long).
constexpr int kRunnableAlgorithms = static_cast<int>(Algorithm::kAuto);

// "aten", "direct", "fft", "oaa", "winograd", "auto" (case-insensitive); anything else throws a
// c10::Error listing the valid names.
Algorithm algorithm_from_string(const std::string& name);
std::string to_string(Algorithm algorithm);

// Every algorithm, in enum order (useful for tests and command-line help).
const std::vector<Algorithm>& all_algorithms();

}  // namespace oaconv
