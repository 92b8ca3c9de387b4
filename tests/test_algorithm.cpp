// Algorithm names and the pure resolution function (fallbacks, auto).
#include "conv_cases.h"
#include "test_support.h"

#include "algorithm_choice.h"
#include "algorithm_registry.h"

#include <oaconv/algorithm.h>
#include <oaconv/functional.h>

namespace oaconv::testing {
namespace {

TEST(AlgorithmNames, RoundTripEveryAlgorithm) {
  for (Algorithm a : all_algorithms()) EXPECT_EQ(algorithm_from_string(to_string(a)), a);
  EXPECT_EQ(to_string(Algorithm::kOverlapAdd), "oaa");
  EXPECT_EQ(algorithm_from_string("OAA"), Algorithm::kOverlapAdd);
  EXPECT_EQ(to_string(Algorithm::kWinograd), "winograd");
  EXPECT_EQ(all_algorithms().size(), 6u);
}

TEST(AlgorithmNames, UnknownNameListsTheValidOnes) {
  try {
    algorithm_from_string("tiled");
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("tiled"), std::string::npos) << msg;
    EXPECT_NE(msg.find("aten, direct, fft, oaa, winograd, auto"), std::string::npos) << msg;
  }
}

ConvGeometry geometry_of(int64_t channels, int64_t size, int64_t kernel) {
  const at::Tensor x = at::empty({2, channels, size, size});
  const at::Tensor w = at::empty({channels, channels, kernel, kernel});
  return make_conv_geometry(x, w, at::Tensor(), Conv2dFuncOptions().padding(kernel / 2));
}

TEST(ResolveAlgorithm, ExplicitChoiceIsKeptOnCpuFloat) {
  const ConvGeometry g = geometry_of(4, 16, 3);
  for (Algorithm a : all_algorithms()) {
    if (a == Algorithm::kAuto) continue;  // resolved per case, below
    EXPECT_EQ(resolve_algorithm(a, g, at::kFloat, at::kCPU), a);
    EXPECT_EQ(resolve_algorithm(a, g, at::kDouble, at::kCPU), a);
  }
}

TEST(ResolveAlgorithm, HalfPrecisionAndCudaFallBackToAten) {
  const ConvGeometry g = geometry_of(4, 16, 3);
  EXPECT_EQ(resolve_algorithm(Algorithm::kDirect, g, at::kBFloat16, at::kCPU), Algorithm::kAten);
  EXPECT_EQ(resolve_algorithm(Algorithm::kDirect, g, at::kHalf, at::kCPU), Algorithm::kAten);
  EXPECT_EQ(resolve_algorithm(Algorithm::kDirect, g, at::kFloat, at::Device(at::kCUDA, 0)), Algorithm::kAten);
}

TEST(ResolveAlgorithm, AutoNeverStaysAuto) {
  for (int64_t k : {1, 3, 7, 15}) {
    const ConvGeometry g = geometry_of(4, 32, k);
    EXPECT_NE(resolve_algorithm(Algorithm::kAuto, g, at::kFloat, at::kCPU), Algorithm::kAuto);
    EXPECT_EQ(resolve_algorithm(Algorithm::kAuto, g, at::kFloat, at::kCPU), choose_algorithm(g));
  }
}

TEST(ResolveAlgorithm, BFloat16RunsThroughAten) {
  const at::Tensor x = at::randn({1, 2, 8, 8}).to(at::kBFloat16);
  const at::Tensor w = at::randn({3, 2, 3, 3}).to(at::kBFloat16);
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().algorithm(Algorithm::kDirect));
  EXPECT_EQ(y.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(y.to(at::kFloat).allclose(at::conv2d(x, w).to(at::kFloat)));
}

// The registry holds every algorithm but auto, aten first (the baseline), each with all three
// passes; its passes agree with torch on a small case (the full table is in
// test_conv_correctness.cpp; winograd's 3x5 case is aten's), and only direct and winograd (3x3
// at stride 1 only) decline a stride far beyond the image.
TEST(AlgorithmRegistry, HoldsEveryAlgorithmButAutoWithItsPasses) {
  const auto& registry = algorithm_registry();
  ASSERT_EQ(registry.size() + 1, all_algorithms().size());
  EXPECT_EQ(registry.front().algorithm, Algorithm::kAten);
  for (Algorithm a : all_algorithms()) {
    if (a == Algorithm::kAuto) continue;
    const AlgorithmEntry& e = registry_entry(a);
    EXPECT_EQ(e.algorithm, a);
    EXPECT_TRUE(e.declines && e.forward && e.grad_input && e.grad_weight) << to_string(a);
    EXPECT_EQ(e.spectral, a == Algorithm::kFft || a == Algorithm::kOverlapAdd) << to_string(a);
  }
  const at::Tensor x = at::randn({2, 3, 11, 9}, at::kDouble), w = at::randn({4, 3, 3, 5}, at::kDouble);
  const ConvGeometry g = make_conv_geometry(x, w, at::Tensor(), Conv2dFuncOptions().padding({1, 2}));
  const at::Tensor y = at::conv2d(x, w, {}, 1, {1, 2});
  const at::Tensor gy = at::randn(y.sizes(), y.options());
  const auto [gx, gw, gb] = at::convolution_backward(gy, x, w, c10::nullopt, {1, 1}, {1, 2}, {1, 1}, false, {0, 0}, 1,
                                                     {true, true, false});
  for (const AlgorithmEntry& e : registry) {
    SCOPED_TRACE(to_string(e.algorithm));
    EXPECT_LE(relative_error(e.forward(x, w, at::Tensor(), g), y), 1e-10);
    EXPECT_LE(relative_error(e.grad_input(gy, x, w, g), gx), 1e-10);
    EXPECT_LE(relative_error(e.grad_weight(gy, x, w, g), gw), 1e-10);
  }
  const at::Tensor tiny = at::empty({1, 1, 16, 16 * 1000}), k = at::empty({1, 1, 3, 3});
  const ConvGeometry strided = make_conv_geometry(tiny, k, at::Tensor(), Conv2dFuncOptions().stride({1, 10000}));
  for (const AlgorithmEntry& e : registry) {
    EXPECT_EQ(e.declines(strided) != nullptr, e.algorithm == Algorithm::kDirect || e.algorithm == Algorithm::kWinograd)
        << to_string(e.algorithm);
  }
}

}  // namespace
}  // namespace oaconv::testing
