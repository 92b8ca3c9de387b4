// Inputs torch::conv2d accepts beyond the plain case: empty batch, unbatched 3-D input,
// non-contiguous and channels-last tensors, gradients only for some inputs.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/functional.h>

#include <c10/core/InferenceMode.h>
#include <torch/autograd.h>

#include <limits>
#include <utility>

namespace oaconv::testing {
namespace {

class ConvLayouts : public SeededParamTest<Algorithm> {
 protected:
  Algorithm algorithm() const { return GetParam(); }
};

TEST_P(ConvLayouts, EmptyBatchGivesEmptyOutputAndZeroWeightGrad) {
  const at::Tensor x = at::randn({0, 3, 9, 8}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::randn({4, 3, 3, 3}, at::kDouble).requires_grad_(true);
  const at::Tensor b = at::randn({4}, at::kDouble).requires_grad_(true);
  const at::Tensor y = oaconv::conv2d(x, w, b, Conv2dFuncOptions().padding(1).algorithm(algorithm()));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{0, 4, 9, 8}));
  y.sum().backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(b.grad().abs().sum().item<double>(), 0.0);
}

// Depthwise and grouped layers take their own loops (one output channel per group): an empty
// batch there too, forward and backward.
TEST_P(ConvLayouts, EmptyBatchGroupedAndDepthwise) {
  for (const int64_t groups : {int64_t{2}, int64_t{4}}) {
    const at::Tensor x = at::randn({0, 4, 5, 11}, at::kDouble).requires_grad_(true);
    const at::Tensor w = at::randn({4, 4 / groups, 4, 3}, at::kDouble).requires_grad_(true);
    const at::Tensor y =
        oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding({1, 0}).groups(groups).algorithm(algorithm()));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{0, 4, 4, 9}));
    y.sum().backward();
    EXPECT_EQ(x.grad().sizes(), x.sizes());
    EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  }
}

// torch's result for an input without channels has its own shape ([N, 0, H, W] in LibTorch
// 1.13, no bias): every algorithm returns exactly that, and gradients of its shapes.
TEST_P(ConvLayouts, NoInputChannelsGivesTorchsResult) {
  const at::Tensor x = at::randn({2, 0, 9, 8}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::randn({3, 0, 3, 3}, at::kDouble).requires_grad_(true);
  const at::Tensor b = at::randn({3}, at::kDouble).requires_grad_(true);
  const at::Tensor ref = at::conv2d(x, w, b, {1, 1}, {1, 1});
  const at::Tensor y = oaconv::conv2d(x, w, b, Conv2dFuncOptions().padding(1).algorithm(algorithm()));
  ASSERT_EQ(y.sizes(), ref.sizes());
  EXPECT_TRUE(y.equal(ref));
  y.sum().backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
}

// A stride far beyond the image: a 1x1 output, computed without allocating in proportion to
// the stride (direct declines the case; the others need memory in proportion to the image).
TEST_P(ConvLayouts, HugeStrideGivesOneOutput) {
  const at::Tensor x = at::randn({2, 3, 16, 16}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::randn({4, 3, 3, 3}, at::kDouble).requires_grad_(true);
  const int64_t stride = 1000000000;
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().stride(stride).algorithm(algorithm()));
  const at::Tensor ref = at::conv2d(x, w, {}, {stride, stride});
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 4, 1, 1}));
  EXPECT_LE(relative_error(y, ref), 1e-10);
  const at::Tensor gy = at::randn(y.sizes(), y.options());
  const auto got = torch::autograd::grad({y}, {x, w}, {gy});
  const auto expect = torch::autograd::grad({ref}, {x, w}, {gy});
  EXPECT_LE(relative_error(got[0], expect[0]), 1e-10);
  EXPECT_LE(relative_error(got[1], expect[1]), 1e-10);
}

