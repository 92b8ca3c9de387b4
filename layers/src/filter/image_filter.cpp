// oaconv::ImageFilter: kernel preparation, the `auto` cost model, and dispatch to the layer
// algorithms (through oaconv::conv2d on a batch of single-channel planes) or to the separable
// and box fast paths. See image_filter.h for the conventions (centre, flip, boundaries).
#include <oaconv/image_filter.h>

#include <oaconv/functional.h>

#include "boundary_padding.h"
#include "running_sum_box.h"
#include "separable_filter.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace oaconv {
namespace {

std::string lower(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}


}  // namespace

Boundary boundary_from_string(const std::string& name) {
  for (Boundary b : {Boundary::kZero, Boundary::kReflect, Boundary::kReplicate, Boundary::kCircular}) {
    if (to_string(b) == lower(name)) return b;
  }
  TORCH_CHECK(false, "oaconv::boundary_from_string: unknown boundary mode '", name,
              "'; expected one of zero, reflect, replicate, circular");
}

std::string to_string(Boundary boundary) {
  switch (boundary) {
    case Boundary::kZero: return "zero";
    case Boundary::kReflect: return "reflect";
    case Boundary::kReplicate: return "replicate";
    case Boundary::kCircular: return "circular";
  }
  TORCH_INTERNAL_ASSERT(false, "oaconv::to_string: invalid Boundary ", static_cast<int>(boundary));
}

FilterAlgorithm filter_algorithm_from_string(const std::string& name) {
  for (FilterAlgorithm a : {FilterAlgorithm::kAuto, FilterAlgorithm::kAten, FilterAlgorithm::kDirect,
                            FilterAlgorithm::kFft, FilterAlgorithm::kOverlapAdd, FilterAlgorithm::kSeparable,
                            FilterAlgorithm::kBox}) {
    if (to_string(a) == lower(name)) return a;
  }
  TORCH_CHECK(false, "oaconv::filter_algorithm_from_string: unknown filter algorithm '", name,
              "'; expected one of auto, aten, direct, fft, oaa, separable, box");
}

std::string to_string(FilterAlgorithm algorithm) {
  switch (algorithm) {
    case FilterAlgorithm::kAuto: return "auto";
    case FilterAlgorithm::kAten: return "aten";
    case FilterAlgorithm::kDirect: return "direct";
    case FilterAlgorithm::kFft: return "fft";
    case FilterAlgorithm::kOverlapAdd: return "oaa";
    case FilterAlgorithm::kSeparable: return "separable";
    case FilterAlgorithm::kBox: return "box";
  }
  TORCH_INTERNAL_ASSERT(false, "oaconv::to_string: invalid FilterAlgorithm ", static_cast<int>(algorithm));
}

SeparableKernel separate_kernel(const at::Tensor& kernel, int64_t max_rank) {
  TORCH_CHECK(kernel.dim() == 2 && kernel.numel() > 0, "oaconv::separate_kernel: expected a non-empty 2-D kernel, got sizes ",
              kernel.sizes());
  TORCH_CHECK(max_rank >= 0, "oaconv::separate_kernel: max_rank must be >= 0 (0 = exact), got ", max_rank);
  at::NoGradGuard no_grad;
  // kernel = U diag(S) V^T = sum_t (sqrt(S_t) U[:, t]) (outer) (sqrt(S_t) V[:, t]).
  const at::Tensor k = kernel.detach().to(at::kDouble).contiguous();
  auto [u, s, vh] = at::linalg_svd(k, /*full_matrices=*/false);
  const double* sv = s.data_ptr<double>();
  const int64_t all = s.numel();
  int64_t numerical = 0;
  // Singular values below S_max * max(kh, kw) * eps(kernel dtype) are rounding noise, not rank
  // (numpy.linalg.matrix_rank's rule): a float32 Gaussian is rank 1, not rank 17.
  const double eps = kernel.scalar_type() == at::kFloat ? 1.1920929e-7 : 2.220446049250313e-16;
  const double tolerance = sv[0] * static_cast<double>(std::max(k.size(0), k.size(1))) * eps;
  while (numerical < all && sv[numerical] > tolerance) ++numerical;
  SeparableKernel f;
  f.numerical_rank = numerical;
  f.rank = std::max<int64_t>(1, max_rank == 0 ? numerical : std::min(max_rank, numerical));
  const at::Tensor root = s.slice(0, 0, f.rank).sqrt();
  f.columns = (u.slice(1, 0, f.rank) * root.unsqueeze(0)).t().contiguous();
  f.rows = (vh.slice(0, 0, f.rank) * root.unsqueeze(1)).contiguous();
  double kept = 0, total = 0;
  for (int64_t t = 0; t < all; ++t) {
    total += sv[t] * sv[t];
    if (t >= f.rank) kept += sv[t] * sv[t];
  }
  f.residual = total > 0 ? std::sqrt(kept / total) : 0.0;
  return f;
}

