// conv1d, conv3d and conv_transpose1d/2d/3d: every case of the table below crossed with every
// algorithm and both precisions, output and every gradient against torch's own functions and
// their autograd; then torch's checks on bad input.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/explain.h>
#include <oaconv/functional.h>
#include <oaconv/profiling.h>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <limits>
#include <tuple>

namespace oaconv::testing {
namespace {

enum class Padding { kExplicit, kSame, kValid };
enum class Layout { kContiguous, kStrided, kChannelsLast };

struct NdCase {
  std::string name;
  int64_t rank;
  bool transposed;
  int64_t batch, in_channels, out_channels;
  std::vector<int64_t> size, kernel, stride, dilation, padding, output_padding;
  int64_t groups = 1;
  Padding padding_kind = Padding::kExplicit;
  bool bias = true;
  bool unbatched = false;
  Layout layout = Layout::kContiguous;
};

std::vector<int64_t> ones(int64_t rank) { return std::vector<int64_t>(rank, 1); }
std::vector<int64_t> zeros(int64_t rank) { return std::vector<int64_t>(rank, 0); }

NdCase conv(std::string name, int64_t rank, int64_t n, int64_t c, int64_t o, std::vector<int64_t> size,
            std::vector<int64_t> kernel) {
  NdCase k{std::move(name), rank, false, n, c, o, std::move(size), std::move(kernel), ones(rank), ones(rank),
           zeros(rank), zeros(rank)};
  return k;
}

NdCase transposed(std::string name, int64_t rank, int64_t n, int64_t c, int64_t o, std::vector<int64_t> size,
                  std::vector<int64_t> kernel) {
  NdCase k = conv(std::move(name), rank, n, c, o, std::move(size), std::move(kernel));
  k.transposed = true;
  return k;
}

template <typename F>
NdCase with(NdCase k, F&& change) {
  change(k);
  return k;
}

std::vector<NdCase> nd_cases() {
  return {
      // 1-D
      with(conv("c1_basic", 1, 3, 4, 6, {37}, {5}), [](NdCase& k) { k.padding = {2}; }),
      with(conv("c1_stride_dilation", 1, 2, 6, 4, {50}, {7}),
           [](NdCase& k) { k.stride = {3}, k.dilation = {2}, k.padding = {4}, k.bias = false; }),
      with(conv("c1_groups", 1, 2, 6, 9, {33}, {4}), [](NdCase& k) { k.groups = 3, k.padding = {1}; }),
      with(conv("c1_depthwise_same", 1, 2, 8, 8, {64}, {9}),
           [](NdCase& k) { k.groups = 8, k.padding_kind = Padding::kSame; }),
      with(conv("c1_valid_even", 1, 1, 3, 5, {40}, {6}), [](NdCase& k) { k.padding_kind = Padding::kValid; }),
      with(conv("c1_same_even_dilated", 1, 2, 3, 3, {31}, {4}),
           [](NdCase& k) { k.padding_kind = Padding::kSame, k.dilation = {2}; }),
      with(conv("c1_long_kernel", 1, 2, 2, 3, {300}, {65}), [](NdCase& k) { k.padding = {32}; }),
      with(conv("c1_batch0", 1, 0, 3, 4, {20}, {3}), [](NdCase& k) { k.padding = {1}; }),
      with(conv("c1_unbatched", 1, 1, 3, 4, {21}, {3}), [](NdCase& k) { k.unbatched = true; }),
      with(conv("c1_strided_input", 1, 3, 5, 4, {26}, {5}), [](NdCase& k) { k.layout = Layout::kStrided; }),
      // 3-D
      with(conv("c3_basic", 3, 2, 3, 4, {9, 8, 7}, {3, 3, 3}), [](NdCase& k) { k.padding = {1, 1, 1}; }),
      with(conv("c3_stride_dilation_groups", 3, 1, 4, 6, {10, 9, 11}, {3, 2, 3}),
           [](NdCase& k) { k.stride = {2, 1, 2}, k.dilation = {1, 2, 1}, k.padding = {1, 0, 2}, k.groups = 2; }),
      with(conv("c3_same_even", 3, 1, 2, 2, {7, 6, 5}, {2, 3, 4}), [](NdCase& k) { k.padding_kind = Padding::kSame; }),
      with(conv("c3_unbatched_channels_last", 3, 1, 3, 2, {6, 5, 4}, {3, 3, 3}),
           [](NdCase& k) { k.layout = Layout::kChannelsLast, k.unbatched = true, k.bias = false; }),
      with(conv("c3_large_kernel_dilated", 3, 2, 2, 3, {12, 11, 10}, {5, 3, 4}),
           [](NdCase& k) { k.padding = {2, 2, 3}, k.dilation = {2, 1, 2}; }),
      with(conv("c3_depthwise_strided", 3, 2, 4, 4, {9, 10, 8}, {3, 3, 3}),
           [](NdCase& k) { k.groups = 4, k.stride = {2, 3, 1}, k.padding = {1, 1, 1}; }),
      // Enough channels for the channel-blocked depthwise kernels (2+ blocks, a partial last one).
      with(conv("c3_depthwise_blocked", 3, 2, 40, 40, {6, 7, 9}, {3, 3, 3}),
           [](NdCase& k) { k.groups = 40, k.stride = {1, 2, 1}, k.dilation = {2, 1, 1}, k.padding = {2, 1, 1}; }),
      with(conv("c1_depthwise_blocked", 1, 3, 36, 36, {50}, {7}),
           [](NdCase& k) { k.groups = 36, k.stride = {2}, k.padding = {3}; }),
      // Groups of 4 and 2 channels in the channel-blocked kernels.
      with(conv("c3_groups_of_4_blocked", 3, 2, 40, 40, {6, 7, 9}, {3, 3, 3}),
           [](NdCase& k) { k.groups = 10, k.stride = {1, 2, 1}, k.dilation = {2, 1, 1}, k.padding = {2, 1, 1}; }),
      with(conv("c1_groups_of_2_blocked", 1, 3, 36, 36, {50}, {7}),
           [](NdCase& k) { k.groups = 18, k.stride = {2}, k.padding = {3}; }),
      with(conv("c3_batch0", 3, 0, 2, 3, {5, 5, 5}, {3, 3, 3}), [](NdCase&) {}),
      // transposed 1-D
      with(transposed("t1_basic", 1, 2, 4, 6, {20}, {5}), [](NdCase& k) { k.padding = {2}; }),
      with(transposed("t1_stride_output_padding_groups", 1, 2, 6, 4, {17}, {4}),
           [](NdCase& k) { k.stride = {3}, k.padding = {1}, k.output_padding = {2}, k.groups = 2; }),
      with(transposed("t1_dilation", 1, 1, 3, 5, {15}, {3}),
           [](NdCase& k) { k.stride = {2}, k.dilation = {3}, k.padding = {2}, k.output_padding = {1}; }),
      // output_padding >= stride (allowed, < dilation): the adjoint has more outputs than inputs.
      with(transposed("t1_output_padding_over_stride", 1, 2, 3, 2, {12}, {3}),
           [](NdCase& k) { k.dilation = {3}, k.output_padding = {2}, k.bias = false; }),
      with(transposed("t1_long_kernel", 1, 2, 3, 2, {200}, {33}), [](NdCase& k) { k.padding = {16}; }),
      // transposed 2-D
      with(transposed("t2_basic", 2, 2, 5, 4, {13, 11}, {3, 3}), [](NdCase& k) { k.padding = {1, 1}; }),
      with(transposed("t2_upsample_by_2", 2, 2, 8, 4, {9, 10}, {4, 4}),
           [](NdCase& k) { k.stride = {2, 2}, k.padding = {1, 1}; }),
      with(transposed("t2_asymmetric", 2, 1, 4, 6, {7, 8}, {3, 5}),
           [](NdCase& k) { k.stride = {2, 3}, k.padding = {1, 2}, k.output_padding = {1, 2}, k.groups = 2; }),
      with(transposed("t2_large_kernel", 2, 2, 3, 3, {20, 20}, {15, 15}), [](NdCase& k) { k.padding = {7, 7}; }),
      with(transposed("t2_depthwise", 2, 2, 6, 6, {9, 9}, {5, 5}),
           [](NdCase& k) { k.groups = 6, k.stride = {2, 2}, k.padding = {2, 2}, k.output_padding = {1, 1}; }),
      with(transposed("t2_depthwise_blocked", 2, 2, 40, 40, {9, 8}, {4, 4}),
           [](NdCase& k) { k.groups = 40, k.stride = {2, 2}, k.padding = {1, 1}, k.output_padding = {1, 0}; }),
      with(transposed("t2_groups_of_4_blocked", 2, 2, 40, 40, {9, 8}, {4, 4}),
           [](NdCase& k) { k.groups = 10, k.stride = {2, 2}, k.padding = {1, 1}, k.output_padding = {1, 0}; }),
      with(transposed("t2_batch0", 2, 0, 3, 2, {6, 6}, {3, 3}), [](NdCase&) {}),
      with(transposed("t2_unbatched", 2, 1, 3, 2, {6, 7}, {3, 2}), [](NdCase& k) { k.unbatched = true; }),
      with(transposed("t2_channels_last", 2, 2, 4, 3, {8, 9}, {3, 3}),
           [](NdCase& k) { k.layout = Layout::kChannelsLast, k.stride = {2, 2}; }),
      // transposed 3-D
      with(transposed("t3_basic", 3, 1, 3, 2, {5, 6, 4}, {3, 3, 3}),
           [](NdCase& k) { k.stride = {2, 2, 2}, k.padding = {1, 1, 1}, k.output_padding = {1, 0, 1}; }),
      with(transposed("t3_groups_dilation", 3, 2, 4, 6, {4, 5, 3}, {3, 2, 3}),
           [](NdCase& k) { k.stride = {1, 2, 3}, k.dilation = {2, 1, 1}, k.groups = 2, k.output_padding = {0, 1, 2}; }),
  };
}

at::Tensor laid_out(at::Tensor x, Layout layout) {
  switch (layout) {
    case Layout::kContiguous: return x;
    case Layout::kStrided: return x.transpose(-1, -2).contiguous().transpose(-1, -2);
    case Layout::kChannelsLast:
      return x.dim() == 5 ? x.contiguous(at::MemoryFormat::ChannelsLast3d) : x.contiguous(at::MemoryFormat::ChannelsLast);
  }
  return x;
}

at::Tensor make_input(const NdCase& k, at::ScalarType dtype) {
  std::vector<int64_t> sizes{k.batch, k.in_channels};
  sizes.insert(sizes.end(), k.size.begin(), k.size.end());
  at::Tensor x = laid_out(at::randn(sizes, at::TensorOptions().dtype(dtype)), k.layout);
  // The layout applies to the batched tensor; an unbatched case drops the batch of one.
  return k.unbatched ? x.select(0, 0) : x;
}

at::Tensor make_weight(const NdCase& k, at::ScalarType dtype) {
  std::vector<int64_t> sizes = k.transposed ? std::vector<int64_t>{k.in_channels, k.out_channels / k.groups}
                                            : std::vector<int64_t>{k.out_channels, k.in_channels / k.groups};
  sizes.insert(sizes.end(), k.kernel.begin(), k.kernel.end());
  return at::randn(sizes, at::TensorOptions().dtype(dtype));
}

// torch's own function for the case.
at::Tensor reference(const NdCase& k, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (k.transposed) {
    switch (k.rank) {
      case 1: return at::conv_transpose1d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
      case 2: return at::conv_transpose2d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
      default: return at::conv_transpose3d(x, w, b, k.stride, k.padding, k.output_padding, k.groups, k.dilation);
    }
  }
  if (k.padding_kind != Padding::kExplicit) {
    const c10::string_view padding = k.padding_kind == Padding::kSame ? "same" : "valid";
    switch (k.rank) {
      case 1: return at::conv1d(x, w, b, k.stride, padding, k.dilation, k.groups);
      case 2: return at::conv2d(x, w, b, k.stride, padding, k.dilation, k.groups);
      default: return at::conv3d(x, w, b, k.stride, padding, k.dilation, k.groups);
    }
  }
  switch (k.rank) {
    case 1: return at::conv1d(x, w, b, k.stride, k.padding, k.dilation, k.groups);
    case 2: return at::conv2d(x, w, b, k.stride, k.padding, k.dilation, k.groups);
    default: return at::conv3d(x, w, b, k.stride, k.padding, k.dilation, k.groups);
  }
}

template <size_t D>
ConvFuncOptions<D> conv_options(const NdCase& k, Algorithm algorithm) {
  ConvFuncOptions<D> o;
  o.stride(torch::ExpandingArray<D>(at::IntArrayRef(k.stride)))
      .dilation(torch::ExpandingArray<D>(at::IntArrayRef(k.dilation)))
      .groups(k.groups)
      .algorithm(algorithm);
  switch (k.padding_kind) {
    case Padding::kSame: o.padding(torch::kSame); break;
    case Padding::kValid: o.padding(torch::kValid); break;
    case Padding::kExplicit: o.padding(torch::ExpandingArray<D>(at::IntArrayRef(k.padding))); break;
  }
  return o;
}

template <size_t D>
ConvTransposeFuncOptions<D> transpose_options(const NdCase& k, Algorithm algorithm) {
  return ConvTransposeFuncOptions<D>()
      .stride(torch::ExpandingArray<D>(at::IntArrayRef(k.stride)))
      .padding(torch::ExpandingArray<D>(at::IntArrayRef(k.padding)))
      .output_padding(torch::ExpandingArray<D>(at::IntArrayRef(k.output_padding)))
      .dilation(torch::ExpandingArray<D>(at::IntArrayRef(k.dilation)))
      .groups(k.groups)
      .algorithm(algorithm);
}

at::Tensor ours(const NdCase& k, Algorithm a, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (k.transposed) {
    switch (k.rank) {
      case 1: return oaconv::conv_transpose1d(x, w, b, transpose_options<1>(k, a));
      case 2: return oaconv::conv_transpose2d(x, w, b, transpose_options<2>(k, a));
      default: return oaconv::conv_transpose3d(x, w, b, transpose_options<3>(k, a));
    }
  }
  switch (k.rank) {
    case 1: return oaconv::conv1d(x, w, b, conv_options<1>(k, a));
    case 2: return oaconv::conv2d(x, w, b, conv_options<2>(k, a));
    default: return oaconv::conv3d(x, w, b, conv_options<3>(k, a));
  }
}

struct Result {
  at::Tensor y, gx, gw, gb;
};

template <typename Conv>
Result run_with_grads(Conv conv, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0,
                      const at::Tensor& gy) {
  // Leaves that keep the case's layout (clone preserves strides).
  at::Tensor x = x0.detach().clone().requires_grad_(true);
  at::Tensor w = w0.detach().clone().requires_grad_(true);
  at::Tensor b = b0.defined() ? b0.detach().clone().requires_grad_(true) : at::Tensor();
  at::Tensor y = conv(x, w, b);
  y.backward(gy);
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : at::Tensor()};
}

using Param = std::tuple<NdCase, Algorithm, at::ScalarType>;

class ConvNdCorrectness : public SeededParamTest<Param> {};

TEST_P(ConvNdCorrectness, OutputAndAllGradientsMatchTorch) {
  const NdCase& k = std::get<0>(GetParam());
  const Algorithm algorithm = std::get<1>(GetParam());
  const at::ScalarType dtype = std::get<2>(GetParam());
  const at::Tensor x = make_input(k, dtype);
  const at::Tensor w = make_weight(k, dtype);
  const at::Tensor b = k.bias ? at::randn({k.out_channels}, x.options()) : at::Tensor();
  const at::Tensor gy = at::randn(reference(k, x, w, b).sizes(), x.options());
  const Result expect = run_with_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) { return reference(k, xi, wi, bi); }, x, w,
      b, gy);
  const Result got = run_with_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) { return ours(k, algorithm, xi, wi, bi); },
      x, w, b, gy);
  const double limit = error_limit(algorithm, dtype);
  ASSERT_EQ(got.y.sizes(), expect.y.sizes());
  EXPECT_EQ(got.y.scalar_type(), dtype);
  EXPECT_LE(relative_error(got.y, expect.y), limit) << "output";
  ASSERT_EQ(got.gx.sizes(), expect.gx.sizes());
  EXPECT_LE(relative_error(got.gx, expect.gx), limit) << "grad input";
  ASSERT_EQ(got.gw.sizes(), expect.gw.sizes());
  EXPECT_LE(relative_error(got.gw, expect.gw), limit) << "grad weight";
  if (k.bias) {
    EXPECT_LE(relative_error(got.gb, expect.gb), limit) << "grad bias";
  }
}

