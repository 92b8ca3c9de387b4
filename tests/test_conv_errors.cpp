// Bad input gets a c10::Error naming oaconv::conv2d, the offending value and the rule, for
// every algorithm (validation happens before an algorithm is chosen).
#include "test_support.h"

#include <oaconv/functional.h>

#include <initializer_list>
#include <limits>

namespace oaconv::testing {
namespace {

class ConvErrors : public SeededParamTest<Algorithm> {
 protected:
  Conv2dFuncOptions opts() const { return Conv2dFuncOptions().algorithm(GetParam()); }

  template <typename F>
  void expect_error(F&& call, std::initializer_list<const char*> fragments) {
    try {
      call();
      ADD_FAILURE() << "expected a c10::Error";
    } catch (const c10::Error& e) {
      const std::string msg = e.what_without_backtrace();
      EXPECT_NE(msg.find("oaconv::conv2d"), std::string::npos) << msg;
      for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "missing '" << f << "' in: " << msg;
    }
  }
};

TEST_P(ConvErrors, WrongRank) {
  const at::Tensor w = at::randn({2, 3, 3, 3});
  expect_error([&] { oaconv::conv2d(at::randn({3, 8}), w, {}, opts()); }, {"4-D input", "2-D input", "[3, 8]"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 1, 3, 8, 8}), w, {}, opts()); }, {"5-D input"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 3, 8, 8}), at::randn({2, 3, 3}), {}, opts()); },
               {"4-D weight", "3-D weight"});
}

TEST_P(ConvErrors, ChannelMismatch) {
  expect_error([&] { oaconv::conv2d(at::randn({1, 3, 8, 8}), at::randn({2, 4, 3, 3}), {}, opts()); },
               {"expected the input to have 4 channels", "3 channels"});
}

TEST_P(ConvErrors, GroupsMustDivideChannels) {
  expect_error([&] { oaconv::conv2d(at::randn({1, 3, 8, 8}), at::randn({2, 1, 3, 3}), {}, opts().groups(2)); },
               {"in_channels (3)", "divisible by groups (2)"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 4, 8, 8}), at::randn({3, 2, 3, 3}), {}, opts().groups(2)); },
               {"out_channels (3)", "divisible by groups (2)"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 4, 8, 8}), at::randn({4, 4, 3, 3}), {}, opts().groups(0)); },
               {"groups must be positive", "groups=0"});
}

TEST_P(ConvErrors, KernelLargerThanPaddedInput) {
  expect_error([&] { oaconv::conv2d(at::randn({1, 1, 4, 8}), at::randn({1, 1, 5, 3}), {}, opts()); },
               {"padded input (4x8)", "dilated kernel (5x3)"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 1, 6, 6}), at::randn({1, 1, 3, 3}), {}, opts().dilation(3)); },
               {"dilated kernel (7x7)"});
}

TEST_P(ConvErrors, NonPositiveStrideOrDilationAndNegativePadding) {
  const at::Tensor x = at::randn({1, 2, 8, 8}), w = at::randn({2, 2, 3, 3});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().stride({0, 1})); }, {"stride must be positive", "stride=[0, 1]"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().stride(-2)); }, {"stride=[-2, -2]"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().dilation({1, 0})); }, {"dilation must be positive", "dilation=[1, 0]"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().padding(torch::ExpandingArray<2>({-1, 0}))); },
               {"padding must be non-negative", "padding=[-1, 0]"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().padding(torch::kSame).stride(2)); },
               {"padding='same' is not supported for strided convolutions"});
}

TEST_P(ConvErrors, DtypeProblems) {
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), at::randn({2, 2, 3, 3}, at::kDouble), {}, opts()); },
               {"same dtype", "Float", "Double"});
  expect_error([&] { oaconv::conv2d(at::ones({1, 2, 8, 8}, at::kInt), at::ones({2, 2, 3, 3}, at::kInt), {}, opts()); },
               {"floating-point input", "Int"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), at::randn({2, 2, 3, 3}), at::randn({2}, at::kDouble), opts()); },
               {"bias must have the input's dtype"});
}

TEST_P(ConvErrors, WrongBiasSize) {
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), at::randn({3, 2, 3, 3}), at::randn({2}), opts()); },
               {"bias of size [3]", "[2]"});
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), at::randn({3, 2, 3, 3}), at::randn({3, 1}), opts()); },
               {"bias of size [3]", "[3, 1]"});
}

TEST_P(ConvErrors, TensorsOnDifferentDevices) {
  // The meta device stands in for a second device on a CPU-only machine.
  const at::Tensor w_meta = at::empty({2, 2, 3, 3}, at::TensorOptions().device(at::kMeta));
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), w_meta, {}, opts()); },
               {"same device", "cpu", "meta"});
  const at::Tensor b_meta = at::empty({2}, at::TensorOptions().device(at::kMeta));
  expect_error([&] { oaconv::conv2d(at::randn({1, 2, 8, 8}), at::randn({2, 2, 3, 3}), b_meta, opts()); },
               {"bias must be on the input's device"});
}

TEST_P(ConvErrors, EmptySpatialInputIsRefusedAsTorchDoes) {
  expect_error([&] { oaconv::conv2d(at::randn({2, 1, 4, 0}), at::randn({1, 1, 3, 1}), {}, opts().padding({2, 40})); },
               {"only an empty batch or zero input channels may make the input empty", "[2, 1, 4, 0]"});
}

// Sizes whose arithmetic would overflow int64 are refused by name, before any algorithm (or
// ATen, which fails an internal assert on them) sees them.
TEST_P(ConvErrors, SizesThatOverflowAreRefused) {
  const at::Tensor x = at::randn({1, 2, 8, 8}), w = at::randn({2, 2, 3, 3});
  const int64_t huge = int64_t{1} << 62;
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().dilation(huge)); },
               {"the dilated kernel's height", "overflows 64-bit sizes"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().padding(std::numeric_limits<int64_t>::max() - 3)); },
               {"the padded input's height", "overflows 64-bit sizes"});
  expect_error([&] { oaconv::conv2d(x, w, {}, opts().padding(torch::kSame).dilation({1, huge})); },
               {"the dilated kernel's width", "overflows 64-bit sizes"});
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ConvErrors,
                         ::testing::ValuesIn(every_algorithm()),
                         [](const ::testing::TestParamInfo<Algorithm>& info) { return to_string(info.param); });

}  // namespace
}  // namespace oaconv::testing
