// Cache semantics of the spectral algorithms: kernel spectra reused while the weight is
// unchanged, never stale after any in-place update, bounded by their byte budget; FFTW plans
// bounded across hundreds of shapes.
#include "conv_cases.h"
#include "test_support.h"

#include "fft/plan_cache.h"

#include <oaconv/oaconv.h>

#include <torch/nn/module.h>
#include <torch/optim/sgd.h>

#include <atomic>
#include <string>
#include <thread>

namespace oaconv::testing {
namespace {

class SpectralCaches : public SeededParamTest<Algorithm> {
 protected:
  void SetUp() override {
    SeededParamTest<Algorithm>::SetUp();
    clear_caches();
  }
  void TearDown() override {
    set_kernel_cache_budget(int64_t(256) << 20);
    set_plan_cache_capacity(512);
  }
  Algorithm algorithm() const { return GetParam(); }
};

TEST_P(SpectralCaches, SecondForwardWithTheSameWeightHitsAndDoesNoKernelTransform) {
  oaconv::Conv2d conv(Conv2dOptions(3, 4, 5).padding(2).algorithm(algorithm()));
  conv->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 3, 20, 18});
  const at::Tensor y1 = conv->forward(x);
  const CacheStats after_first = cache_stats();
  EXPECT_EQ(after_first.kernel_misses, 1);
  EXPECT_GT(after_first.kernel_bytes, 0);
  set_phase_timing(true);
  reset_phase_times();
  const at::Tensor y2 = conv->forward(x);
  const PhaseTimes t = phase_times();
  set_phase_timing(false);
  const CacheStats after_second = cache_stats();
  EXPECT_EQ(after_second.kernel_hits, after_first.kernel_hits + 1);
  EXPECT_EQ(after_second.kernel_misses, 1);
  EXPECT_EQ(t.kernel_transform, 0.0) << "a cache hit must not transform the kernel";
  EXPECT_GT(after_second.plan_hits, after_first.plan_hits);
  EXPECT_TRUE(y1.equal(y2));
}

TEST_P(SpectralCaches, OptimizerStepMissesAndGivesAFreshCorrectResult) {
  oaconv::Conv2d conv(Conv2dOptions(3, 4, 5).padding(2).algorithm(algorithm()));
  torch::optim::SGD sgd(conv->parameters(), torch::optim::SGDOptions(0.5));
  const at::Tensor x = at::randn({2, 3, 16, 17});
  for (int step = 0; step < 3; ++step) {
    sgd.zero_grad();
    const at::Tensor y = conv->forward(x);
    EXPECT_LE(relative_error(y, at::conv2d(x, conv->weight, conv->bias, 1, 2)), 5e-5) << "step " << step;
    y.square().sum().backward();
    const int64_t misses = cache_stats().kernel_misses;
    sgd.step();
    // The next forward must see the new weight.
    torch::NoGradGuard no_grad;
    const at::Tensor y_next = conv->forward(x);
    EXPECT_EQ(cache_stats().kernel_misses, misses + 1);
    EXPECT_LE(relative_error(y_next, at::conv2d(x, conv->weight, conv->bias, 1, 2)), 5e-5);
  }
}

TEST_P(SpectralCaches, InPlaceAddAndCopyAreNeverServedStale) {
  const at::Tensor x = at::randn({1, 2, 12, 12});
  at::Tensor w = at::randn({3, 2, 3, 3});
  const auto opts = Conv2dFuncOptions().padding(1).algorithm(algorithm());
  torch::NoGradGuard no_grad;
  oaconv::conv2d(x, w, {}, opts);
  w.add_(1.0);
  EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, opts), at::conv2d(x, w, {}, 1, 1)), 5e-5);
  w.copy_(at::randn({3, 2, 3, 3}));
  EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, opts), at::conv2d(x, w, {}, 1, 1)), 5e-5);
  w.mul_(-2.0);
  EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, opts), at::conv2d(x, w, {}, 1, 1)), 5e-5);
  EXPECT_EQ(cache_stats().kernel_misses, 4);
}

