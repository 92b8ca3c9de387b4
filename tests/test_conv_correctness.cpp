// Every case of the shared table, crossed with every algorithm and both precisions: output,
// grad input, grad weight and grad bias against torch::conv2d and its autograd.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/functional.h>

#include <tuple>

namespace oaconv::testing {
namespace {

struct Result {
  at::Tensor y, gx, gw, gb;
};

// Runs conv (ours or the reference) with autograd on copies of x, w, b and returns the output
// and the gradients of sum(y * gy).
template <typename Conv>
Result run_with_grads(Conv conv, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0,
                      const at::Tensor& gy) {
  at::Tensor x = x0.clone().requires_grad_(true);
  at::Tensor w = w0.clone().requires_grad_(true);
  at::Tensor b = b0.defined() ? b0.clone().requires_grad_(true) : at::Tensor();
  at::Tensor y = conv(x, w, b);
  y.backward(gy);
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : at::Tensor()};
}

at::Tensor reference_conv(const ConvCase& c, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  const std::vector<int64_t> stride{c.stride_h, c.stride_w}, dilation{c.dilation_h, c.dilation_w};
  switch (c.padding_kind) {
    case PaddingKind::kSame: return at::conv2d(x, w, b, stride, "same", dilation, c.groups);
    case PaddingKind::kValid: return at::conv2d(x, w, b, stride, "valid", dilation, c.groups);
    case PaddingKind::kExplicit: break;
  }
  const std::vector<int64_t> padding{c.pad_h, c.pad_w};
  return at::conv2d(x, w, b, stride, padding, dilation, c.groups);
}

using Param = CaseAlgorithmDtype;

class ConvCorrectness : public SeededParamTest<Param> {};

TEST_P(ConvCorrectness, OutputAndAllGradientsMatchTorch) {
  const auto& param = GetParam();
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  const auto& dtype = std::get<2>(param);
  const at::Tensor x = c.make_input(dtype);
  const at::Tensor w = c.make_weight(dtype);
  const at::Tensor b = c.make_bias(dtype);
  // Random (not all-ones) grad-output, so every gradient path is exercised.
  const at::Tensor gy = at::randn(reference_conv(c, x, w, b).sizes(), x.options());
  const Result expect = run_with_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) { return reference_conv(c, xi, wi, bi); },
      x, w, b, gy);
  const Result got = run_with_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) {
        return oaconv::conv2d(xi, wi, bi, c.options(algorithm));
      },
      x, w, b, gy);

  const double limit = error_limit(algorithm, dtype);
  ASSERT_EQ(got.y.sizes(), expect.y.sizes());
  EXPECT_EQ(got.y.scalar_type(), dtype);
  EXPECT_LE(relative_error(got.y, expect.y), limit) << "output";
  EXPECT_LE(relative_error(got.gx, expect.gx), limit) << "grad input";
  EXPECT_LE(relative_error(got.gw, expect.gw), limit) << "grad weight";
  if (c.bias) {
    EXPECT_LE(relative_error(got.gb, expect.gb), limit) << "grad bias";
  }
}


INSTANTIATE_TEST_SUITE_P(Table, ConvCorrectness,
                         ::testing::Combine(::testing::ValuesIn(conv_cases()),
                                            ::testing::ValuesIn(every_algorithm()),
                                            ::testing::Values(at::kFloat, at::kDouble)),
                         case_test_name);

}  // namespace
}  // namespace oaconv::testing
