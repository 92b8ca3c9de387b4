// Second derivatives through every algorithm: a loss made of the output and of the gradients
// themselves (a gradient penalty, the case that create_graph exists for) must give torch's
// gradients of the input, weight and bias. oaconv's own passes are not differentiable, so a
// backward that records a graph must be computed differentiably, never silently without it.
#include "conv_cases.h"
#include "test_support.h"

#include "conv_node.h"
#include "conv_geometry.h"

#include <oaconv/functional.h>

#include <torch/autograd.h>

#include <functional>
#include <tuple>

namespace oaconv::testing {
namespace {

using ConvFn = std::function<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>;

struct SecondOrder {
  at::Tensor gx, gw, gb;
};

// loss = sum(y) + ||d(sum(y^2))/dx||^2 + ||d(sum(y^2))/dw||^2, differentiated w.r.t. x, w, b.
SecondOrder second_order_grads(const ConvFn& conv, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0) {
  at::Tensor x = x0.clone().requires_grad_(true);
  at::Tensor w = w0.clone().requires_grad_(true);
  at::Tensor b = b0.defined() ? b0.clone().requires_grad_(true) : at::Tensor();
  const at::Tensor y = conv(x, w, b);
  const auto first = torch::autograd::grad({y.pow(2).sum()}, {x, w}, {}, /*retain_graph=*/true, /*create_graph=*/true);
  const at::Tensor loss = y.sum() + first[0].pow(2).sum() + first[1].pow(2).sum();
  loss.backward();
  return {x.grad(), w.grad(), b.defined() ? b.grad() : at::Tensor()};
}

void expect_close(const SecondOrder& got, const SecondOrder& expect, double limit) {
  ASSERT_TRUE(got.gx.defined() && got.gw.defined());
  EXPECT_LE(relative_error(got.gx, expect.gx), limit) << "d loss / d input";
  EXPECT_LE(relative_error(got.gw, expect.gw), limit) << "d loss / d weight";
  if (expect.gb.defined()) {
    ASSERT_TRUE(got.gb.defined());
    EXPECT_LE(relative_error(got.gb, expect.gb), limit) << "d loss / d bias";
  }
}

SecondOrder reference(const ConvCase& c, const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return second_order_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) {
        return oaconv::conv2d(xi, wi, bi, c.options(Algorithm::kAten));
      },
      x, w, b);
}

using Param = CaseAlgorithmDtype;
class DoubleBackward : public SeededParamTest<Param> {};

TEST_P(DoubleBackward, GradientOfGradientsMatchesTorch) {
  const auto& param = GetParam();
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  const auto& dtype = std::get<2>(param);
  const at::Tensor x = c.make_input(dtype), w = c.make_weight(dtype), b = c.make_bias(dtype);
  const SecondOrder got = second_order_grads(
      [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) {
        return oaconv::conv2d(xi, wi, bi, c.options(algorithm));
      },
      x, w, b);
  expect_close(got, reference(c, x, w, b), dtype == at::kDouble ? 1e-9 : 1e-4);
}


INSTANTIATE_TEST_SUITE_P(Table, DoubleBackward,
                         ::testing::Combine(::testing::ValuesIn(conv_cases()),
                                            ::testing::ValuesIn(algorithms_besides_aten()),
                                            ::testing::Values(at::kDouble)),
                         case_test_name);

INSTANTIATE_TEST_SUITE_P(Float32, DoubleBackward,
                         ::testing::Combine(::testing::Values(conv_cases().front(), conv_cases().back()),
                                            ::testing::Values(Algorithm::kDirect, Algorithm::kOverlapAdd),
                                            ::testing::Values(at::kFloat)),
                         case_test_name);

// auto's per-pass mix (one autograd node running different algorithms per pass).
class MixedDoubleBackward : public SeededTest {};

TEST_F(MixedDoubleBackward, EveryPassCombinationMatchesTorch) {
  for (const ConvCase& c : {conv_cases()[0], conv_cases()[conv_cases().size() / 2]}) {
    const at::Tensor x = c.make_input(at::kDouble), w = c.make_weight(at::kDouble), b = c.make_bias(at::kDouble);
    const SecondOrder expect = reference(c, x, w, b);
    const PassAlgorithms mixes[] = {{Algorithm::kDirect, Algorithm::kFft, Algorithm::kOverlapAdd},
                                    {Algorithm::kOverlapAdd, Algorithm::kAten, Algorithm::kDirect}};
    for (const PassAlgorithms& mix : mixes) {
      SCOPED_TRACE(c.name() + " " + to_string(mix.forward) + "/" + to_string(mix.grad_input) + "/" +
                   to_string(mix.grad_weight));
      const SecondOrder got = second_order_grads(
          [&](const at::Tensor& xi, const at::Tensor& wi, const at::Tensor& bi) {
            const ConvGeometry g = make_conv_geometry(xi, wi, bi, c.options(Algorithm::kAuto));
            return conv_with_pass_algorithms(xi, wi, bi, g, mix);
          },
          x, w, b);
      expect_close(got, expect, 1e-9);
    }
  }
}

// A first-order backward (no graph asked for) still runs oaconv's own passes: its results carry
// no history.
TEST_F(MixedDoubleBackward, FirstOrderBackwardRecordsNoGraph) {
  const ConvCase c = conv_cases().front();
  at::Tensor x = c.make_input(at::kDouble).requires_grad_(true);
  const at::Tensor w = c.make_weight(at::kDouble).requires_grad_(true);
  const at::Tensor y = oaconv::conv2d(x, w, {}, c.options(Algorithm::kOverlapAdd));
  const auto g = torch::autograd::grad({y.pow(2).sum()}, {x});
  EXPECT_FALSE(g[0].requires_grad());
}

}  // namespace
}  // namespace oaconv::testing
