// The winograd algorithm (F(4x4, 3x3)): every pass against torch's autograd in float64 (tight)
// on sizes that leave partial tiles, every padding including more than the kernel (grad-input's
// placement then crops), groups, an empty batch and channels-last inputs; float32's error on
// unit-variance data within its documented bound; the cases it declines; the packed kernel
// transforms reused while the weight is unchanged and never served stale.
#include "conv_cases.h"
#include "test_support.h"

#include "algorithm_registry.h"
#include "conv_geometry.h"
#include "winograd/winograd_conv.h"
#include "winograd/winograd_streamed.h"

#include <oaconv/cache.h>
#include <oaconv/functional.h>
#include <oaconv/conv2d.h>

#include <ATen/ATen.h>
#include <torch/autograd.h>
#include <torch/optim/sgd.h>

#include <c10/core/InferenceMode.h>

#include <cmath>
#include <string>
#include <vector>

namespace oaconv::testing {
namespace {

struct Case {
  std::vector<int64_t> input, weight;
  std::vector<int64_t> padding;  // top/bottom, left/right as torch takes them
  int64_t groups;
  std::string name() const {
    return "N" + std::to_string(input[0]) + " C" + std::to_string(input[1]) + "->" + std::to_string(weight[0]) + " " +
           std::to_string(input[2]) + "x" + std::to_string(input[3]) + " p" + std::to_string(padding[0]) + "," +
           std::to_string(padding[1]) + " g" + std::to_string(groups);
  }
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {{2, 3, 8, 8}, {4, 3, 3, 3}, {1, 1}, 1},       // whole tiles
      {{1, 2, 9, 13}, {3, 2, 3, 3}, {0, 0}, 1},      // partial tiles, no padding
      {{3, 4, 11, 5}, {6, 2, 3, 3}, {2, 1}, 2},      // more output than input, groups
      {{2, 5, 7, 10}, {5, 5, 3, 3}, {3, 4}, 1},      // padding over the kernel: grad-input crops
      {{1, 8, 3, 3}, {8, 1, 3, 3}, {1, 1}, 8},       // depthwise, one tile
      {{2, 6, 14, 17}, {12, 3, 3, 3}, {1, 0}, 2},    // two outputs per input channel of a group
      {{0, 3, 8, 8}, {4, 3, 3, 3}, {1, 1}, 1},       // empty batch
      // Rows of many SIMD vectors of tiles (the gathers and interleaves run whole vectors, the
      // last partly past the row), channels past whole vectors and 6-row register blocks,
      // several blocks of tile rows, one spanning two images.
      {{2, 40, 9, 150}, {20, 40, 3, 3}, {1, 1}, 1},
      {{3, 24, 30, 70}, {36, 12, 3, 3}, {1, 2}, 2},
      // Few tiles and many output channels (ResNet's last stages): the kernel-streaming
      // pipeline, output channels past whole tasks of 24, groups.
      {{3, 40, 6, 7}, {100, 40, 3, 3}, {1, 1}, 1},
      {{2, 32, 5, 6}, {60, 16, 3, 3}, {1, 1}, 2},
  };
  return all;
}

class WinogradPasses : public SeededParamTest<Case> {};

// Through oaconv::conv2d with algorithm winograd: output and every gradient against at::conv2d's
// autograd, float64 to 1e-10.
TEST_P(WinogradPasses, MatchTorchInFloat64) {
  const Case& c = GetParam();
  const at::Tensor x0 = at::randn(c.input, at::kDouble), w0 = at::randn(c.weight, at::kDouble);
  const at::Tensor b0 = at::randn({c.weight[0]}, at::kDouble);
  for (bool channels_last : {false, true}) {
    SCOPED_TRACE(c.name() + (channels_last ? " channels-last" : ""));
    const at::Tensor xs = channels_last ? x0.contiguous(at::MemoryFormat::ChannelsLast) : x0;
    const at::Tensor x = xs.detach().requires_grad_(true), w = w0.detach().requires_grad_(true);
    const at::Tensor b = b0.detach().requires_grad_(true);
    const at::Tensor y = oaconv::conv2d(
        x, w, b, Conv2dFuncOptions().padding(c.padding).groups(c.groups).algorithm(Algorithm::kWinograd));
    const at::Tensor xr = x0.detach().requires_grad_(true), wr = w0.detach().requires_grad_(true);
    const at::Tensor br = b0.detach().requires_grad_(true);
    const at::Tensor yr = at::conv2d(xr, wr, br, 1, c.padding, 1, c.groups);
    ASSERT_EQ(y.sizes(), yr.sizes());
    if (yr.numel() == 0) continue;
    const at::Tensor gy = at::randn(yr.sizes(), yr.options());
    const auto got = torch::autograd::grad({y}, {x, w, b}, {gy});
    const auto want = torch::autograd::grad({yr}, {xr, wr, br}, {gy});
    EXPECT_LE(relative_error(y, yr), 1e-10);
    for (int i = 0; i < 3; ++i) EXPECT_LE(relative_error(got[i], want[i]), 1e-10) << "gradient " << i;
  }
}

// The passes themselves (not through the registry's fallbacks): they run, and agree, also on the
// narrow groups the registry declines (they are correct, only slower than direct).
TEST_P(WinogradPasses, ThePassesThemselvesRun) {
  const Case& c = GetParam();
  const at::Tensor x = at::randn(c.input, at::kDouble), w = at::randn(c.weight, at::kDouble);
  const ConvGeometry g = make_conv_geometry(x, w, at::Tensor(), Conv2dFuncOptions().padding(c.padding).groups(c.groups));
  const char* declined = winograd::declines(g);
  if (c.groups > 1 && c.input[1] / c.groups < 8) {
    ASSERT_NE(declined, nullptr);
    EXPECT_NE(std::string(declined).find("8 input channels a group"), std::string::npos);
  } else {
    ASSERT_EQ(declined, nullptr);
  }
  const at::Tensor y = winograd::forward(x, w, at::Tensor(), g);
  const at::Tensor yr = at::conv2d(x, w, {}, 1, c.padding, 1, c.groups);
  ASSERT_EQ(y.sizes(), yr.sizes());
  if (yr.numel() == 0) return;
  EXPECT_LE(relative_error(y, yr), 1e-10);
  const at::Tensor gy = at::randn(yr.sizes(), yr.options());
  const auto [gx, gw, gb] = at::convolution_backward(gy, x, w, c10::nullopt, {1, 1}, c.padding, {1, 1}, false, {0, 0},
                                                     c.groups, {true, true, false});
  EXPECT_LE(relative_error(winograd::grad_input(gy, x, w, g), gx), 1e-10);
  EXPECT_LE(relative_error(winograd::grad_weight(gy, x, w, g), gw), 1e-10);
  // Both pipelines on every case, whichever the passes pick.
  const winograd::WorkspaceAllocator allocate = [](at::IntArrayRef sizes, const at::TensorOptions& options) {
    return at::empty(sizes, options);
  };
  const int64_t top = g.pad_before[0], left = g.pad_before[1];
  at::Tensor ys = at::full(yr.sizes(), std::nan(""), yr.options());
  at::Tensor gxs = at::full(x.sizes(), std::nan(""), x.options());
  winograd::correlate_streamed(x, w, at::Tensor(), c.groups, false, top, left, allocate, ys);
  winograd::correlate_streamed(gy, w, at::Tensor(), c.groups, true, 2 - top, 2 - left, allocate, gxs);
  EXPECT_LE(relative_error(ys, yr), 1e-10);
  EXPECT_LE(relative_error(gxs, gx), 1e-10);
  at::Tensor gws = at::full(w.sizes(), std::nan(""), w.options());
  ASSERT_TRUE(winograd::grad_weight_streamed(x, gy, c.groups, top, left, int64_t{1} << 30, allocate, gws));
  EXPECT_LE(relative_error(gws, gw), 1e-10);
  EXPECT_FALSE(winograd::grad_weight_streamed(x, gy, c.groups, top, left, 1024, allocate, gws))
      << "past its workspace limit";
  at::Tensor yb = at::full(yr.sizes(), std::nan(""), yr.options());
  at::Tensor u = at::empty({c.groups, winograd::kPoints, winograd::kernel_row_blocks(c.weight[0] / c.groups),
                            c.weight[1], winograd::kKernelRows}, w.options());
  winograd::pack_kernel_transform(w, c.groups, false, u);
  winograd::correlate_tiles(x, u, at::Tensor(), c.groups, top, left, yb);
  EXPECT_LE(relative_error(yb, yr), 1e-10);
  at::Tensor gwb = at::full(w.sizes(), std::nan(""), w.options());
  winograd::grad_weight_tiles(x, gy, c.groups, top, left, int64_t{1} << 30, allocate, gwb);
  EXPECT_LE(relative_error(gwb, gw), 1e-10);
}

INSTANTIATE_TEST_SUITE_P(Cases, WinogradPasses, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return "case" + std::to_string(info.index); });