// A stride of 2^62 (or 2^63 - 1), which LibTorch's oneDNN path cannot describe: the same single
// window as any stride past the image, so the same result as torch's with stride 100.
TEST_P(ConvLayouts, StrideNearInt64MaxEqualsAnyStridePastTheImage) {
  const at::Tensor x = at::randn({2, 3, 9, 7}, at::kDouble), w = at::randn({4, 3, 3, 2}, at::kDouble);
  const at::Tensor ref = at::conv2d(x, w, {}, {100, 100}, {1, 0});
  for (const int64_t stride : {int64_t{1} << 62, std::numeric_limits<int64_t>::max()}) {
    const at::Tensor y =
        oaconv::conv2d(x, w, {}, Conv2dFuncOptions().stride(stride).padding({1, 0}).algorithm(algorithm()));
    ASSERT_EQ(y.sizes(), ref.sizes());
    EXPECT_LE(relative_error(y, ref), 1e-10);
  }
}

TEST_P(ConvLayouts, UnbatchedInput) {
  const at::Tensor x = at::randn({3, 11, 10}, at::kDouble);
  const at::Tensor w = at::randn({5, 3, 3, 2}, at::kDouble);
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding({1, 0}).algorithm(algorithm()));
  const at::Tensor ref = at::conv2d(x, w, {}, {1, 1}, {1, 0});
  ASSERT_EQ(y.sizes(), ref.sizes());
  EXPECT_LE(relative_error(y, ref), 1e-10);
}

TEST_P(ConvLayouts, NonContiguousAndChannelsLastInputs) {
  const at::Tensor base = at::randn({2, 12, 4, 13}, at::kDouble);
  const at::Tensor x_nc = base.transpose(1, 3);                              // (2, 13, 4, 12)
  ASSERT_FALSE(x_nc.is_contiguous());
  const at::Tensor w = at::randn({3, 13, 3, 3}, at::kDouble).transpose(2, 3);  // non-contiguous weight
  const at::Tensor x_cl = x_nc.contiguous(at::MemoryFormat::ChannelsLast);
  for (const at::Tensor& x0 : {x_nc, x_cl}) {
    const at::Tensor x = x0.detach().requires_grad_(true);
    const at::Tensor wv = w.detach().requires_grad_(true);
    const at::Tensor y = oaconv::conv2d(x, wv, {}, Conv2dFuncOptions().padding(1).algorithm(algorithm()));
    const at::Tensor gy = at::randn(y.sizes(), y.options());
    const auto got = torch::autograd::grad({y}, {x, wv}, {gy});

    const at::Tensor xr = x0.contiguous().detach().requires_grad_(true);
    const at::Tensor wr = w.contiguous().detach().requires_grad_(true);
    const at::Tensor yr = at::conv2d(xr, wr, {}, {1, 1}, {1, 1});
    const auto want = torch::autograd::grad({yr}, {xr, wr}, {gy});
    EXPECT_LE(relative_error(y, yr), 1e-10);
    EXPECT_LE(relative_error(got[0], want[0]), 1e-10);
    EXPECT_LE(relative_error(got[1], want[1]), 1e-10);
  }
}

// Depthwise layers as MobileNet and ConvNeXt run them, and ResNeXt's groups of 4 channels (with
// enough channels for the channel-blocked kernels): channels-last input and grad-output, stride
// 2 and stride 1 with dilation 2.
TEST_P(ConvLayouts, DepthwiseChannelsLast) {
  for (const auto& [channels, per_group] : {std::pair<int64_t, int64_t>{8, 1}, std::pair<int64_t, int64_t>{40, 4}}) {
    const int64_t groups = channels / per_group;
    for (const auto& [stride, dilation] : {std::pair<int64_t, int64_t>{2, 1}, std::pair<int64_t, int64_t>{1, 2}}) {
      const at::Tensor x0 = at::randn({2, channels, 13, 17}, at::kDouble).contiguous(at::MemoryFormat::ChannelsLast);
      const at::Tensor w0 = at::randn({channels, per_group, 5, 5}, at::kDouble);
      const at::Tensor b0 = at::randn({channels}, at::kDouble);
      const at::Tensor x = x0.detach().requires_grad_(true), w = w0.detach().requires_grad_(true);
      const at::Tensor b = b0.detach().requires_grad_(true);
      const at::Tensor y = oaconv::conv2d(x, w, b,
                                          Conv2dFuncOptions().stride(stride).padding(2).dilation(dilation).groups(groups).algorithm(
                                              algorithm()));
      const at::Tensor gy = at::randn(y.sizes(), y.options()).contiguous(at::MemoryFormat::ChannelsLast);
      const auto got = torch::autograd::grad({y}, {x, w, b}, {gy});
      const at::Tensor xr = x0.contiguous().detach().requires_grad_(true), wr = w0.detach().requires_grad_(true);
      const at::Tensor br = b0.detach().requires_grad_(true);
      const at::Tensor yr = at::conv2d(xr, wr, br, {stride, stride}, {2, 2}, {dilation, dilation}, groups);
      const auto want = torch::autograd::grad({yr}, {xr, wr, br}, {gy.contiguous()});
      EXPECT_LE(relative_error(y, yr), 1e-10) << "groups " << groups << " stride " << stride << " dilation " << dilation;
      for (int i = 0; i < 3; ++i) EXPECT_LE(relative_error(got[i], want[i]), 1e-10) << "gradient " << i;
    }
  }
}

