#pragma once
// Filtering whole images with one 2-D kernel — the seed's workload (blur a photograph with a
// 17x17 Gaussian) — by any layer algorithm or by two image-filter fast paths:
//   separable: the kernel split by SVD into a sum of rank-1 (column x row) kernels, each applied
//              as two 1-D passes: r*(kh + kw) multiply-adds per pixel instead of kh*kw;
//   box:       a constant kernel as running sums along columns then rows: a few additions per
//              pixel whatever the kernel size.
// Output is "same"-sized; the kernel centre is (kh/2, kw/2) (integer division), as in
// scipy.ndimage.convolve / correlate, and by default the kernel is flipped (convolution in the
// signal-processing sense); `correlate(true)` slides it unflipped.
#include <oaconv/algorithm.h>

#include <torch/arg.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace oaconv {

// How pixels outside the image are made up, with scipy.ndimage's equivalent mode:
//   kZero      0                                   ('constant', cval 0)
//   kReflect   d c b a | a b c d | d c b a          ('reflect': the edge pixel repeated)
//   kReplicate a a a a | a b c d | d d d d          ('nearest')
//   kCircular  a b c d | a b c d | a b c d          ('wrap')
enum class Boundary { kZero, kReflect, kReplicate, kCircular };
Boundary boundary_from_string(const std::string& name);  // "zero" "reflect" "replicate" "circular"
std::string to_string(Boundary boundary);

enum class FilterAlgorithm { kAuto, kAten, kDirect, kFft, kOverlapAdd, kSeparable, kBox };
// "auto" "aten" "direct" "fft" "oaa" "separable" "box"; throws naming the valid names.
FilterAlgorithm filter_algorithm_from_string(const std::string& name);
std::string to_string(FilterAlgorithm algorithm);

struct FilterOptions {
  TORCH_ARG(FilterAlgorithm, algorithm) = FilterAlgorithm::kAuto;
  TORCH_ARG(Boundary, boundary) = Boundary::kZero;
  TORCH_ARG(bool, correlate) = false;
  // separable: the most rank-1 terms to use; 0 = as many as the kernel's numerical rank (exact).
  TORCH_ARG(int64_t, max_rank) = 0;
};

// kernel = sum over t < rank of columns[t] (outer) rows[t]; `residual` is the relative Frobenius
// norm of what the dropped terms would have added (0 when rank is the kernel's full rank).
struct SeparableKernel {
  at::Tensor columns;  // (rank, kh), float64
  at::Tensor rows;     // (rank, kw), float64
  int64_t rank = 0;
  int64_t numerical_rank = 0;  // singular values above max(kh, kw) * eps * the largest
  double residual = 0.0;
};
// The SVD split of a 2-D kernel into at most `max_rank` (0 = numerical rank) rank-1 terms.
SeparableKernel separate_kernel(const at::Tensor& kernel, int64_t max_rank = 0);

// Normalised kernels: a Gaussian of `size` taps (odd or even) and standard deviation `sigma`,
// centred on the middle of the window; and a size x size box of 1/size^2.
at::Tensor gaussian_kernel(int64_t size, double sigma, c10::ScalarType dtype = c10::kFloat);
at::Tensor box_kernel(int64_t size, c10::ScalarType dtype = c10::kFloat);

// What `auto` picks for a kernel of this shape, numerical rank and constancy on an image of
// height x width, by the per-pixel cost model documented in image_filter.cpp. Pure.
FilterAlgorithm choose_filter_algorithm(int64_t kernel_h, int64_t kernel_w, int64_t kernel_rank,
                                        bool kernel_is_constant, int64_t height, int64_t width);

// A kernel prepared once (flipped for convolution, factored, algorithm fixed per image size) and
// applied to many images: the spectral algorithms reuse the cached kernel spectrum from the
// second application on. Thread-compatible (one ImageFilter per thread, or external locking).
class ImageFilter {
 public:
  ImageFilter(const at::Tensor& kernel, const FilterOptions& options = {});

  // image: (H, W) or (C, H, W) float32/float64 (each channel filtered alone); returns the same shape.
  at::Tensor operator()(const at::Tensor& image);

  // The algorithm an image of this size runs with (auto resolved).
  FilterAlgorithm algorithm_for(int64_t height, int64_t width) const;
  const FilterOptions& options() const { return options_; }
  const SeparableKernel& factors() const { return factors_; }

 private:
  FilterOptions options_;
  at::Tensor correlation_kernel_;  // (kh, kw) float64: the kernel to slide, flipped if convolving
  at::Tensor weight_float_, weight_double_;  // it as a (1, 1, kh, kw) layer weight, per dtype
  SeparableKernel factors_;        // of correlation_kernel_
  bool constant_ = false;
  int64_t pad_top_ = 0, pad_bottom_ = 0, pad_left_ = 0, pad_right_ = 0;
};

// One-shot form: ImageFilter(kernel, options)(image).
at::Tensor filter2d(const at::Tensor& image, const at::Tensor& kernel, const FilterOptions& options = {});

}  // namespace oaconv