std::string nd_test_name(const ::testing::TestParamInfo<Param>& info) {
  return std::get<0>(info.param).name + "_" + to_string(std::get<1>(info.param)) + "_" +
         (std::get<2>(info.param) == at::kDouble ? "f64" : "f32");
}

INSTANTIATE_TEST_SUITE_P(Table, ConvNdCorrectness,
                         ::testing::Combine(::testing::ValuesIn(nd_cases()), ::testing::ValuesIn(every_algorithm()),
                                            ::testing::Values(at::kFloat, at::kDouble)),
                         nd_test_name);

// Spectral passes run by one training step of `step` (with phase timing on).
template <typename F>
int64_t spectral_passes_of(F&& step) {
  set_phase_timing(true);
  reset_phase_times();
  step();
  const int64_t calls = phase_times().calls;
  set_phase_timing(false);
  return calls;
}

// A result must not be a view made inside the autograd node: an in-place op on it (a ReLU or
// SiLU with inplace=True right after a convolution, as in torchvision's EfficientNet) would
// then be refused by autograd. Every kind, every algorithm.
TEST(ConvNdResults, TakeInPlaceOpsUnderAutograd) {
  for (const NdCase& k : nd_cases()) {
    if (k.batch == 0) continue;
    for (Algorithm a : every_algorithm()) {
      SCOPED_TRACE(k.name + " " + to_string(a));
      const at::Tensor x = make_input(k, at::kDouble).requires_grad_(true);
      const at::Tensor w = make_weight(k, at::kDouble).requires_grad_(true);
      at::Tensor y = ours(k, a, x, w, {});
      ASSERT_NO_THROW(y.mul_(2.0));
      ASSERT_NO_THROW(y.sum().backward());
      const at::Tensor xr = x.detach().clone().requires_grad_(true);
      (reference(k, xr, w.detach(), {}) * 2.0).sum().backward();
      EXPECT_LE(relative_error(x.grad(), xr.grad()), 1e-9);
    }
  }
}