// float32 on unit-variance data, against float64 torch: F(4x4, 3x3)'s transforms multiply by up
// to 8 and divide by 24, so its error is larger than a direct sum's; the bound documented in
// docs/design.md (relative, norm-wise, per pass) is 1e-5 for the layer sizes of ResNet stages.
TEST(WinogradFloat32, ErrorOnUnitVarianceDataIsWithinItsBound) {
  at::manual_seed(7);
  for (int64_t channels : {16, 128}) {
    const at::Tensor x = at::randn({4, channels, 20, 20}, at::kDouble), w = at::randn({channels, channels, 3, 3}, at::kDouble);
    const at::Tensor xr = x.clone().requires_grad_(true), wr = w.clone().requires_grad_(true);
    const at::Tensor yr = at::conv2d(xr, wr, {}, 1, 1);
    const at::Tensor gy = at::randn(yr.sizes(), yr.options());
    const auto want = torch::autograd::grad({yr}, {xr, wr}, {gy});
    const at::Tensor xf = x.to(at::kFloat).requires_grad_(true), wf = w.to(at::kFloat).requires_grad_(true);
    const at::Tensor y = oaconv::conv2d(xf, wf, {}, Conv2dFuncOptions().padding(1).algorithm(Algorithm::kWinograd));
    const auto got = torch::autograd::grad({y}, {xf, wf}, {gy.to(at::kFloat)});
    EXPECT_LE(relative_error(y, yr), 1e-5) << channels << " channels";
    EXPECT_LE(relative_error(got[0], want[0]), 1e-5) << channels << " channels";
    EXPECT_LE(relative_error(got[1], want[1]), 1e-5) << channels << " channels";
  }
}

