// The direct algorithm's passes called on output buffers poisoned with NaN: every element must
// be written, and equal torch's (float64, tight).
#include "conv_cases.h"
#include "test_support.h"

#include "conv_geometry.h"
#include "direct/direct_passes.h"

#include <oaconv/functional.h>

#include <torch/autograd.h>

namespace oaconv::testing {
namespace {

class DirectPasses : public SeededParamTest<ConvCase> {};

TEST_P(DirectPasses, WriteEveryElementOfPoisonedOutputs) {
  const ConvCase& c = GetParam();
  const at::Tensor x = c.make_input(at::kDouble).requires_grad_(true);
  const at::Tensor w = c.make_weight(at::kDouble).requires_grad_(true);
  const at::Tensor b = c.make_bias(at::kDouble);
  const auto options = c.options(Algorithm::kAten);
  const ConvGeometry g = make_conv_geometry(x, w, b, options);

  const at::Tensor y_ref = oaconv::conv2d(x, w, b, options);
  const at::Tensor gy = at::randn(y_ref.sizes(), y_ref.options());
  const auto grads = torch::autograd::grad({y_ref}, {x, w}, {gy});

  at::Tensor y = at::full(y_ref.sizes(), NAN, y_ref.options());
  direct::forward_out(x.detach(), w.detach(), b, g, y);
  EXPECT_LE(relative_error(y, y_ref.detach()), 1e-10);

  at::Tensor gx = at::full(x.sizes(), NAN, x.options());
  direct::grad_input_out(gy, w.detach(), g, gx);
  EXPECT_LE(relative_error(gx, grads[0]), 1e-10);

  at::Tensor gw = at::full(w.sizes(), NAN, w.options());
  direct::grad_weight_out(gy, x.detach(), g, gw);
  EXPECT_LE(relative_error(gw, grads[1]), 1e-10);
}

INSTANTIATE_TEST_SUITE_P(Table, DirectPasses, ::testing::ValuesIn(conv_cases()),
                         [](const ::testing::TestParamInfo<ConvCase>& info) { return info.param.name(); });

}  // namespace
}  // namespace oaconv::testing
