// NaN, Inf and huge finite values: every algorithm makes non-finite exactly the outputs and
// gradients torch makes non-finite (same NaN, +Inf and -Inf positions), and the other values
// agree. A spectral transform spreads one bad value over a whole tile, so the spectral passes
// must not hand such a result back.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/functional.h>

#include <limits>
#include <tuple>

namespace oaconv::testing {
namespace {

enum class Poison { kNaN, kPosInf, kNegInf, kHuge };

const char* name(Poison p) {
  switch (p) {
    case Poison::kNaN: return "nan";
    case Poison::kPosInf: return "inf";
    case Poison::kNegInf: return "neginf";
    case Poison::kHuge: return "huge";
  }
  return "?";
}

double poison_value(Poison p, at::ScalarType dtype) {
  switch (p) {
    case Poison::kNaN: return std::numeric_limits<double>::quiet_NaN();
    case Poison::kPosInf: return std::numeric_limits<double>::infinity();
    case Poison::kNegInf: return -std::numeric_limits<double>::infinity();
    case Poison::kHuge: break;
  }
  // Finite, but its products with the weights overflow in some outputs (torch gives Inf there).
  return dtype == at::kFloat ? 3e38 : 1e308;
}

// Sets one element (at a fixed pseudo-random flat index) and a second one in another image.
void poison(at::Tensor& t, Poison p, at::ScalarType dtype) {
  at::Tensor flat = t.view({-1});
  const int64_t n = flat.numel();
  flat[(n * 2) / 5].fill_(poison_value(p, dtype));
  if (t.size(0) > 1) flat[n - 1 - n / 7].fill_(poison_value(p, dtype));
}

void expect_same_pattern(const at::Tensor& got, const at::Tensor& expect, double limit, const char* what) {
  ASSERT_EQ(got.sizes(), expect.sizes()) << what;
  const at::Tensor expect_finite = at::isfinite(expect);
  EXPECT_TRUE(at::isnan(got).equal(at::isnan(expect)))
      << what << ": NaN at " << at::isnan(got).sum().item<int64_t>() << " places, torch at "
      << at::isnan(expect).sum().item<int64_t>();
  EXPECT_TRUE(at::isposinf(got).equal(at::isposinf(expect)))
      << what << ": +Inf at " << at::isposinf(got).sum().item<int64_t>() << " places, torch at "
      << at::isposinf(expect).sum().item<int64_t>();
  EXPECT_TRUE(at::isneginf(got).equal(at::isneginf(expect)))
      << what << ": -Inf at " << at::isneginf(got).sum().item<int64_t>() << " places, torch at "
      << at::isneginf(expect).sum().item<int64_t>();
  if (expect_finite.any().item<bool>()) {
    EXPECT_LE(relative_error(got.masked_select(expect_finite), expect.masked_select(expect_finite)), limit)
        << what << ": finite values";
  }
}

const std::vector<ConvCase>& cases() {
  using P = PaddingKind;
  static const std::vector<ConvCase> c{
      {2, 3, 4, 20, 17, 5, 5, 1, 1, 1, 1, P::kExplicit, 2, 2, 1, true},
      {2, 4, 4, 19, 24, 7, 7, 2, 2, 1, 1, P::kExplicit, 3, 3, 4, true},
      {1, 2, 3, 23, 21, 4, 6, 1, 1, 1, 1, P::kSame, 0, 0, 1, false},
  };
  return c;
}

enum class Where { kInput, kWeight, kGradOutput };
const char* name(Where w) {
  switch (w) {
    case Where::kInput: return "input";
    case Where::kWeight: return "weight";
    case Where::kGradOutput: return "gradout";
  }
  return "?";
}

using Param = std::tuple<ConvCase, Algorithm, at::ScalarType, Poison, Where>;
class NonFinite : public SeededParamTest<Param> {};

TEST_P(NonFinite, SamePatternAsTorchInOutputAndGradients) {
  const auto& param = GetParam();
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  const auto& dtype = std::get<2>(param);
  const auto& p = std::get<3>(param);
  const auto& where = std::get<4>(param);
  at::Tensor x = c.make_input(dtype), w = c.make_weight(dtype);
  const at::Tensor b = c.make_bias(dtype);
  if (where == Where::kInput) poison(x, p, dtype);
  if (where == Where::kWeight) poison(w, p, dtype);
  at::Tensor gy = at::randn(oaconv::conv2d(x, w, b, c.options(Algorithm::kAten)).sizes(), x.options());
  if (where == Where::kGradOutput) poison(gy, p, dtype);

  auto run = [&](Algorithm a) {
    at::Tensor xi = x.clone().requires_grad_(true), wi = w.clone().requires_grad_(true);
    at::Tensor y = oaconv::conv2d(xi, wi, b, c.options(a));
    y.backward(gy);
    return std::make_tuple(y.detach(), xi.grad(), wi.grad());
  };
  const auto [y_ref, gx_ref, gw_ref] = run(Algorithm::kAten);
  const auto [y, gx, gw] = run(algorithm);
  const double limit = error_limit(algorithm, dtype);
  expect_same_pattern(y, y_ref, limit, "output");
  expect_same_pattern(gx, gx_ref, limit, "grad input");
  expect_same_pattern(gw, gw_ref, limit, "grad weight");
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  const auto& param = info.param;
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  const auto& dtype = std::get<2>(param);
  const auto& p = std::get<3>(param);
  const auto& where = std::get<4>(param);
  return to_string(algorithm) + "_" + (dtype == at::kDouble ? "f64" : "f32") + "_" + name(p) + "_in_" +
         name(where) + "_" + c.name();
}

INSTANTIATE_TEST_SUITE_P(Table, NonFinite,
                         ::testing::Combine(::testing::ValuesIn(cases()),
                                            ::testing::ValuesIn(algorithms_besides_aten()),
                                            ::testing::Values(at::kFloat, at::kDouble),
                                            ::testing::Values(Poison::kNaN, Poison::kPosInf, Poison::kNegInf,
                                                              Poison::kHuge),
                                            ::testing::Values(Where::kInput, Where::kWeight, Where::kGradOutput)),
                         param_name);

}  // namespace
}  // namespace oaconv::testing