// An empty batch on a layer the kernel-streaming pipeline takes (many output channels, no
// tiles): empty outputs and zero weight gradients, as torch gives (it divided by zero once).
TEST(WinogradPassesOnAnEmptyBatch, GiveEmptyOutputsAndZeroWeightGradients) {
  const at::Tensor x = at::randn({0, 64, 8, 8}, at::kDouble).requires_grad_(true);
  const at::Tensor w = at::randn({256, 64, 3, 3}, at::kDouble).requires_grad_(true);
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding(1).algorithm(Algorithm::kWinograd));
  EXPECT_EQ(y.sizes(), at::IntArrayRef({0, 256, 8, 8}));
  const auto grads = torch::autograd::grad({y.sum()}, {x, w});
  EXPECT_EQ(grads[0].sizes(), x.sizes());
  EXPECT_EQ(grads[1].abs().sum().item<double>(), 0.0);
  const winograd::WorkspaceAllocator allocate = [](at::IntArrayRef sizes, const at::TensorOptions& options) {
    return at::empty(sizes, options);
  };
  at::Tensor ys = at::empty({0, 256, 8, 8}, at::kDouble);
  winograd::correlate_streamed(x.detach(), w.detach(), at::Tensor(), 1, false, 1, 1, allocate, ys);
  at::Tensor gw = at::full(w.sizes(), std::nan(""), w.options());
  ASSERT_TRUE(winograd::grad_weight_streamed(x.detach(), ys, 1, 1, 1, int64_t{1} << 30, allocate, gw));
  EXPECT_EQ(gw.abs().sum().item<double>(), 0.0);
}

TEST(WinogradDeclines, NamesWhatItDoesNotRun) {
  const auto reason = [](std::vector<int64_t> input, std::vector<int64_t> weight, Conv2dFuncOptions options) {
    const ConvGeometry g = make_conv_geometry(at::empty(input), at::empty(weight), at::Tensor(), options);
    const char* r = winograd::declines(g);
    return std::string(r ? r : "");
  };
  EXPECT_NE(reason({1, 2, 9, 9}, {2, 2, 5, 5}, {}).find("3x3 kernels"), std::string::npos);
  EXPECT_NE(reason({1, 2, 9, 9}, {2, 2, 3, 3}, Conv2dFuncOptions().stride(2)).find("stride 1"), std::string::npos);
  EXPECT_NE(reason({1, 2, 9, 9}, {2, 2, 3, 3}, Conv2dFuncOptions().dilation(2)).find("dilation 1"), std::string::npos);
  EXPECT_EQ(reason({1, 2, 9, 9}, {2, 2, 3, 3}, {}), "");
  EXPECT_NE(reason({1, 8, 9, 9}, {8, 1, 3, 3}, Conv2dFuncOptions().groups(8)).find("8 input channels a group"),
            std::string::npos);
  EXPECT_EQ(reason({1, 16, 9, 9}, {16, 8, 3, 3}, Conv2dFuncOptions().groups(2)), "");
  // A declined case asked for by name runs as aten's, with the same numbers.
  const at::Tensor x = at::randn({2, 3, 9, 9}, at::kDouble), w = at::randn({4, 3, 3, 3}, at::kDouble);
  EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, Conv2dFuncOptions().stride(2).algorithm(Algorithm::kWinograd)),
                           at::conv2d(x, w, {}, 2)),
            1e-12);
}