at::Tensor gaussian_kernel(int64_t size, double sigma, c10::ScalarType dtype) {
  TORCH_CHECK(size >= 1, "oaconv::gaussian_kernel: size must be >= 1, got ", size);
  TORCH_CHECK(std::isfinite(sigma) && sigma > 0, "oaconv::gaussian_kernel: sigma must be a positive number, got ", sigma);
  // Taps at offsets i - (size - 1) / 2 from the window's middle; separable, normalised to sum 1.
  const at::Tensor offsets = at::arange(size, at::kDouble) - (size - 1) / 2.0;
  const at::Tensor taps = at::exp(-offsets * offsets / (2 * sigma * sigma));
  const at::Tensor k = at::outer(taps, taps);
  return (k / k.sum()).to(dtype);
}

at::Tensor box_kernel(int64_t size, c10::ScalarType dtype) {
  TORCH_CHECK(size >= 1, "oaconv::box_kernel: size must be >= 1, got ", size);
  return at::full({size, size}, 1.0 / static_cast<double>(size * size), at::TensorOptions().dtype(dtype));
}

// Cost per output pixel, in nanoseconds at one thread, fitted to `oaconv filter --repeat 6
// --threads 1 --gray` warm times on a 1024x1024 image with random k x k kernels, k = 3..31, on
// the development machine (AVX-512, float32). Every path first pads the image (~1 ns/pixel).
//   direct     0.06 ns per tap (register-blocked correlation): 1.9 ns at k=3, 58 ns at k=31;
//   separable  per rank-1 term 0.04 ns per tap of the two 1-D passes + 0.3 ns: 1.7 ns for a
//              17x17 Gaussian, 85 ns for a full-rank 31x31 kernel;
//   box        ~1.8 ns whatever the kernel size (running sums in float64);
//   oaa        7-12 ns, nearly flat in k from 7 to 31 (tile FFTs; the tile grows with k).
// Image size does not enter: all four scale with the pixel count on images this large.
FilterAlgorithm choose_filter_algorithm(int64_t kernel_h, int64_t kernel_w, int64_t kernel_rank,
                                        bool kernel_is_constant, int64_t height, int64_t width) {
  (void)height;
  (void)width;
  constexpr double kPadding = 1.0;
  const double direct = kPadding + 0.06 * static_cast<double>(kernel_h * kernel_w);
  const double separable =
      kPadding + static_cast<double>(std::max<int64_t>(1, kernel_rank)) * (0.04 * static_cast<double>(kernel_h + kernel_w) + 0.3);
  const double box = kernel_is_constant ? kPadding + 0.8 : INFINITY;
  const double oaa = 9.0;
  const double best = std::min({direct, separable, box, oaa});
  if (best == direct) return FilterAlgorithm::kDirect;
  if (best == box) return FilterAlgorithm::kBox;
  if (best == separable) return FilterAlgorithm::kSeparable;
  return FilterAlgorithm::kOverlapAdd;
}

ImageFilter::ImageFilter(const at::Tensor& kernel, const FilterOptions& options) : options_(options) {
  TORCH_CHECK(kernel.defined() && kernel.dim() == 2 && kernel.numel() > 0,
              "oaconv::filter2d: the kernel must be a non-empty 2-D tensor (kh, kw), got ",
              kernel.defined() ? c10::str(kernel.sizes()) : std::string("an undefined tensor"));
  TORCH_CHECK(options.max_rank() >= 0, "oaconv::filter2d: max_rank must be >= 0 (0 = exact), got ", options.max_rank());
  at::NoGradGuard no_grad;
  const at::Tensor k = kernel.detach().to(at::kDouble).contiguous();
  TORCH_CHECK(at::isfinite(k).all().item<bool>(), "oaconv::filter2d: the kernel has a NaN or infinite entry");
  const int64_t kh = k.size(0), kw = k.size(1);
  // Convolution slides the flipped kernel; the centre (kh/2, kw/2) of the original kernel then
  // sits at (kh-1-kh/2, kw-1-kw/2) of the flipped one, which sets the border split.
  correlation_kernel_ = (options.correlate() ? k : k.flip({0, 1})).contiguous();
  const int64_t ch = options.correlate() ? kh / 2 : kh - 1 - kh / 2;
  const int64_t cw = options.correlate() ? kw / 2 : kw - 1 - kw / 2;
  pad_top_ = ch, pad_bottom_ = kh - 1 - ch, pad_left_ = cw, pad_right_ = kw - 1 - cw;
  constant_ = at::equal(k, at::full_like(k, k.view(-1)[0].item<double>()));
  factors_ = separate_kernel(options.correlate() ? kernel.detach() : kernel.detach().flip({0, 1}), options.max_rank());
  TORCH_CHECK(options.algorithm() != FilterAlgorithm::kBox || constant_,
              "oaconv::filter2d: algorithm 'box' needs a kernel whose entries are all equal; this ", kh, "x",
              kw, " kernel is not (use separable, oaa or auto)");
}