// The numbers above could come from an aten fallback: the spectral engine must really run
// 1-D and 3-D cases (forward, then one backward call for both gradients) and transposed ones
// (three separate passes).
TEST(ConvNdDispatch, SpectralAlgorithmsRunTheirOwnPassesWhereTheyAccept) {
  for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
    const at::Tensor x1 = at::randn({2, 3, 200}).requires_grad_(true), w1 = at::randn({4, 3, 33}).requires_grad_(true);
    EXPECT_EQ(spectral_passes_of([&] { oaconv::conv1d(x1, w1, {}, Conv1dFuncOptions().algorithm(a)).sum().backward(); }),
              2) << to_string(a);
    const at::Tensor xt = at::randn({2, 3, 20, 20}).requires_grad_(true);
    const at::Tensor wt = at::randn({3, 2, 9, 9}).requires_grad_(true);
    EXPECT_EQ(spectral_passes_of([&] {
                oaconv::conv_transpose2d(xt, wt, {}, ConvTranspose2dFuncOptions().algorithm(a)).sum().backward();
              }),
              3) << to_string(a);
    const at::Tensor x3 = at::randn({1, 2, 6, 6, 6}).requires_grad_(true);
    const at::Tensor w3 = at::randn({2, 2, 3, 3, 3}).requires_grad_(true);
    EXPECT_EQ(spectral_passes_of([&] { oaconv::conv3d(x3, w3, {}, Conv3dFuncOptions().algorithm(a)).sum().backward(); }),
              2) << to_string(a);
    EXPECT_EQ(spectral_passes_of([&] {
                oaconv::conv_transpose3d(x3, w3, {}, ConvTranspose3dFuncOptions().stride(2).algorithm(a)).sum().backward();
              }),
              3) << to_string(a);
  }
}

