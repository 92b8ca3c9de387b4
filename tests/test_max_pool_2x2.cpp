// The classifier's 2x2 max pooling against at::max_pool2d: values, indices, gradients.
#include "max_pool_2x2.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <limits>

namespace oaconv::testing {
namespace {

using oaconv::training::max_pool_2x2;
using oaconv::training::max_pool_2x2_with_indices;

void expect_same_as_aten(const at::Tensor& x) {
  auto [out, indices] = max_pool_2x2_with_indices(x);
  auto [expected, expected_indices] = at::max_pool2d_with_indices(x, {2, 2});
  ASSERT_EQ(out.sizes(), expected.sizes());
  EXPECT_TRUE(at::equal(indices, expected_indices)) << "indices differ for sizes " << x.sizes();
  // NaN == NaN for this comparison: both must put NaN in the same places.
  EXPECT_TRUE(at::equal(at::isnan(out), at::isnan(expected)));
  EXPECT_TRUE(at::equal(at::nan_to_num(out, 0), at::nan_to_num(expected, 0)));
}

TEST(MaxPool2x2, MatchesAtenOnOddAndEvenSizes) {
  at::manual_seed(3);
  for (auto dtype : {at::kFloat, at::kDouble}) {
    for (auto sizes : std::vector<std::vector<int64_t>>{{2, 3, 8, 8}, {1, 2, 7, 9}, {3, 1, 2, 2}, {4, 5, 3, 2}, {3, 5, 6}}) {
      expect_same_as_aten(at::randn(sizes, at::TensorOptions().dtype(dtype)));
    }
  }
}

TEST(MaxPool2x2, TiesAndNansPickTheSameIndexAsAten) {
  // Few distinct values: most windows hold ties. Then some NaNs and -inf.
  at::Tensor x = at::randint(0, 3, {2, 3, 10, 12}).to(at::kFloat);
  expect_same_as_aten(x);
  x.view(-1).index_put_({at::arange(0, x.numel(), 7)}, std::numeric_limits<float>::quiet_NaN());
  x.view(-1).index_put_({at::arange(3, x.numel(), 11)}, -std::numeric_limits<float>::infinity());
  expect_same_as_aten(x);
  expect_same_as_aten(at::full({1, 1, 4, 4}, -std::numeric_limits<float>::infinity()));
}

TEST(MaxPool2x2, NonContiguousInputIsPooledAsItsValues) {
  at::Tensor x = at::randn({2, 6, 9, 4}).permute({0, 3, 1, 2});  // (2, 4, 6, 9), channels last
  ASSERT_FALSE(x.is_contiguous());
  expect_same_as_aten(x);
}

TEST(MaxPool2x2, GradientEqualsAtenMaxPoolGradient) {
  at::manual_seed(4);
  for (auto dtype : {at::kFloat, at::kDouble}) {
    const at::Tensor base = at::randn({2, 3, 9, 10}, at::TensorOptions().dtype(dtype));
    const at::Tensor grad_out = at::randn({2, 3, 4, 5}, at::TensorOptions().dtype(dtype));
    at::Tensor x1 = base.clone().requires_grad_(true);
    at::Tensor x2 = base.clone().requires_grad_(true);
    max_pool_2x2(x1).backward(grad_out);
    at::max_pool2d(x2, {2, 2}).backward(grad_out);
    EXPECT_TRUE(at::equal(x1.grad(), x2.grad()));
  }
}

TEST(MaxPool2x2, BadInputGivesAClearError) {
  const auto message = [](const at::Tensor& x) {
    try {
      max_pool_2x2(x);
    } catch (const c10::Error& e) {
      return std::string(e.what_without_backtrace());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(at::zeros({2, 3, 1, 8})).find("H and W >= 2, but the input is 1x8"), std::string::npos);
  EXPECT_NE(message(at::zeros({8, 8})).find("got 2 dimensions"), std::string::npos);
  EXPECT_NE(message(at::zeros({1, 1, 4, 4}, at::kInt)).find("floating-point"), std::string::npos);
}

}  // namespace
}  // namespace oaconv::testing