// The result and grad-input come in the memory format torch gives them (channels-last for a
// 2-D convolution with a channels-last input or weight, contiguous for 3-D and transposed ones in
// LibTorch 1.13), compared stride for stride with torch's own, values with its numbers.
TEST_P(ConvLayouts, ResultsHaveTorchsStrides) {
  using at::MemoryFormat;
  const auto cl = MemoryFormat::ChannelsLast, cl3 = MemoryFormat::ChannelsLast3d, c = MemoryFormat::Contiguous;
  struct Case {
    const char* name;
    std::vector<int64_t> x, w;
    MemoryFormat x_format, w_format;
    int64_t groups;
    bool transposed;
  };
  const Case cases[] = {
      {"2-D, channels-last input", {2, 4, 9, 10}, {6, 4, 3, 3}, cl, c, 1, false},
      {"2-D, channels-last weight", {2, 4, 9, 10}, {6, 4, 3, 3}, c, cl, 1, false},
      {"depthwise, channels-last input", {2, 6, 11, 8}, {6, 1, 3, 3}, cl, c, 6, false},
      // Enough channels for the channel-blocked kernels, which write either layout themselves.
      {"depthwise, 40 channels, channels-last input", {2, 40, 11, 8}, {40, 1, 3, 3}, cl, c, 40, false},
      {"depthwise, 40 channels, channels-last weight", {2, 40, 11, 8}, {40, 1, 3, 3}, c, cl, 40, false},
      {"3-D, channels-last input", {2, 4, 5, 6, 7}, {6, 4, 3, 3, 3}, cl3, c, 1, false},
      {"transposed 2-D, channels-last input", {2, 4, 9, 10}, {4, 6, 3, 3}, cl, c, 1, true},
  };
  for (const Case& k : cases) {
    const at::Tensor x = at::randn(k.x, at::kDouble).contiguous(k.x_format).requires_grad_(true);
    const at::Tensor w = at::randn(k.w, at::kDouble).contiguous(k.w_format).requires_grad_(true);
    at::Tensor y, yr;
    if (k.transposed) {
      y = oaconv::conv_transpose2d(x, w, {}, ConvTranspose2dFuncOptions().padding(1).algorithm(algorithm()));
      yr = at::conv_transpose2d(x, w, {}, 1, 1);
    } else if (k.x.size() == 5) {
      y = oaconv::conv3d(x, w, {}, Conv3dFuncOptions().padding(1).algorithm(algorithm()));
      yr = at::conv3d(x, w, {}, 1, 1);
    } else {
      y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding(1).groups(k.groups).algorithm(algorithm()));
      yr = at::conv2d(x, w, {}, 1, 1, 1, k.groups);
    }
    const at::Tensor gy = at::randn(yr.sizes(), yr.options());
    const auto got = torch::autograd::grad({y}, {x}, {gy});
    const auto want = torch::autograd::grad({yr}, {x}, {gy});
    EXPECT_EQ(y.strides(), yr.strides()) << k.name;
    EXPECT_EQ(got[0].strides(), want[0].strides()) << k.name << ": grad-input";
    EXPECT_LE(relative_error(y, yr), 1e-10) << k.name;
    EXPECT_LE(relative_error(got[0], want[0]), 1e-10) << k.name << ": grad-input";
  }
}

