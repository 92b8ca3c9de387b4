// Data-parallel training with ranks as threads of this process (each its own Gloo connection,
// over loopback): batch norm over every rank's batch, gradient averaging, reduced validation,
// and whole training runs equal to one process on the global batch. Separate processes, TCP,
// resume and a rank killed are tested through the CLI (test_data_parallel_cli.sh).
#include "test_support.h"

#include <oaconv/datasets/uav_targets.h>
#include <oaconv/training/distributed.h>
#include <oaconv/training/trainer.h>

#include "gradient_buckets.h"
#include "sync_batch_norm.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace oaconv::testing {
namespace {

namespace tr = oaconv::training;
namespace ds = oaconv::datasets;

std::string fresh_store_path() {
  static int counter = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("oaconv_test_store_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove(path);
  return path.string();
}

tr::DistributedOptions rank_options(int world, int rank, const std::string& store, double timeout_s = 30) {
  tr::DistributedOptions o;
  o.world_size = world;
  o.rank = rank;
  o.init_method = "file://" + store;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  return o;
}

// Runs body(rank, communicator) on `world` threads, each a rank of one group; rethrows the
// first rank's exception.
void run_ranks(int world, const std::function<void(int, tr::Communicator&)>& body) {
  setenv("GLOO_SOCKET_IFNAME", "lo", 1);
  const std::string store = fresh_store_path();
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        auto communicator = tr::Communicator::connect(rank_options(world, r, store));
        body(r, *communicator);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::filesystem::remove(store);
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

class DataParallel : public SeededTest {};

TEST_F(DataParallel, CollectivesSumAndBroadcastOverTheRanks) {
  run_ranks(3, [](int rank, tr::Communicator& c) {
    EXPECT_EQ(c.world_size(), 3);
    at::Tensor x = at::full({4}, static_cast<double>(rank + 1), at::kDouble);
    c.all_reduce_sum({x});
    EXPECT_TRUE(x.equal(at::full({4}, 6.0, at::kDouble)));
    at::Tensor y = at::full({2, 3}, static_cast<float>(rank * 10));
    c.broadcast({y}, 2);
    EXPECT_TRUE(y.equal(at::full({2, 3}, 20.0f)));
    at::Tensor z = at::arange(5, at::kFloat) * (rank + 1);
    auto pending = c.all_reduce_sum_async(z);
    pending.wait();
    EXPECT_TRUE(z.equal(at::arange(5, at::kFloat) * 6));
  });
}

// Each rank holds a block of one batch: its outputs, its input gradient, and the ranks' summed
// weight gradients must equal torch's batch norm on the whole batch (float64).
TEST_F(DataParallel, SyncBatchNormEqualsBatchNormOnTheWholeBatch) {
  const int world = 2;
  const at::Tensor x = at::randn({6, 5, 7, 4}, at::kDouble) * 3 + 1;
  const at::Tensor upstream = at::randn({6, 5, 7, 4}, at::kDouble);
  torch::nn::BatchNorm2d reference(torch::nn::BatchNorm2dOptions(5).momentum(0.3));
  reference->to(at::kDouble);
  {
    at::NoGradGuard no_grad;
    reference->weight.uniform_(0.5, 1.5);
    reference->bias.uniform_(-1, 1);
  }
  const at::Tensor xr = x.clone().requires_grad_();
  (reference->forward(xr) * upstream).sum().backward();
  const at::Tensor y_full = reference->forward(x.clone()).detach();  // second call: stats updated twice below too

  std::vector<at::Tensor> dx(world), dweight(world), dbias(world), y(world);
  std::vector<torch::nn::BatchNorm2d> norms;
  for (int r = 0; r < world; ++r) {
    torch::nn::BatchNorm2d n(torch::nn::BatchNorm2dOptions(5).momentum(0.3));
    n->to(at::kDouble);
    at::NoGradGuard no_grad;
    n->weight.copy_(reference->weight);
    n->bias.copy_(reference->bias);
    norms.push_back(n);
  }
  run_ranks(world, [&](int r, tr::Communicator& c) {
    const at::Tensor mine = x.narrow(0, 3 * r, 3).clone().requires_grad_();
    const at::Tensor out = tr::sync_batch_norm(mine, norms[r], c);
    (out * upstream.narrow(0, 3 * r, 3)).sum().backward();
    dx[r] = mine.grad();
    dweight[r] = norms[r]->weight.grad();
    dbias[r] = norms[r]->bias.grad();
    y[r] = tr::sync_batch_norm(x.narrow(0, 3 * r, 3), norms[r], c).detach();
  });
  EXPECT_TRUE(at::allclose(at::cat({y[0], y[1]}), y_full, 1e-10, 1e-10));
  EXPECT_TRUE(at::allclose(at::cat({dx[0], dx[1]}), xr.grad(), 1e-10, 1e-10));
  EXPECT_TRUE(at::allclose(dweight[0] + dweight[1], reference->weight.grad(), 1e-10, 1e-10));
  EXPECT_TRUE(at::allclose(dbias[0] + dbias[1], reference->bias.grad(), 1e-10, 1e-10));
  for (int r = 0; r < world; ++r) {
    EXPECT_TRUE(at::allclose(norms[r]->running_mean, reference->running_mean, 1e-12, 1e-12));
    EXPECT_TRUE(at::allclose(norms[r]->running_var, reference->running_var, 1e-12, 1e-12));
    EXPECT_EQ(norms[r]->num_batches_tracked.item<int64_t>(), reference->num_batches_tracked.item<int64_t>());
  }
}

TEST_F(DataParallel, GradientAveragerGivesEveryRankTheMeanGradient) {
  const int world = 3;
  // Bucket cap of 64 bytes: several buckets, one of them a single large parameter.
  std::vector<std::vector<at::Tensor>> grads(world);
  run_ranks(world, [&](int r, tr::Communicator& c) {
    std::vector<at::Tensor> params = {at::ones({5}).requires_grad_(), at::ones({40}).requires_grad_(),
                                      at::ones({3, 2}).requires_grad_(), at::ones({7}).requires_grad_()};
    tr::GradientAverager averager(params, c, 64);
    EXPECT_GE(averager.bucket_count(), 3);
    for (int pass = 0; pass < 2; ++pass) {
      for (auto& p : params) p.mutable_grad() = at::Tensor();
      averager.prepare();
      at::Tensor loss = at::zeros({});
      // Parameter 3 is left out of the loss: it has no gradient (counts as zero).
      for (int64_t k = 0; k < 3; ++k) loss = loss + (params[k] * ((r + 1) * (k + 1) * (pass + 1))).sum();
      loss.backward();
      averager.finish();
    }
    for (auto& p : params) grads[r].push_back(p.grad().clone());
  });
  for (int r = 0; r < world; ++r) {
    for (size_t k = 0; k < 3; ++k) {
      // mean over ranks of (r + 1) (k + 1) 2 = 2 (k + 1) 2 for three ranks
      EXPECT_TRUE(grads[r][k].equal(at::full_like(grads[r][k], 4.0f * (k + 1)))) << r << " " << k;
    }
    EXPECT_TRUE(grads[r][3].equal(at::zeros({7})));
  }
}

struct Split {
  tr::DataSplit train, val;
};

Split small_data() {
  const auto o = ds::UavTargetsOptions().image_size(32).difficulty(ds::Difficulty::kEasy).jpeg_probability(0);
  Split s;
  std::tie(s.train.images, s.train.labels) = ds::UavTargets(ds::UavTargetsOptions(o).count(64).seed(1)).render_range(0, 64);
  std::tie(s.val.images, s.val.labels) = ds::UavTargets(ds::UavTargetsOptions(o).count(30).seed(2)).render_range(0, 30);
  return s;
}

tr::ClassifierConfig small_config() {
  tr::ClassifierConfig c;
  c.widths = {6, 8};
  c.kernels = {3, 5};
  c.algorithm = Algorithm::kDirect;
  return c;
}

tr::TrainerOptions small_options() {
  tr::TrainerOptions o;
  o.epochs = 2;
  o.batch_size = 16;
  o.optimizer = "sgd";
  o.lr = 0.05;
  o.seed = 5;
  o.progress = 0;
  return o;
}

// Two ranks, each given the whole fixed set (they take their blocks of every batch from it) and
// half of the validation set, end with the weights, buffers and metrics of one process.
TEST_F(DataParallel, TwoRanksTrainLikeOneProcessOnTheGlobalBatch) {
  const Split data = small_data();
  at::manual_seed(4);
  tr::TargetClassifier single(small_config());
  std::ostringstream log;
  const tr::TrainResult one = tr::train(single, data.train, data.val, small_options(), log);

  const int world = 2;
  std::vector<tr::TargetClassifier> models;
  for (int r = 0; r < world; ++r) {
    at::manual_seed(100 + r);  // different initial weights: rank 0's are broadcast
    models.emplace_back(small_config());
  }
  at::manual_seed(4);
  {
    tr::TargetClassifier same_start(small_config());
    at::NoGradGuard no_grad;
    for (const auto& p : same_start->named_parameters()) models[0]->named_parameters()[p.key()].copy_(p.value());
  }
  std::vector<tr::TrainResult> results(world);
  run_ranks(world, [&](int r, tr::Communicator& c) {
    tr::TrainerOptions o = small_options();
    o.communicator = std::shared_ptr<tr::Communicator>(&c, [](tr::Communicator*) {});
    std::ostringstream rank_log;
    const tr::DataSplit val_share{data.val.images.narrow(0, 15 * r, 15), data.val.labels.narrow(0, 15 * r, 15)};
    results[r] = tr::train(models[r], data.train, val_share, o, rank_log);
  });
  for (int r = 0; r < world; ++r) {
    const auto expected = single->named_parameters();
    for (const auto& p : models[r]->named_parameters()) {
      EXPECT_TRUE(at::allclose(p.value(), expected[p.key()], 1e-4, 1e-5))
          << "rank " << r << " " << p.key() << " max difference "
          << (p.value() - expected[p.key()]).abs().max().item<double>();
    }
    const auto buffers = single->named_buffers();
    for (const auto& b : models[r]->named_buffers()) {
      EXPECT_TRUE(at::allclose(b.value().to(at::kDouble), buffers[b.key()].to(at::kDouble), 1e-4, 1e-5)) << b.key();
    }
    ASSERT_EQ(results[r].epochs.size(), one.epochs.size());
    for (size_t e = 0; e < one.epochs.size(); ++e) {
      EXPECT_NEAR(results[r].epochs[e].train_loss, one.epochs[e].train_loss, 1e-4);
      EXPECT_NEAR(results[r].epochs[e].val_loss, one.epochs[e].val_loss, 1e-4);
      EXPECT_DOUBLE_EQ(results[r].epochs[e].val_accuracy, one.epochs[e].val_accuracy);
      EXPECT_TRUE(results[r].epochs[e].confusion.equal(one.epochs[e].confusion));
    }
  }
}

TEST_F(DataParallel, ARankThatNeverJoinsIsAnErrorWithinTheTimeout) {
  setenv("GLOO_SOCKET_IFNAME", "lo", 1);
  const std::string store = fresh_store_path();
  const auto start = std::chrono::steady_clock::now();
  try {
    tr::Communicator::connect(rank_options(2, 0, store, 1.0));
    FAIL() << "joined a group of 2 alone";
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    EXPECT_NE(message.find("rank 0 of 2 could not join"), std::string::npos) << message;
    EXPECT_NE(message.find(store), std::string::npos) << message;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 15.0);
  std::filesystem::remove(store);
}

TEST_F(DataParallel, ARankThatLeavesMakesTheOthersCollectiveFail) {
  setenv("GLOO_SOCKET_IFNAME", "lo", 1);
  const std::string store = fresh_store_path();
  std::string message;
  std::thread leaver([&] {
    auto c = tr::Communicator::connect(rank_options(2, 1, store, 5));
    at::Tensor x = at::ones({3});
    c->all_reduce_sum({x});
  });  // its group is destroyed: its connections close
  auto c = tr::Communicator::connect(rank_options(2, 0, store, 5));
  at::Tensor x = at::ones({3});
  c->all_reduce_sum({x});
  leaver.join();
  const auto start = std::chrono::steady_clock::now();
  try {
    c->all_reduce_sum({x});
    FAIL() << "an all-reduce with a departed rank succeeded";
  } catch (const c10::Error& e) {
    message = e.what_without_backtrace();
  }
  EXPECT_NE(message.find("all-reduce failed on rank 0 of 2"), std::string::npos) << message;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 15.0);
  std::filesystem::remove(store);
}

TEST(DistributedOptions, BadValuesAreRefusedNamingTheRule) {
  auto message_of = [](const tr::DistributedOptions& o) {
    try {
      tr::check_distributed_options(o);
    } catch (const c10::Error& e) {
      return std::string(e.what_without_backtrace());
    }
    return std::string();
  };
  tr::DistributedOptions o;
  o.world_size = 2;
  o.rank = 2;
  o.init_method = "tcp://127.0.0.1:29500";
  EXPECT_NE(message_of(o).find("--rank must be in [0, --world-size 2), but got 2"), std::string::npos);
  o.rank = 0;
  o.init_method = "";
  EXPECT_NE(message_of(o).find("needs --init-method"), std::string::npos);
  o.init_method = "tcp://127.0.0.1:99999";
  EXPECT_NE(message_of(o).find("port 99999 is outside 1..65535"), std::string::npos);
  o.init_method = "tcp://127.0.0.1";
  EXPECT_NE(message_of(o).find("has no HOST:PORT"), std::string::npos);
  o.init_method = "env://";
  EXPECT_NE(message_of(o).find("'env://' is not supported"), std::string::npos);
  o.init_method = "file://";
  EXPECT_NE(message_of(o).find("names no file"), std::string::npos);
  o.init_method = "file:///tmp/x";
  o.world_size = 0;
  EXPECT_NE(message_of(o).find("--world-size must be at least 1"), std::string::npos);
  o.world_size = 2;
  EXPECT_EQ(message_of(o), "");
}

}  // namespace
}  // namespace oaconv::testing