// loss = sum(y) + ||d(sum(y^2))/dx||^2 + ||d(sum(y^2))/dw||^2, differentiated w.r.t. x, w, b:
// a backward that records a graph must be differentiable for every kind (transposed included).
Result second_order(const NdCase& k, Algorithm a, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0,
                    bool reference_run) {
  at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  at::Tensor b = b0.clone().requires_grad_(true);
  const at::Tensor y = reference_run ? reference(k, x, w, b) : ours(k, a, x, w, b);
  const auto first = torch::autograd::grad({y.pow(2).sum()}, {x, w}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  (y.sum() + first[0].pow(2).sum() + first[1].pow(2).sum()).backward();
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

TEST(ConvNdDoubleBackward, GradientsOfGradientsMatchTorchForEveryKind) {
  for (const NdCase& k : nd_cases()) {
    if (!k.bias || k.batch == 0) continue;
    for (Algorithm a : algorithms_besides_aten()) {
      SCOPED_TRACE(k.name + " " + to_string(a));
      at::manual_seed(3);
      const at::Tensor x = make_input(k, at::kDouble), w = make_weight(k, at::kDouble);
      const at::Tensor b = at::randn({k.out_channels}, x.options());
      const Result expect = second_order(k, a, x, w, b, true), got = second_order(k, a, x, w, b, false);
      EXPECT_LE(relative_error(got.gx, expect.gx), 1e-9) << "d loss / d input";
      EXPECT_LE(relative_error(got.gw, expect.gw), 1e-9) << "d loss / d weight";
      EXPECT_LE(relative_error(got.gb, expect.gb), 1e-9) << "d loss / d bias";
    }
  }
}

// NaN and Inf land where torch puts them, through every pass of every kind.
TEST(ConvNdNonFinite, NanAndInfLandWhereTorchPutsThem) {
  for (const NdCase& k : nd_cases()) {
    if (k.batch == 0 || k.unbatched) continue;
    for (Algorithm a : algorithms_besides_aten()) {
      SCOPED_TRACE(k.name + " " + to_string(a));
      at::manual_seed(4);
      at::Tensor x = make_input(k, at::kDouble).contiguous();
      x.view(-1)[x.numel() / 3] = std::numeric_limits<double>::quiet_NaN();
      x.view(-1)[x.numel() / 2] = std::numeric_limits<double>::infinity();
      const at::Tensor w = make_weight(k, at::kDouble);
      const at::Tensor b = k.bias ? at::randn({k.out_channels}, x.options()) : at::Tensor();
      const at::Tensor gy = at::randn(reference(k, x, w, b).sizes(), x.options());
      const Result expect = run_with_grads(
          [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) { return reference(k, xi, wi, bi); }, x,
          w, b, gy);
      const Result got = run_with_grads(
          [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) { return ours(k, a, xi, wi, bi); }, x, w,
          b, gy);
      for (const auto& pair : {std::make_pair(got.y, expect.y), std::make_pair(got.gx, expect.gx),
                               std::make_pair(got.gw, expect.gw)}) {
        EXPECT_TRUE(at::equal(at::isnan(pair.first), at::isnan(pair.second)));
        EXPECT_TRUE(at::equal(at::isposinf(pair.first), at::isposinf(pair.second)));
        EXPECT_TRUE(at::equal(at::isneginf(pair.first), at::isneginf(pair.second)));
      }
    }
  }
}

// Found by fuzz_conv_nd: an input element whose every product falls in the cropped padding has
// no part in a transposed convolution's output, but torch's weight gradient multiplies it
// anyway (NaN there makes the group's gradient NaN). Ours must put NaN where torch does.
TEST(ConvNdNonFinite, NanInACroppedInputElementGivesTorchsWeightGradient) {
  for (Algorithm a : algorithms_besides_aten()) {
    SCOPED_TRACE(to_string(a));
    at::manual_seed(0);
    at::Tensor x = at::randn({1, 2, 8, 2}, at::kDouble);
    x[0][1][0][0] = std::numeric_limits<double>::quiet_NaN();
    const at::Tensor w = at::randn({2, 1, 1, 7}, at::kDouble);
    const auto options = ConvTranspose2dFuncOptions().stride(2).padding({3, 2}).output_padding({1, 0}).dilation({3, 1}).groups(2);
    const auto grads_of = [&](bool mine) {
      at::Tensor xi = x.clone().requires_grad_(true), wi = w.clone().requires_grad_(true);
      const at::Tensor y = mine ? oaconv::conv_transpose2d(xi, wi, {}, ConvTranspose2dFuncOptions(options).algorithm(a))
                                : at::conv_transpose2d(xi, wi, {}, 2, {3, 2}, {1, 0}, 2, {3, 1});
      y.backward(at::ones_like(y));
      return std::make_pair(y.detach(), wi.grad());
    };
    const auto expect = grads_of(false), got = grads_of(true);
    EXPECT_TRUE(at::equal(at::isnan(got.first), at::isnan(expect.first)));
    EXPECT_TRUE(at::isnan(expect.second).any().item<bool>());
    EXPECT_TRUE(at::equal(at::isnan(got.second), at::isnan(expect.second)));
  }
}

// Found by fuzz_conv_nd: with one input along an axis a transposed convolution's stride only
// has to exceed output_padding; a stride of 2^62 is clamped (torch's own CPU path narrows it to
// 32 bits and fails) and every algorithm gives the result of the smallest equivalent stride.
TEST(ConvNdGeometry, AHugeStrideOverASingleInputIsTheSmallestEquivalentOne) {
  const at::Tensor x = at::randn({1, 3, 1}, at::kDouble), w = at::randn({3, 3, 6}, at::kDouble);
  const at::Tensor expect = at::conv_transpose1d(x, w, {}, 2, 3, 1, 1, 3);
  for (Algorithm a : every_algorithm()) {
    const at::Tensor got = oaconv::conv_transpose1d(
        x, w, {}, ConvTranspose1dFuncOptions().stride(int64_t{1} << 62).padding(3).output_padding(1).dilation(3).algorithm(a));
    ASSERT_EQ(got.sizes(), expect.sizes()) << to_string(a);
    EXPECT_LE(relative_error(got, expect), 1e-12) << to_string(a);
  }
}

TEST(ConvNdExplain, EveryKindIsExplainedWithWhatRunsIt) {
  const std::string three = explain_conv({1, 2, 8, 8, 8}, {4, 2, 3, 3, 3}, Conv3dFuncOptions().padding(1));
  EXPECT_NE(three.find("8x8x8 k3x3x3"), std::string::npos) << three;
  // Only winograd (2-D layers) declines it.
  EXPECT_NE(three.find("winograd declines this case: winograd: F(4x4, 3x3) is for 2-D layers"), std::string::npos) << three;
  const size_t first = three.find("declines this case");
  EXPECT_EQ(three.find("declines this case", first + 1), std::string::npos) << three;
  EXPECT_NE(three.find("fft: 1x1x1 tiles of 8x8x8 at FFT 10x10x10"), std::string::npos) << three;
  const std::string one = explain_conv({2, 3, 500}, {4, 3, 65}, Conv1dFuncOptions().padding(32));
  EXPECT_NE(one.find("-> output 500"), std::string::npos) << one;
  EXPECT_NE(one.find("oaa: "), std::string::npos) << one;
  const std::string up = explain_conv({2, 8, 9, 9}, {8, 4, 4, 4}, ConvTranspose2dFuncOptions().stride(2).padding(1));
  EXPECT_NE(up.find("transposed N2 C8->4 9x9->18x18"), std::string::npos) << up;
  EXPECT_NE(up.find("forward = the adjoint's grad_input"), std::string::npos) << up;
  // output_padding >= stride: only aten runs it.
  const std::string odd = explain_conv({1, 2, 6}, {2, 2, 3}, ConvTranspose1dFuncOptions().dilation(3).output_padding(2));
  EXPECT_NE(odd.find("only aten runs this case"), std::string::npos) << odd;
}

TEST(ConvNdExplain, DeclinedReasonSaysWhetherAnAlgorithmRunsACase) {
  const Conv3dFuncOptions cube = Conv3dFuncOptions().padding(1);
  EXPECT_EQ(declined_reason({1, 2, 8, 8, 8}, {4, 2, 3, 3, 3}, cube, Algorithm::kWinograd),
            "winograd: F(4x4, 3x3) is for 2-D layers");
  EXPECT_EQ(declined_reason({1, 2, 8, 8, 8}, {4, 2, 3, 3, 3}, cube, Algorithm::kFft), "");
  const Conv2dFuncOptions square = Conv2dFuncOptions().padding(1);
  EXPECT_EQ(declined_reason({2, 8, 9, 9}, {8, 8, 3, 3}, square, Algorithm::kWinograd), "");
  EXPECT_NE(declined_reason({2, 8, 9, 9}, {8, 8, 3, 3}, Conv2dFuncOptions().stride(2), Algorithm::kWinograd)
                .find("stride 1"),
            std::string::npos);
  // output_padding >= stride: every algorithm but aten declines, and aten and auto run everything.
  const auto odd = ConvTranspose1dFuncOptions().dilation(3).output_padding(2);
  EXPECT_NE(declined_reason({1, 2, 6}, {2, 2, 3}, odd, Algorithm::kFft).find("only aten runs this case"),
            std::string::npos);
  for (Algorithm a : {Algorithm::kAten, Algorithm::kAuto}) {
    EXPECT_EQ(declined_reason({1, 2, 6}, {2, 2, 3}, odd, a), "") << to_string(a);
    EXPECT_EQ(declined_reason({1, 2, 8, 8, 8}, {4, 2, 3, 3, 3}, cube, a), "") << to_string(a);
  }
  // Sizes that make no convolution are an error naming the call, as every call's are.
  EXPECT_THROW(declined_reason({2, 8, 9, 9}, {8, 5, 3, 3}, square, Algorithm::kFft), c10::Error);
}

// The message of the c10::Error `run` throws, or "" when it throws none.
template <typename F>
std::string error_of(F&& run) {
  try {
    run();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

void expect_mentions(const std::string& message, std::initializer_list<const char*> fragments) {
  for (const char* f : fragments) EXPECT_NE(message.find(f), std::string::npos) << "missing '" << f << "' in: " << message;
}

TEST(ConvNdErrors, BadInputIsRefusedWithTheFunctionValueAndRule) {
  const at::Tensor x1 = at::randn({2, 3, 10}), w1 = at::randn({4, 3, 3});
  expect_mentions(error_of([&] { oaconv::conv1d(at::randn({2, 3, 4, 10}), w1); }),
                  {"oaconv::conv1d", "expected a 3-D input", "4-D input"});
  expect_mentions(error_of([&] { oaconv::conv1d(x1, w1, {}, Conv1dFuncOptions().padding(-1)); }),
                  {"oaconv::conv1d", "padding must be non-negative", "[-1]"});
  expect_mentions(error_of([&] { oaconv::conv1d(x1, at::randn({4, 3, 13})); }),
                  {"oaconv::conv1d", "padded input (10)", "dilated kernel (13)"});
  expect_mentions(error_of([&] { oaconv::conv1d(x1, w1, {}, Conv1dFuncOptions().padding(torch::kSame).stride(2)); }),
                  {"oaconv::conv1d", "padding='same'", "stride=[2]"});
  expect_mentions(error_of([&] { oaconv::conv3d(at::randn({1, 4, 5, 5, 5}), at::randn({2, 3, 3, 3, 3})); }),
                  {"oaconv::conv3d", "expected the input to have 3 channels"});
  const at::Tensor xt = at::randn({2, 4, 6, 6}), wt = at::randn({4, 3, 3, 3});
  expect_mentions(error_of([&] {
                    oaconv::conv_transpose2d(xt, wt, {}, ConvTranspose2dFuncOptions().stride(2).output_padding(2));
                  }),
                  {"oaconv::conv_transpose2d", "output_padding must be", "smaller than either stride or dilation",
                   "output_padding=[2, 2]"});
  expect_mentions(error_of([&] { oaconv::conv_transpose2d(at::randn({2, 5, 6, 6}), wt); }),
                  {"oaconv::conv_transpose2d", "expected the input to have 4 channels"});
  expect_mentions(error_of([&] {
                    oaconv::conv_transpose1d(at::randn({1, 4, 2}), at::randn({4, 2, 3}), {},
                                             ConvTranspose1dFuncOptions().padding(3));
                  }),
                  {"oaconv::conv_transpose1d", "output size [-2]", "too small"});
  expect_mentions(error_of([&] { oaconv::conv_transpose1d(at::randn({1, 4, 5}), at::randn({4, 2, 3}), at::randn({3})); }),
                  {"oaconv::conv_transpose1d", "bias of size [2]"});
  // Found by fuzz_conv_nd: a padding near the int64 range overflowed the output size arithmetic.
  expect_mentions(error_of([&] {
                    oaconv::conv_transpose1d(at::randn({1, 4, 5}), at::randn({4, 2, 3}), {},
                                             ConvTranspose1dFuncOptions().padding(std::numeric_limits<int64_t>::max() - 3));
                  }),
                  {"oaconv::conv_transpose1d", "overflows 64-bit sizes", "output length"});
}

}  // namespace
}  // namespace oaconv::testing