TEST_P(SpectralCaches, ANewWeightTensorIsNeverMistakenForADeadOne) {
  const at::Tensor x = at::randn({1, 2, 10, 10});
  const auto opts = Conv2dFuncOptions().padding(1).algorithm(algorithm());
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 20; ++i) {
    const at::Tensor w = at::randn({3, 2, 3, 3});  // often reuses the previous one's memory
    EXPECT_LE(relative_error(oaconv::conv2d(x, w, {}, opts), at::conv2d(x, w, {}, 1, 1)), 5e-5) << i;
  }
}

TEST_P(SpectralCaches, KernelCacheStaysWithinItsBudget) {
  const int64_t budget = 200 * 1024;
  set_kernel_cache_budget(budget);
  const at::Tensor x = at::randn({1, 4, 24, 24});
  const auto opts = Conv2dFuncOptions().padding(2).algorithm(algorithm());
  std::vector<at::Tensor> weights;
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 50; ++i) {
    weights.push_back(at::randn({4, 4, 5, 5}));
    const at::Tensor y = oaconv::conv2d(x, weights.back(), {}, opts);
    EXPECT_LE(cache_stats().kernel_bytes, budget);
    EXPECT_LE(relative_error(y, at::conv2d(x, weights.back(), {}, 1, 2)), 5e-5);
  }
  EXPECT_GT(cache_stats().kernel_bytes, 0);
}

TEST_P(SpectralCaches, PlanCacheStaysWithinItsCapacityAcrossHundredsOfShapes) {
  set_plan_cache_capacity(16);
  torch::NoGradGuard no_grad;
  int shapes = 0;
  for (int64_t h = 3; h <= 22; ++h) {
    for (int64_t k : {1, 2, 3, 5}) {
      for (int64_t n : {1, 2, 3}) {
        if (k > h) continue;
        const at::Tensor x = at::randn({n, 2, h, h + 1});
        const at::Tensor w = at::randn({2, 2, k, k});
        const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().algorithm(algorithm()));
        EXPECT_LE(relative_error(y, at::conv2d(x, w)), 5e-5);
        EXPECT_LE(fft::PlanCache::instance().stats().size, 16);
        ++shapes;
      }
    }
  }
  EXPECT_GT(shapes, 200);
  EXPECT_GT(cache_stats().plan_misses, 16);
}

// Forward on one thread while another updates the weight in place is a race in the caller (as
// with torch: the outputs during it are unspecified), but it must not crash, and afterwards no
// stale spectrum may survive: the next forward is that of the final weight.
TEST_P(SpectralCaches, InPlaceUpdatesRacingForwardLeaveNoStaleSpectrum) {
  oaconv::Conv2d conv(Conv2dOptions(3, 4, 5).padding(2).algorithm(algorithm()));
  const at::Tensor x = at::randn({2, 3, 20, 18});
  std::atomic<bool> done{false};
  std::string failure;
  std::thread reader([&] {
    try {
      torch::NoGradGuard no_grad;
      while (!done) conv->forward(x);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  {
    torch::NoGradGuard no_grad;
    for (int step = 0; step < 200; ++step) conv->weight.add_(1e-3);
  }
  done = true;
  reader.join();
  EXPECT_TRUE(failure.empty()) << failure;
  torch::NoGradGuard no_grad;
  const at::Tensor y = conv->forward(x);
  const at::Tensor expect = at::conv2d(x, conv->weight, conv->bias, 1, 2);
  EXPECT_LE(relative_error(y, expect), 5e-5);
}

INSTANTIATE_TEST_SUITE_P(Spectral, SpectralCaches, ::testing::Values(Algorithm::kFft, Algorithm::kOverlapAdd),
                         [](const ::testing::TestParamInfo<Algorithm>& info) { return to_string(info.param); });

}  // namespace
}  // namespace oaconv::testing
