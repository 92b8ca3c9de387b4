// The direct algorithm's passes called on output buffers poisoned with NaN: every element must
// be written, and equal torch's (float64, tight).
#include "conv3d_cases.h"
#include "conv_cases.h"
#include "test_support.h"

#include "conv_geometry.h"
#include "direct/direct_passes.h"

#include <oaconv/functional.h>

#include <torch/autograd.h>

#include <vector>

namespace oaconv::testing {
namespace {

class DirectPasses : public SeededParamTest<ConvCase> {};

// The passes run at rank 3 (unit leading axes for a 2-D case), on NaN-poisoned outputs.
void check_poisoned_passes(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvGeometry& g,
                           const at::Tensor& y_ref) {
  const ConvGeometry g3 = with_leading_unit_axes(g, kMaxSpatialRank);
  const auto lift = [&](const at::Tensor& t) { return unsqueeze_to_rank(t, g, kMaxSpatialRank).contiguous(); };
  const at::Tensor gy = at::randn(y_ref.sizes(), y_ref.options());
  const auto grads = torch::autograd::grad({y_ref}, {x, w}, {gy});

  at::Tensor y = at::full(g3.output_sizes(), NAN, y_ref.options());
  direct::forward_out(lift(x.detach()), lift(w.detach()), b, g3, y);
  EXPECT_LE(relative_error(y.view_as(y_ref), y_ref.detach()), 1e-10);

  at::Tensor gx = at::full(g3.input_sizes(), NAN, x.options());
  direct::grad_input_out(lift(gy), lift(w.detach()), g3, gx);
  EXPECT_LE(relative_error(gx.view_as(x), grads[0]), 1e-10);

  at::Tensor gw = at::full(w.sizes(), NAN, w.options());
  direct::grad_weight_out(lift(gy), lift(x.detach()), g3, gw);
  EXPECT_LE(relative_error(gw, grads[1]), 1e-10);
}

TEST_P(DirectPasses, WriteEveryElementOfPoisonedOutputs) {
  const ConvCase& c = GetParam();
  const at::Tensor x = c.make_input(at::kDouble).requires_grad_(true);
  const at::Tensor w = c.make_weight(at::kDouble).requires_grad_(true);
  const at::Tensor b = c.make_bias(at::kDouble);
  const auto options = c.options(Algorithm::kAten);
  check_poisoned_passes(x, w, b, make_conv_geometry(x, w, b, options), oaconv::conv2d(x, w, b, options));
}

// 3-D: strides and dilations per axis, groups, depthwise (the row-blocked kernel), asymmetric
// padding.
TEST(DirectPasses3d, WriteEveryElementOfPoisonedOutputs) {
  const Conv3dCase cases[] = {
      {{2, 4, 7, 6, 9}, {6, 2, 3, 4, 3}, {2, 1, 2}, {1, 2, 0}, {1, 2, 1}, 2},
      {{1, 3, 5, 6, 20}, {3, 1, 3, 3, 3}, {1, 2, 1}, {1, 1, 1}, {2, 1, 1}, 3},
      {{2, 3, 6, 5, 8}, {2, 3, 2, 2, 5}, {3, 1, 3}, {2, 0, 2}, {1, 1, 2}, 1},
  };
  for (const Conv3dCase& c : cases) {
    const Conv3dData d = make_conv3d_data(c);
    SCOPED_TRACE(d.g.to_string());
    check_poisoned_passes(d.x, d.w, d.b, d.g, d.reference());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, DirectPasses, ::testing::ValuesIn(conv_cases()),
                         [](const ::testing::TestParamInfo<ConvCase>& info) { return info.param.name(); });

}  // namespace
}  // namespace oaconv::testing