FilterAlgorithm ImageFilter::algorithm_for(int64_t height, int64_t width) const {
  if (options_.algorithm() != FilterAlgorithm::kAuto) return options_.algorithm();
  const int64_t rank = options_.max_rank() == 0 ? factors_.rank : factors_.numerical_rank;
  return choose_filter_algorithm(correlation_kernel_.size(0), correlation_kernel_.size(1), rank, constant_,
                                 height, width);
}

at::Tensor ImageFilter::operator()(const at::Tensor& image) {
  TORCH_CHECK(image.defined() && (image.dim() == 2 || image.dim() == 3),
              "oaconv::filter2d: the image must be (H, W) or (C, H, W), got ",
              image.defined() ? c10::str(image.sizes()) : std::string("an undefined tensor"));
  TORCH_CHECK(image.scalar_type() == at::kFloat || image.scalar_type() == at::kDouble,
              "oaconv::filter2d: the image must be float32 or float64, got ", image.scalar_type());
  TORCH_CHECK(image.numel() > 0, "oaconv::filter2d: the image is empty (sizes ", image.sizes(), ")");
  const int64_t h = image.size(-2), w = image.size(-1);
  const int64_t kh = correlation_kernel_.size(0), kw = correlation_kernel_.size(1);
  TORCH_CHECK(kh <= h && kw <= w, "oaconv::filter2d: the ", kh, "x", kw, " kernel is larger than the ", h, "x",
              w, " image (kernel height <= image height and kernel width <= image width)");
  at::NoGradGuard no_grad;
  const at::Tensor planes = image.dim() == 2 ? image.unsqueeze(0) : image;
  const at::Tensor padded =
      filter::pad_with_boundary(planes, pad_top_, pad_bottom_, pad_left_, pad_right_, options_.boundary());
  const FilterAlgorithm algorithm = algorithm_for(h, w);
  at::Tensor out;
  switch (algorithm) {
    case FilterAlgorithm::kSeparable:
      out = filter::separable_correlate_valid(padded, factors_.columns, factors_.rows);
      break;
    case FilterAlgorithm::kBox:  // only for constant kernels (checked in the constructor; auto's rule)
      out = filter::box_correlate_valid(padded, kh, kw, correlation_kernel_.view(-1)[0].item<double>());
      break;
    default: {
      // A batch of C single-channel planes through one 1 -> 1 channel layer; the weight tensor is
      // kept per dtype so the spectral algorithms find its cached spectrum on the next image.
      at::Tensor& weight = image.scalar_type() == at::kFloat ? weight_float_ : weight_double_;
      if (!weight.defined()) weight = correlation_kernel_.to(image.scalar_type()).view({1, 1, kh, kw}).contiguous();
      const Algorithm layer_algorithm = algorithm == FilterAlgorithm::kAten     ? Algorithm::kAten
                                        : algorithm == FilterAlgorithm::kDirect ? Algorithm::kDirect
                                        : algorithm == FilterAlgorithm::kFft    ? Algorithm::kFft
                                                                                : Algorithm::kOverlapAdd;
      out = conv2d(padded.unsqueeze(1), weight, {}, Conv2dFuncOptions().algorithm(layer_algorithm)).squeeze(1);
    }
  }
  return image.dim() == 2 ? out.squeeze(0) : out;
}

at::Tensor filter2d(const at::Tensor& image, const at::Tensor& kernel, const FilterOptions& options) {
  return ImageFilter(kernel, options)(image);
}

}  // namespace oaconv
