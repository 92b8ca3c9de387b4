// The spectral algorithms under every schedule: parallel image blocks, one multithreaded block,
// one thread, a workspace limit small enough to force batch chunks and recomputed input
// spectra — all giving torch's results; and four threads at once on shared and separate layers.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/oaconv.h>

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <thread>

namespace oaconv::testing {
namespace {

struct Grads {
  at::Tensor y, gx, gw, gb;
};

Grads run(const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0, const Conv2dFuncOptions& o,
          const at::Tensor& gy, bool reference) {
  const at::Tensor x = x0.detach().requires_grad_(true), w = w0.detach().requires_grad_(true),
                   b = b0.detach().requires_grad_(true);
  const at::Tensor y = reference ? at::conv2d(x, w, b, {1, 1}, {2, 1}, {1, 1}, 2) : oaconv::conv2d(x, w, b, o);
  const auto g = torch::autograd::grad({y}, {x, w, b}, {gy});
  return {y.detach(), g[0], g[1], g[2]};
}

void expect_same(const Grads& got, const Grads& want, double limit) {
  EXPECT_LE(relative_error(got.y, want.y), limit);
  EXPECT_LE(relative_error(got.gx, want.gx), limit);
  EXPECT_LE(relative_error(got.gw, want.gw), limit);
  EXPECT_LE(relative_error(got.gb, want.gb), limit);
}

class SpectralSchedule : public SeededParamTest<Algorithm> {
 protected:
  void TearDown() override {
    set_workspace_limit(int64_t(256) << 20);
    at::set_num_threads(threads_);
  }
  void check_all() {
    const at::Tensor x = at::randn({5, 4, 19, 17}, at::kDouble);
    const at::Tensor w = at::randn({6, 2, 5, 3}, at::kDouble);
    const at::Tensor b = at::randn({6}, at::kDouble);
    const auto o = Conv2dFuncOptions().padding({2, 1}).groups(2).algorithm(GetParam());
    const at::Tensor gy = at::randn({5, 6, 19, 17}, at::kDouble);
    expect_same(run(x, w, b, o, gy, false), run(x, w, b, o, gy, true), 1e-10);
  }
  int threads_ = at::get_num_threads();
};

TEST_P(SpectralSchedule, ParallelImageBlocks) { check_all(); }

TEST_P(SpectralSchedule, OneThread) {
  at::set_num_threads(1);
  check_all();
}

TEST_P(SpectralSchedule, TinyWorkspaceLimitChunksAndRecomputes) {
  set_workspace_limit(4096);  // smaller than one image's spectra: one image per chunk, no saving
  at::set_num_threads(1);
  check_all();
  at::set_num_threads(threads_);
  check_all();
}

TEST_P(SpectralSchedule, FourThreadsOnSharedAndSeparateLayers) {
  oaconv::Conv2d shared(Conv2dOptions(3, 4, 5).padding(2).algorithm(GetParam()));
  std::vector<oaconv::Conv2d> own;
  for (int i = 0; i < 4; ++i) own.emplace_back(Conv2dOptions(3, 4, 3 + 2 * (i % 2)).padding(1 + i % 2).algorithm(GetParam()));
  std::vector<at::Tensor> inputs;
  for (int i = 0; i < 4; ++i) inputs.push_back(at::randn({2, 3, 16 + i, 15}));
  std::vector<std::string> failures(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      try {
        for (int rep = 0; rep < 5; ++rep) {
          for (oaconv::Conv2d* conv : {&shared, &own[i]}) {
            const at::Tensor x = inputs[i].clone().requires_grad_(true);
            const at::Tensor y = (*conv)->forward(x);
            const auto g = torch::autograd::grad({y.square().sum()}, {x, (*conv)->weight});
            const at::Tensor xr = inputs[i].clone().requires_grad_(true);
            const at::Tensor wr = (*conv)->weight.detach().clone().requires_grad_(true);
            const int64_t pad = wr.size(2) / 2;
            const at::Tensor yr = at::conv2d(xr, wr, (*conv)->bias.detach(), 1, pad);
            const auto gr = torch::autograd::grad({yr.square().sum()}, {xr, wr});
            if (relative_error(y, yr) > 5e-5 || relative_error(g[0], gr[0]) > 5e-5 ||
                relative_error(g[1], gr[1]) > 5e-5) {
              failures[i] = "wrong result in thread " + std::to_string(i);
            }
          }
        }
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f;
}

INSTANTIATE_TEST_SUITE_P(Spectral, SpectralSchedule, ::testing::Values(Algorithm::kFft, Algorithm::kOverlapAdd),
                         [](const ::testing::TestParamInfo<Algorithm>& info) { return to_string(info.param); });

}  // namespace
}  // namespace oaconv::testing