TEST(WinogradKernelCache, ASecondForwardWithTheSameWeightReusesThePackedTransform) {
  clear_caches();
  oaconv::Conv2d conv(Conv2dOptions(6, 5, 3).padding(1).algorithm(Algorithm::kWinograd));
  conv->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 6, 10, 11});
  const at::Tensor y1 = conv->forward(x);
  const CacheStats first = cache_stats();
  EXPECT_EQ(first.kernel_misses, 1);
  EXPECT_GT(first.kernel_bytes, 0);
  const at::Tensor y2 = conv->forward(x);
  EXPECT_EQ(cache_stats().kernel_hits, first.kernel_hits + 1);
  EXPECT_EQ(cache_stats().kernel_misses, 1);
  EXPECT_TRUE(y1.equal(y2));
}

// A weight made anew every call (a reparametrised one, a copy per call): the dead weights'
// entries are dropped (their buffers reused), so the cache holds one entry, not one a call.
TEST(WinogradKernelCache, AWeightMadeAnewEveryCallLeavesNoDeadEntries) {
  clear_caches();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 8, 12, 12});
  const auto options = Conv2dFuncOptions().padding(1).algorithm(Algorithm::kWinograd);
  int64_t one_entry = 0;
  for (int call = 0; call < 6; ++call) {
    const at::Tensor w = at::randn({8, 8, 3, 3});
    EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, options), at::conv2d(x, w, {}, 1, 1)), 5e-5) << call;
    if (call == 0) one_entry = cache_stats().kernel_bytes;
    EXPECT_EQ(cache_stats().kernel_bytes, one_entry) << call;
  }
  EXPECT_GT(one_entry, 0);
  EXPECT_EQ(cache_stats().kernel_misses, 6);
}

// The cache keeps a copy of the weight; made under at::InferenceMode it must still take the
// next version of the weight outside that mode.
TEST(WinogradKernelCache, AWeightFirstSeenUnderInferenceModeIsUpdatedOutsideIt) {
  clear_caches();
  const at::Tensor x = at::randn({1, 4, 9, 9});
  at::Tensor w = at::randn({4, 4, 3, 3});
  const auto options = Conv2dFuncOptions().padding(1).algorithm(Algorithm::kWinograd);
  {
    c10::InferenceMode inference;
    EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, options), at::conv2d(x, w, {}, 1, 1)), 5e-5);
  }
  torch::NoGradGuard no_grad;
  w.add_(1.0);
  EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, options), at::conv2d(x, w, {}, 1, 1)), 5e-5);
}

// Each training step changes the weight: forward's and grad-input's packed transforms are made
// anew (into the stale entries' buffers), and every pass matches aten's after every update.
TEST(WinogradKernelCache, TrainingStepsAndInPlaceUpdatesAreNeverServedStale) {
  clear_caches();
  oaconv::Conv2d conv(Conv2dOptions(4, 6, 3).padding(1).algorithm(Algorithm::kWinograd));
  torch::optim::SGD sgd(conv->parameters(), torch::optim::SGDOptions(0.5));
  const at::Tensor x = at::randn({2, 4, 9, 12});
  for (int step = 0; step < 3; ++step) {
    sgd.zero_grad();
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor y = conv->forward(xg);
    const at::Tensor wr = conv->weight.detach().clone().requires_grad_(true);
    const at::Tensor xr = x.clone().requires_grad_(true);
    const at::Tensor yr = at::conv2d(xr, wr, conv->bias.detach(), 1, 1);
    EXPECT_LE(relative_error(y, yr), 5e-5) << "step " << step;
    const at::Tensor gy = at::randn(y.sizes());
    y.backward(gy);
    yr.backward(gy);
    EXPECT_LE(relative_error(xg.grad(), xr.grad()), 5e-5) << "step " << step;
    EXPECT_LE(relative_error(conv->weight.grad(), wr.grad()), 5e-5) << "step " << step;
    sgd.step();
  }
  torch::NoGradGuard no_grad;
  const auto forward_matches = [&](const char* after) {
    EXPECT_LE(relative_error(conv->forward(x), at::conv2d(x, conv->weight, conv->bias, 1, 1)), 5e-5) << after;
  };
  forward_matches("the last step");
  conv->weight.add_(1.0);
  forward_matches("add_");
  conv->weight.copy_(at::randn(conv->weight.sizes()));
  forward_matches("copy_");
  conv->weight.data().mul_(-2.0);  // no version bump: the kept copy of the weight tells
  forward_matches("an update through .data()");
}

}  // namespace
}  // namespace oaconv::testing