TEST_P(ConvLayouts, GradientOnlyForTheInputsThatNeedIt) {
  const at::Tensor x = at::randn({2, 3, 8, 9}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::randn({4, 3, 3, 3}, at::kDouble);  // frozen weight
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().algorithm(algorithm()));
  y.sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
  const at::Tensor xr = x.detach().clone().requires_grad_(true);
  at::conv2d(xr, w).sum().backward();
  EXPECT_LE(relative_error(x.grad(), xr.grad()), 1e-10);

  const at::Tensor w2 = w.clone().requires_grad_(true);  // frozen input, trained weight
  oaconv::conv2d(x.detach(), w2, {}, Conv2dFuncOptions().algorithm(algorithm())).sum().backward();
  const at::Tensor w2r = w.clone().requires_grad_(true);
  at::conv2d(x.detach(), w2r).sum().backward();
  EXPECT_LE(relative_error(w2.grad(), w2r.grad()), 1e-10);
}

// Under at::InferenceMode (as a model is run for inference): the same numbers as torch, for
// tensors made inside and outside the mode, and training afterwards still exact — the workspace
// buffers and caches kept between calls must not be inference tensors nor handed out twice (a
// view made in that mode does not count as a user of its base tensor).
TEST_P(ConvLayouts, InferenceModeMatchesTorchThenTrainingStillDoes) {
  const at::Tensor x = at::randn({3, 8, 19, 22}), w = at::randn({8, 8, 5, 5}), b = at::randn({8});
  const at::Tensor wg = at::randn({8, 2, 7, 7}), xt = at::randn({2, 8, 9, 10}), wt = at::randn({8, 4, 4, 4});
  const auto run = [&](const at::Tensor& xi, const at::Tensor& wi) {
    return std::vector<at::Tensor>{
        oaconv::conv2d(xi, wi, b, Conv2dFuncOptions().padding(2).algorithm(algorithm())),
        oaconv::conv2d(xi, wg, {}, Conv2dFuncOptions().padding(3).groups(4).algorithm(algorithm())),
        oaconv::conv_transpose2d(xt, wt, {}, ConvTranspose2dFuncOptions().stride(2).algorithm(algorithm())),
        oaconv::conv2d(xi, wi, {}, Conv2dFuncOptions().padding(2).algorithm(algorithm()))};
  };
  const std::vector<at::Tensor> want{at::conv2d(x, w, b, 1, 2), at::conv2d(x, wg, {}, 1, 3, 1, 4),
                                     at::conv_transpose2d(xt, wt, {}, 2), at::conv2d(x, w, {}, 1, 2)};
  for (int made_inside = 0; made_inside < 2; ++made_inside) {
    std::vector<at::Tensor> got;
    {
      c10::InferenceMode inference;
      got = made_inside ? run(x.clone(), w.clone()) : run(x, w);
    }
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_LE(relative_error(got[i], want[i]), 1e-5) << "output " << i << (made_inside ? ", tensors made inside" : "");
    }
  }
  const at::Tensor xr = x.clone().requires_grad_(true), wr = w.clone().requires_grad_(true);
  const at::Tensor y = oaconv::conv2d(xr, wr, b, Conv2dFuncOptions().padding(2).algorithm(algorithm()));
  const at::Tensor gy = at::randn(y.sizes());
  const auto got = torch::autograd::grad({y}, {xr, wr}, {gy});
  const at::Tensor xw = x.clone().requires_grad_(true), ww = w.clone().requires_grad_(true);
  const auto expected = torch::autograd::grad({at::conv2d(xw, ww, b, 1, 2)}, {xw, ww}, {gy});
  EXPECT_LE(relative_error(y, want[0]), 1e-5);
  EXPECT_LE(relative_error(got[0], expected[0]), 1e-5);
  EXPECT_LE(relative_error(got[1], expected[1]), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ConvLayouts,
                         ::testing::ValuesIn(every_algorithm()),
                         [](const ::testing::TestParamInfo<Algorithm>& info) { return to_string(info.param); });

}  // namespace
}  // namespace oaconv::testing
