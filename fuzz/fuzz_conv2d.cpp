// oaconv::conv2d against torch::conv2d on shapes and options decoded from the input (sizes 0 to
// a dozen, strides, dilations and paddings up to 2^62, wrong channel counts, groups, bias sizes,
// every algorithm but auto). oaconv may only fail with a c10::Error; what it accepts torch's rules
// must accept too, and both must agree in shape, values and NaN/Inf positions, forward and
// gradients.
#include "fuzz_conv_support.h"
#include "fuzz_support.h"

#include <oaconv/functional.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/autograd.h>

#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

using oaconv::fuzz::Bytes;
using oaconv::fuzz::same_values;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in{data, size};
  const int rank = static_cast<int>(in.in(3, 5) == 5 ? in.in(2, 5) : 4);
  const int64_t n = in.in(0, 3), c = in.in(0, 6), o = in.in(0, 6), h = in.in(0, 12), w = in.in(0, 12);
  const int64_t kh = in.in(0, 6), kw = in.in(0, 6), groups = in.in(-1, 4);
  const int64_t wc = in.next() < 200 ? (groups > 0 ? c / groups : c) : in.in(0, 6);
  const int64_t sh = in.step_value(), sw = in.step_value(), dh = in.step_value(), dw = in.step_value();
  const int padding_kind = static_cast<int>(in.in(0, 2));  // explicit, same, valid
  const int64_t ph = in.pad_value(), pw = in.pad_value();
  static const oaconv::Algorithm algorithms[] = {oaconv::Algorithm::kAten, oaconv::Algorithm::kDirect,
                                                 oaconv::Algorithm::kFft, oaconv::Algorithm::kOverlapAdd};
  const oaconv::Algorithm algorithm = algorithms[in.next() % 4];
  const at::ScalarType dtype = in.next() % 2 ? at::kDouble : at::kFloat;
  const int bias_kind = static_cast<int>(in.in(0, 2));  // none, one per output channel, wrong size
  const bool nan_input = in.next() > 240;

  if (std::getenv("OACONV_FUZZ_VERBOSE")) {  // to read a finding: what the bytes decode to
    std::fprintf(stderr,
                 "rank %d n %ld c %ld o %ld h %ld w %ld k %ldx%ld groups %ld wc %ld stride %ld,%ld dilation %ld,%ld "
                 "padding kind %d %ld,%ld algorithm %s %s bias %d nan %d\n",
                 rank, n, c, o, h, w, kh, kw, groups, wc, sh, sw, dh, dw, padding_kind, ph, pw,
                 oaconv::to_string(algorithm).c_str(), dtype == at::kDouble ? "f64" : "f32", bias_kind, nan_input);
  }
  // Padding or dilation that would make the padded image huge but still representable asks every
  // implementation, torch's too, for gigabytes: not what this target explores (sizes that
  // overflow int64 are kept: oaconv must refuse them).
  auto padded = [&](int64_t size, int64_t pad, int64_t k, int64_t d) {
    if (padding_kind == 1) return static_cast<double>(size) + static_cast<double>(d) * static_cast<double>(k - 1);
    return static_cast<double>(size) + (padding_kind == 0 ? 2.0 * static_cast<double>(pad) : 0.0);
  };
  for (const double p : {padded(h, ph, kh, dh), padded(w, pw, kw, dw)}) {
    if (p > 4096 && p < 9.2e18) return 0;
  }
  std::vector<int64_t> x_sizes;
  if (rank >= 3) x_sizes = {c, h, w};
  if (rank >= 4) x_sizes.insert(x_sizes.begin(), n);
  if (rank == 5) x_sizes.push_back(2);
  if (rank == 2) x_sizes = {h, w};
  const auto options = at::TensorOptions().dtype(dtype);
  const at::Tensor x0 = at::randn(x_sizes, options);
  if (nan_input && x0.numel() > 0) x0.view({-1})[x0.numel() / 2] = std::numeric_limits<double>::quiet_NaN();
  const at::Tensor w0 = at::randn({o, wc, kh, kw}, options);
  const at::Tensor b0 = bias_kind == 0 ? at::Tensor() : at::randn({bias_kind == 1 ? o : o + 1}, options);

  auto options_for = [&](oaconv::Algorithm a) {
    auto f = oaconv::Conv2dFuncOptions().stride({sh, sw}).dilation({dh, dw}).groups(groups).algorithm(a);
    if (padding_kind == 0) f.padding(torch::ExpandingArray<2>({ph, pw}));
    if (padding_kind == 1) f.padding(torch::kSame);
    if (padding_kind == 2) f.padding(torch::kValid);
    return f;
  };
  bool torch_backend_failed = false;  // torch threw something other than a c10::Error
  auto run = [&](bool ours) -> std::optional<std::vector<at::Tensor>> {
    at::Tensor x = x0.clone().requires_grad_(true), wt = w0.clone().requires_grad_(true);
    try {
      at::Tensor y;
      if (ours) {
        y = oaconv::conv2d(x, wt, b0, options_for(algorithm));
      } else {
        const std::vector<int64_t> stride{sh, sw}, dilation{dh, dw};
        if (padding_kind == 0) y = at::conv2d(x, wt, b0, stride, std::vector<int64_t>{ph, pw}, dilation, groups);
        if (padding_kind == 1) y = at::conv2d(x, wt, b0, stride, "same", dilation, groups);
        if (padding_kind == 2) y = at::conv2d(x, wt, b0, stride, "valid", dilation, groups);
      }
      if (y.numel() == 0) return std::vector<at::Tensor>{y.detach()};
      at::manual_seed(1);
      const at::Tensor gy = at::randn(y.sizes(), y.options());
      const auto grads = torch::autograd::grad({y}, {x, wt}, {gy}, false, false, /*allow_unused=*/true);
      return std::vector<at::Tensor>{y.detach(), grads[0], grads[1]};
    } catch (const c10::Error&) {
      return std::nullopt;
    } catch (const std::exception&) {
      // torch's own failures are not ours to judge (LibTorch 1.13 hands a 0-sized kernel to
      // oneDNN, which throws dnnl::error); oaconv's must be c10::Errors.
      if (ours) throw;
      torch_backend_failed = true;
      return std::nullopt;
    }
  };
  // Ours first: torch runs only on what oaconv accepted (its own size arithmetic overflows on
  // some cases oaconv refuses, a dilation of 2^62, and then allocates tens of gigabytes).
  const auto ours = run(true);
  if (!ours) return 0;
  const auto reference = run(false);
  // A case torch's own rules refuse (a c10::Error) must be refused; one its backend fails on
  // (oneDNN cannot describe a stride of 2^63 - 1) may be computed by our algorithms, with no
  // reference to compare it to here (the unit tests compare huge strides with torch where it
  // runs them).
  if (ours && !reference && !torch_backend_failed) {
    std::fprintf(stderr, "oaconv accepted a convolution torch refuses\n");
    std::abort();
  }
  if (ours && reference) {
    const double tolerance = dtype == at::kDouble ? 1e-9 : 1e-3;
    if (ours->size() != reference->size()) std::abort();
    for (size_t i = 0; i < ours->size(); ++i) {
      const at::Tensor& a = (*ours)[i];
      const at::Tensor& b = (*reference)[i];
      if (a.defined() != b.defined() || (a.defined() && !same_values(a, b, tolerance))) {
        std::fprintf(stderr, "oaconv and torch disagree on result %zu (0 = output, 1 = grad input, 2 = grad weight)\n",
                     i);
        std::abort();
      }
    }
  }
  return 0;
}
