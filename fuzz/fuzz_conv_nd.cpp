// oaconv's conv1d/conv3d and conv_transpose1d/2d/3d against torch's on shapes and options
// decoded from the input (sizes 0 to a dozen, strides, dilations, paddings and output_paddings
// including values that break arithmetic, wrong channel counts, groups, bias sizes, unbatched
// inputs, every algorithm but auto). oaconv may only fail with a c10::Error; what it accepts
// torch's rules must accept too, and both must agree in shape, values and NaN/Inf positions,
// forward and gradients. (conv2d has its own target, fuzz_conv2d.)
#include "fuzz_conv_support.h"
#include "fuzz_support.h"

#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/autograd.h>

#include <cstdio>
#include <iostream>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

namespace {

using oaconv::fuzz::Bytes;

struct Case {
  int64_t rank = 1;
  bool transposed = false;
  bool unbatched = false;
  std::vector<int64_t> size, kernel, stride, dilation, padding, output_padding;
  int64_t n = 1, c = 1, o = 1, groups = 1, weight_channels = 1;
  int padding_kind = 0;  // explicit, same, valid (convolutions only)
};

template <size_t D>
torch::ExpandingArray<D> array(const std::vector<int64_t>& v) {
  return torch::ExpandingArray<D>(at::IntArrayRef(v));
}

template <size_t D>
at::Tensor ours_d(const Case& k, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, oaconv::Algorithm a) {
  if (k.transposed) {
    const auto f = oaconv::ConvTransposeFuncOptions<D>()
                       .stride(array<D>(k.stride))
                       .padding(array<D>(k.padding))
                       .output_padding(array<D>(k.output_padding))
                       .dilation(array<D>(k.dilation))
                       .groups(k.groups)
                       .algorithm(a);
    if constexpr (D == 1) return oaconv::conv_transpose1d(x, w, b, f);
    if constexpr (D == 2) return oaconv::conv_transpose2d(x, w, b, f);
    if constexpr (D == 3) return oaconv::conv_transpose3d(x, w, b, f);
  }
  auto f = oaconv::ConvFuncOptions<D>().stride(array<D>(k.stride)).dilation(array<D>(k.dilation)).groups(k.groups).algorithm(a);
  if (k.padding_kind == 0) f.padding(array<D>(k.padding));
  if (k.padding_kind == 1) f.padding(torch::kSame);
  if (k.padding_kind == 2) f.padding(torch::kValid);
  if constexpr (D == 1) return oaconv::conv1d(x, w, b, f);
  if constexpr (D == 3) return oaconv::conv3d(x, w, b, f);
  if constexpr (D == 2) return oaconv::conv2d(x, w, b, f);
}

at::Tensor ours(const Case& k, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, oaconv::Algorithm a) {
  if (k.rank == 1) return ours_d<1>(k, x, w, b, a);
  if (k.rank == 2) return ours_d<2>(k, x, w, b, a);
  return ours_d<3>(k, x, w, b, a);
}

at::Tensor torch_reference(const Case& k, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (k.transposed) {
    if (k.rank == 1) return at::conv_transpose1d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
    if (k.rank == 2) return at::conv_transpose2d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
    return at::conv_transpose3d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
  }
  if (k.padding_kind != 0) {
    const c10::string_view mode = k.padding_kind == 1 ? "same" : "valid";
    if (k.rank == 1) return at::conv1d(x, w, b, k.stride, mode, k.dilation, k.groups);
    return at::conv3d(x, w, b, k.stride, mode, k.dilation, k.groups);
  }
  if (k.rank == 1) return at::conv1d(x, w, b, k.stride, k.padding, k.dilation, k.groups);
  return at::conv3d(x, w, b, k.stride, k.padding, k.dilation, k.groups);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in{data, size};
  Case k;
  k.transposed = in.next() % 2 == 1;
  // conv2d has its own target: here 1-D and 3-D convolutions, and transposed ones of every rank.
  k.rank = k.transposed ? in.in(1, 3) : (in.next() % 2 ? 3 : 1);
  k.unbatched = in.next() > 220;
  const int64_t max_size = k.rank == 3 ? 6 : 12;
  k.n = in.in(0, 3);
  k.c = in.in(0, 6);
  k.o = in.in(0, 6);
  k.groups = in.in(-1, 4);
  k.weight_channels = in.next() < 200 ? (k.groups > 0 ? (k.transposed ? k.o : k.c) / k.groups : k.c) : in.in(0, 6);
  k.padding_kind = k.transposed ? 0 : static_cast<int>(in.in(0, 2));
  for (int64_t a = 0; a < k.rank; ++a) {
    k.size.push_back(in.in(0, max_size));
    k.kernel.push_back(in.in(0, k.rank == 3 ? 4 : 7));
    k.stride.push_back(in.step_value());
    k.dilation.push_back(in.step_value());
    k.padding.push_back(in.pad_value());
    k.output_padding.push_back(in.next() < 230 ? in.in(0, 3) : in.pad_value());
  }
  static const oaconv::Algorithm algorithms[] = {oaconv::Algorithm::kAten, oaconv::Algorithm::kDirect,
                                                 oaconv::Algorithm::kFft, oaconv::Algorithm::kOverlapAdd};
  const oaconv::Algorithm algorithm = algorithms[in.next() % 4];
  const at::ScalarType dtype = in.next() % 2 ? at::kDouble : at::kFloat;
  const int bias_kind = static_cast<int>(in.in(0, 2));  // none, one per output channel, wrong size
  const bool nan_input = in.next() > 240;
  if (std::getenv("OACONV_FUZZ_VERBOSE")) {  // to read a finding: what the bytes decode to
    std::fprintf(stderr, "rank %ld transposed %d unbatched %d n %ld c %ld o %ld groups %ld wc %ld padding kind %d %s %s bias %d nan %d\n",
                 k.rank, k.transposed, k.unbatched, k.n, k.c, k.o, k.groups, k.weight_channels, k.padding_kind,
                 oaconv::to_string(algorithm).c_str(), dtype == at::kDouble ? "f64" : "f32", bias_kind, nan_input);
    for (int64_t a = 0; a < k.rank; ++a) {
      std::fprintf(stderr, "  axis %ld: size %ld k %ld s %ld d %ld p %ld op %ld\n", a, k.size[a], k.kernel[a],
                   k.stride[a], k.dilation[a], k.padding[a], k.output_padding[a]);
    }
  }
  // Sizes that are huge but representable ask every implementation, torch's too, for gigabytes:
  // not what this target explores (sizes that overflow int64 are kept: oaconv must refuse them).
  double elements = 1;
  for (int64_t a = 0; a < k.rank; ++a) {
    const double s = static_cast<double>(k.size[a]), p = static_cast<double>(k.padding[a]);
    const double d = static_cast<double>(k.dilation[a]) * static_cast<double>(std::max<int64_t>(0, k.kernel[a] - 1));
    const double extent = k.transposed ? (s - 1) * static_cast<double>(k.stride[a]) + d +
                                             static_cast<double>(k.output_padding[a])
                                       : s + (k.padding_kind == 1 ? d : k.padding_kind == 0 ? 2 * p : 0.0);
    if (extent > 4096 && extent < 9.2e18) return 0;
    elements *= std::max(1.0, extent);
  }
  if (elements > 1e6 && elements < 1e300) return 0;

  std::vector<int64_t> x_sizes{k.n, k.c};
  x_sizes.insert(x_sizes.end(), k.size.begin(), k.size.end());
  if (k.unbatched) x_sizes.erase(x_sizes.begin());
  std::vector<int64_t> w_sizes{k.transposed ? k.c : k.o, k.weight_channels};
  w_sizes.insert(w_sizes.end(), k.kernel.begin(), k.kernel.end());
  const auto options = at::TensorOptions().dtype(dtype);
  const at::Tensor x0 = at::randn(x_sizes, options);
  if (nan_input && x0.numel() > 0) x0.view({-1})[x0.numel() / 2] = std::numeric_limits<double>::quiet_NaN();
  const at::Tensor w0 = at::randn(w_sizes, options);
  const at::Tensor b0 = bias_kind == 0 ? at::Tensor() : at::randn({bias_kind == 1 ? k.o : k.o + 1}, options);

  // torch threw something other than a c10::Error, or a c10::Error on a value past 32 bits:
  // LibTorch 1.13's CPU transposed convolution narrows strides, paddings and dilations to int
  // (a stride of 2^62 becomes "stride_width: 0"), a failure of its backend, not of its rules.
  bool torch_backend_failed = false;
  bool past_32_bits = false;
  for (const auto* list : {&k.stride, &k.dilation, &k.padding, &k.output_padding}) {
    for (int64_t v : *list) past_32_bits = past_32_bits || v > std::numeric_limits<int32_t>::max();
  }
  auto run = [&](bool mine) -> std::optional<std::vector<at::Tensor>> {
    at::Tensor x = x0.clone().requires_grad_(true), wt = w0.clone().requires_grad_(true);
    try {
      const at::Tensor y = mine ? ours(k, x, wt, b0, algorithm) : torch_reference(k, x, wt, b0);
      if (y.numel() == 0) return std::vector<at::Tensor>{y.detach()};
      at::manual_seed(1);
      const at::Tensor gy = at::randn(y.sizes(), y.options());
      const auto grads = torch::autograd::grad({y}, {x, wt}, {gy}, false, false, /*allow_unused=*/true);
      return std::vector<at::Tensor>{y.detach(), grads[0], grads[1]};
    } catch (const c10::Error& e) {
      if (std::getenv("OACONV_FUZZ_VERBOSE")) std::cerr << (mine ? "oaconv" : "torch") << " refused: " << e.what_without_backtrace() << "\n";
      if (!mine && past_32_bits) torch_backend_failed = true;
      return std::nullopt;
    } catch (const std::exception&) {
      // torch's own failures are not ours to judge; oaconv's must be c10::Errors.
      if (mine) throw;
      torch_backend_failed = true;
      return std::nullopt;
    }
  };
  // Ours first: torch runs only on what oaconv accepted (its own size arithmetic overflows on
  // some cases oaconv refuses and then allocates tens of gigabytes).
  const auto mine = run(true);
  if (!mine) return 0;
  const auto reference = run(false);
  if (!reference && !torch_backend_failed) {
    std::fprintf(stderr, "oaconv accepted a convolution torch refuses\n");
    std::abort();
  }
  if (reference) {
    const double tolerance = dtype == at::kDouble ? 1e-9 : 1e-3;
    if (mine->size() != reference->size()) std::abort();
    for (size_t i = 0; i < mine->size(); ++i) {
      const at::Tensor& a = (*mine)[i];
      const at::Tensor& b = (*reference)[i];
      if (a.defined() != b.defined() || (a.defined() && !oaconv::fuzz::same_values(a, b, tolerance))) {
        std::fprintf(stderr, "oaconv and torch disagree on result %zu (0 = output, 1 = grad input, 2 = grad weight)\n",
                     i);
        if (std::getenv("OACONV_FUZZ_VERBOSE") && a.defined() && b.defined()) {
          std::cerr << "oaconv:\n" << a << "\ntorch:\n" << b << "\n";
        }
        std::abort();
      }
    }
  }
  return 0;
}
