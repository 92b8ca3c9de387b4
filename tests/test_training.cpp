// The trainer, checkpoints and comparison runs, on small synthetic data.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/datasets/uav_targets.h>
#include <oaconv/training/compare.h>
#include <oaconv/training/export.h>
#include <oaconv/training/model_card.h>
#include <oaconv/training/trainer.h>

#include "checkpoint.h"

#include <torch/optim/adam.h>
#include <torch/script.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <unistd.h>

namespace oaconv::testing {
namespace {

namespace tr = oaconv::training;
namespace ds = oaconv::datasets;

struct TinyData {
  tr::DataSplit train, val;
};

const TinyData& tiny_data() {
  static const TinyData d = [] {
    TinyData t;
    const auto o = ds::UavTargetsOptions().image_size(32).difficulty(ds::Difficulty::kEasy).jpeg_probability(0);
    std::tie(t.train.images, t.train.labels) = ds::UavTargets(ds::UavTargetsOptions(o).count(96).seed(1)).render_range(0, 96);
    std::tie(t.val.images, t.val.labels) = ds::UavTargets(ds::UavTargetsOptions(o).count(32).seed(2)).render_range(0, 32);
    return t;
  }();
  return d;
}

tr::ClassifierConfig tiny_config(Algorithm algorithm = Algorithm::kDirect) {
  tr::ClassifierConfig c;
  c.widths = {8, 16};
  c.kernels = {3, 5};
  c.num_classes = 13;
  c.algorithm = algorithm;
  return c;
}

tr::TrainerOptions tiny_options() {
  tr::TrainerOptions o;
  o.epochs = 3;
  o.batch_size = 16;
  o.lr = 3e-3;
  o.seed = 7;
  o.progress = 0;
  return o;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("oaconv_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

class Training : public SeededTest {
 protected:
  void TearDown() override { tr::clear_stop_request(); }
  std::ostringstream log_;
};

TEST_F(Training, LowersTheLossOnATinyDataSet) {
  at::manual_seed(3);
  tr::TargetClassifier model(tiny_config());
  auto o = tiny_options();
  o.epochs = 8;
  o.schedule = "constant";
  const tr::TrainResult r = tr::train(model, tiny_data().train, tiny_data().val, o, log_);
  ASSERT_EQ(r.epochs.size(), 8u);
  EXPECT_LT(r.epochs.back().train_loss, 0.8 * r.epochs.front().train_loss) << log_.str();
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.epochs.back().confusion.sizes(), (std::vector<int64_t>{13, 13}));
  EXPECT_EQ(r.epochs.back().confusion.sum().item<int64_t>(), 32);
  EXPECT_GT(r.epochs.back().forward_seconds, 0);
  EXPECT_GT(r.epochs.back().backward_seconds, 0);
}

void expect_same_state(tr::TargetClassifier& a, tr::TargetClassifier& b) {
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(p.value().equal(pb[p.key()])) << p.key();
  const auto ba = a->named_buffers(), bb = b->named_buffers();
  for (const auto& p : ba) EXPECT_TRUE(p.value().equal(bb[p.key()])) << p.key();
}

TEST_F(Training, InterruptedThenResumedEqualsUninterrupted) {
  const std::string path = temp_path("resume.ckpt");
  at::manual_seed(11);
  tr::TargetClassifier straight(tiny_config());
  const tr::TrainResult full = tr::train(straight, tiny_data().train, tiny_data().val, tiny_options(), log_);

  at::manual_seed(11);
  tr::TargetClassifier interrupted(tiny_config());
  auto o = tiny_options();
  o.checkpoint = path;
  o.stop_after_steps = 8;  // mid-epoch 2 (6 steps per epoch)
  const tr::TrainResult first = tr::train(interrupted, tiny_data().train, tiny_data().val, o, log_);
  EXPECT_TRUE(first.interrupted);
  ASSERT_TRUE(std::filesystem::exists(path));

  at::manual_seed(999);  // the resumed model starts from other weights: all must come from the file
  tr::TargetClassifier resumed(tiny_config());
  o.stop_after_steps = -1;
  o.resume = true;
  const tr::TrainResult second = tr::train(resumed, tiny_data().train, tiny_data().val, o, log_);
  EXPECT_FALSE(second.interrupted);
  ASSERT_EQ(second.epochs.size(), 3u) << log_.str();
  expect_same_state(straight, resumed);
  EXPECT_DOUBLE_EQ(second.epochs.back().train_loss, full.epochs.back().train_loss);
  EXPECT_DOUBLE_EQ(second.epochs.back().val_accuracy, full.epochs.back().val_accuracy);
  std::filesystem::remove(path);
}

// Warm-up: the first steps' rates rise linearly (seen through Adam's first step, whose size is
// the learning rate), and a run stopped during it resumes exactly.
TEST_F(Training, WarmUpRaisesTheRateStepByStepAndResumesExactly) {
  auto o = tiny_options();
  o.warmup_epochs = 1.5;  // 9 of the 18 steps
  o.schedule = "constant";
  at::manual_seed(12);
  tr::TargetClassifier plain(tiny_config()), warm(tiny_config());
  {
    at::NoGradGuard no_grad;
    for (const auto& p : plain->named_parameters()) warm->named_parameters()[p.key()].copy_(p.value());
  }
  // One step each: Adam moves every weight by about lr (its first step is lr * sign(gradient)).
  auto first_step_size = [&](tr::TargetClassifier& model, tr::TrainerOptions options) {
    const at::Tensor before = model->named_parameters()["head.bias"].clone();
    options.stop_after_steps = 1;
    tr::train(model, tiny_data().train, tiny_data().val, options, log_);
    tr::clear_stop_request();
    return (model->named_parameters()["head.bias"] - before).abs().max().item<double>();
  };
  auto no_warmup = o;
  no_warmup.warmup_epochs = 0;
  const double full = first_step_size(plain, no_warmup), warmed = first_step_size(warm, o);
  EXPECT_NEAR(full, o.lr, 0.05 * o.lr);
  EXPECT_NEAR(warmed, o.lr / 9, 0.05 * o.lr / 9);

  const std::string path = temp_path("warm.ckpt");
  at::manual_seed(13);
  tr::TargetClassifier straight(tiny_config());
  tr::train(straight, tiny_data().train, tiny_data().val, o, log_);
  at::manual_seed(13);
  tr::TargetClassifier resumed(tiny_config());
  o.checkpoint = path;
  o.stop_after_steps = 4;  // inside the warm-up
  EXPECT_TRUE(tr::train(resumed, tiny_data().train, tiny_data().val, o, log_).interrupted);
  o.stop_after_steps = -1;
  o.resume = true;
  tr::train(resumed, tiny_data().train, tiny_data().val, o, log_);
  expect_same_state(straight, resumed);
  std::filesystem::remove(path);

  o.resume = false;
  o.checkpoint.clear();
  o.warmup_epochs = 4;  // more than the 3 epochs
  tr::TargetClassifier refused(tiny_config());
  try {
    tr::train(refused, tiny_data().train, tiny_data().val, o, log_);
    FAIL() << "a warm-up longer than the run was accepted";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("warm-up must be from 0 to the number of epochs (3), but got 4"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(Training, FreshDataEveryEpochIsUsedAndResumesExactly) {
  // Epoch e trains on samples [(e-1) 96, e 96) of a larger split, rendered when the epoch starts:
  // the trainer asks for the ones it uses (3 batches of 32), each once, in its shuffled order.
  const auto options = ds::UavTargetsOptions().image_size(32).difficulty(ds::Difficulty::kEasy).count(96 * 3).seed(9);
  int calls = 0;
  auto fresh = [&](int64_t epoch, const std::vector<int64_t>& indices) {
    ++calls;
    EXPECT_EQ(indices.size(), 96u);
    EXPECT_EQ(std::set<int64_t>(indices.begin(), indices.end()).size(), indices.size());
    std::vector<int64_t> global;
    for (int64_t i : indices) {
      EXPECT_TRUE(i >= 0 && i < 96) << i;
      global.push_back((epoch - 1) * 96 + i);
    }
    tr::DataSplit d;
    std::tie(d.images, d.labels) = ds::UavTargets(options).render_indices(global);
    return d;
  };
  const std::string path = temp_path("fresh.ckpt");
  at::manual_seed(21);
  tr::TargetClassifier straight(tiny_config());
  auto o = tiny_options();
  o.epoch_samples = fresh;
  o.train_count = 96;
  const tr::TrainResult full = tr::train(straight, tiny_data().train, tiny_data().val, o, log_);
  EXPECT_EQ(calls, 3);

  at::manual_seed(21);
  tr::TargetClassifier resumed(tiny_config());
  o.checkpoint = path;
  o.stop_after_steps = 10;
  EXPECT_TRUE(tr::train(resumed, tiny_data().train, tiny_data().val, o, log_).interrupted);
  o.stop_after_steps = -1;
  o.resume = true;
  const tr::TrainResult second = tr::train(resumed, tiny_data().train, tiny_data().val, o, log_);
  expect_same_state(straight, resumed);
  EXPECT_DOUBLE_EQ(second.epochs.back().train_loss, full.epochs.back().train_loss);
  std::filesystem::remove(path);
}

TEST_F(Training, AnExceptionMidEpochLeavesTheLastCheckpointReadable) {
  const std::string path = temp_path("crash.ckpt");
  at::manual_seed(5);
  tr::TargetClassifier model(tiny_config());
  auto o = tiny_options();
  o.checkpoint = path;
  o.on_step = [](int64_t epoch, int64_t step) {
    if (epoch == 2 && step == 3) throw std::runtime_error("simulated failure");
  };
  EXPECT_THROW(tr::train(model, tiny_data().train, tiny_data().val, o, log_), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(oaconv::testing::temporary_left_beside(path));
  tr::TargetClassifier fresh(tiny_config());
  o.on_step = nullptr;
  o.resume = true;
  o.epochs = 3;
  const tr::TrainResult r = tr::train(fresh, tiny_data().train, tiny_data().val, o, log_);
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_EQ(r.epochs.front().epoch, 1);  // epoch 1 came from the checkpoint's history
  EXPECT_NE(log_.str().find("resumed from"), std::string::npos);
  std::filesystem::remove(path);
}

TEST_F(Training, BadArgumentsAndBadCheckpointsGiveClearErrors) {
  tr::TargetClassifier model(tiny_config());
  auto expect_error = [&](tr::TrainerOptions o, const char* fragment) {
    try {
      tr::train(model, tiny_data().train, tiny_data().val, o, log_);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  };
  auto o = tiny_options();
  o.epochs = 0;
  expect_error(o, "epochs must be at least 1, but got 0");
  o = tiny_options();
  o.batch_size = 500;
  expect_error(o, "batch size 500 is larger than the training set (96 samples)");
  o = tiny_options();
  o.optimizer = "lbfgs";
  expect_error(o, "unknown optimizer 'lbfgs'");
  o = tiny_options();
  o.schedule = "warm";
  expect_error(o, "unknown learning-rate schedule 'warm'");
  o = tiny_options();
  o.lr = std::numeric_limits<double>::infinity();
  expect_error(o, "learning rate must be positive and finite, but got inf");
  o = tiny_options();
  o.momentum = std::nan("");
  expect_error(o, "momentum must be in [0, 1), but got nan");
  o = tiny_options();
  o.weight_decay = -1;
  expect_error(o, "weight decay must be non-negative and finite, but got -1");
  EXPECT_THROW(algorithm_from_string("tiled"), c10::Error);

  const std::string garbage = temp_path("garbage.ckpt");
  std::ofstream(garbage) << "this is not a checkpoint";
  o = tiny_options();
  o.checkpoint = garbage;
  o.resume = true;
  expect_error(o, "is not an oaconv checkpoint (no 'oaconv-checkpoint-v2' header)");
  o.checkpoint = temp_path("missing.ckpt");
  expect_error(o, "does not exist");

  // A checkpoint of another model is refused, not half-loaded.
  const std::string other = temp_path("other.ckpt");
  auto c = tiny_config();
  c.widths = {4, 8};
  tr::TargetClassifier small(c);
  auto oo = tiny_options();
  oo.epochs = 1;
  oo.checkpoint = other;
  tr::train(small, tiny_data().train, tiny_data().val, oo, log_);
  o = tiny_options();
  o.checkpoint = other;
  o.resume = true;
  expect_error(o, "belongs to another run");
  std::filesystem::remove(garbage);
  std::filesystem::remove(other);
}

// Every byte of a checkpoint is covered: a flipped byte anywhere in the payload, a truncated or
// padded file and a bare LibTorch archive are refused with what is wrong, never loaded.
TEST_F(Training, CorruptCheckpointsAreRefused) {
  const std::string path = temp_path("corrupt.ckpt");
  tr::TargetClassifier model(tiny_config());
  auto o = tiny_options();
  o.epochs = 2;
  o.checkpoint = path;
  o.stop_after_steps = 8;  // into epoch 2 (6 steps an epoch)
  ASSERT_TRUE(tr::train(model, tiny_data().train, tiny_data().val, o, log_).interrupted);
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(good.size(), 1000u);
  auto write = [&](const std::string& bytes) { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; };
  auto expect_refused = [&](const char* fragment) {
    tr::TargetClassifier fresh(tiny_config());
    auto r = tiny_options();
    r.epochs = 2;
    r.checkpoint = path;
    r.resume = true;
    try {
      tr::train(fresh, tiny_data().train, tiny_data().val, r, log_);
      ADD_FAILURE() << "a damaged checkpoint was loaded; expected '" << fragment << "'";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  };
  const size_t header = good.find('\n') + 1;
  for (const double where : {0.0, 0.3, 0.6, 0.999}) {
    std::string flipped = good;
    const size_t at = header + static_cast<size_t>(where * (good.size() - header - 1));
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    write(flipped);
    SCOPED_TRACE("byte " + std::to_string(at));
    expect_refused("is corrupt: its payload's CRC-32 is");
  }
  write(good.substr(0, good.size() - 100));
  expect_refused("is truncated or padded");
  write(good + "x");
  expect_refused("is truncated or padded");
  write(good.substr(header));
  expect_refused("bare LibTorch archive without oaconv's checksummed header");
  write(good);  // intact again: resumes
  tr::TargetClassifier fresh(tiny_config());
  auto r = tiny_options();
  r.epochs = 2;
  r.checkpoint = path;
  r.resume = true;
  EXPECT_EQ(tr::train(fresh, tiny_data().train, tiny_data().val, r, log_).epochs.size(), 2u);
  std::filesystem::remove(path);
}

// A checkpoint whose parameters hold NaN or Inf (checksummed as written) is refused by name.
TEST_F(Training, CheckpointWithNonFiniteParametersIsRefused) {
  const std::string path = temp_path("nan.ckpt");
  tr::TargetClassifier model(tiny_config());
  auto optimizer = torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  {
    at::NoGradGuard no_grad;
    model->parameters()[0].view({-1})[3] = std::numeric_limits<float>::infinity();
  }
  tr::TrainingProgress p;
  p.fingerprint = "test";
  tr::save_checkpoint(path, model, optimizer, p);
  tr::TargetClassifier fresh(tiny_config());
  auto fresh_optimizer = torch::optim::Adam(fresh->parameters(), torch::optim::AdamOptions(1e-3));
  try {
    tr::load_checkpoint(path, fresh, fresh_optimizer, "test");
    ADD_FAILURE() << "a checkpoint with an Inf weight was loaded";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("parameter '" + model->named_parameters().begin()->key() + "' holds NaN or Inf values"),
              std::string::npos)
        << msg;
  }
  std::filesystem::remove(path);
}

// A run that diverges stops with an error at the first non-finite loss, before the optimizer
// step spreads it into the weights.
TEST_F(Training, NonFiniteLossStopsTheRun) {
  tr::TargetClassifier model(tiny_config());
  auto o = tiny_options();
  o.on_step = [&](int64_t epoch, int64_t step) {
    if (epoch == 1 && step == 2) {
      at::NoGradGuard no_grad;
      model->parameters()[0].fill_(std::nan(""));
    }
  };
  try {
    tr::train(model, tiny_data().train, tiny_data().val, o, log_);
    ADD_FAILURE() << "training went on with a NaN loss";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("the training loss became nan at epoch 1 step 2"),
              std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST_F(Training, CompareJsonHasTheDocumentedSchemaAndSameMathsGivesSameLoss) {
  auto o = tiny_options();
  o.epochs = 2;
  const tr::CompareResult r = tr::compare_algorithms(tiny_config(), "tiny", {Algorithm::kAten, Algorithm::kOverlapAdd},
                                                      tiny_data().train, tiny_data().val, o, log_);
  const auto j = nlohmann::json::parse(tr::compare_json(r));
  EXPECT_EQ(j.at("preset"), "tiny");
  EXPECT_EQ(j.at("threads").get<int>(), at::get_num_threads());
  ASSERT_EQ(j.at("runs").size(), 2u);
  EXPECT_EQ(j["runs"][0].at("algorithm"), "aten");
  EXPECT_EQ(j["runs"][1].at("algorithm"), "oaa");
  for (const auto& run : j["runs"]) {
    ASSERT_EQ(run.at("epochs").size(), 2u);
    for (const auto& e : run["epochs"]) {
      for (const char* key : {"epoch", "seconds", "train_loss", "val_loss", "val_accuracy"}) {
        EXPECT_TRUE(e.contains(key)) << key;
        EXPECT_TRUE(e.at(key).is_number()) << key;
      }
    }
  }
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  const std::string table = tr::compare_table(r);
  EXPECT_NE(table.find("speedup"), std::string::npos);
  EXPECT_NE(table.find("oaa"), std::string::npos);
}

// The card recorded by train() lets load_trained_model rebuild the model for inference: the
// same evaluation outputs as the trained model; TorchScript export gives them too (aten
// convolutions), with the card's class names and image size as attributes.
TEST_F(Training, TrainedModelLoadsForInferenceAndExportsToTorchScript) {
  const std::string path = temp_path("card.ckpt"), script = temp_path("model.pt");
  tr::ModelCard card;
  card.preset = "custom";
  card.widths = tiny_config().widths;
  card.kernels = tiny_config().kernels;
  card.image_size = 32;
  for (int c = 0; c < 13; ++c) card.class_names.push_back("class" + std::to_string(c));
  at::manual_seed(5);
  tr::TargetClassifier model(tiny_config(Algorithm::kOverlapAdd));
  auto o = tiny_options();
  o.epochs = 2;
  o.checkpoint = path;
  o.model_card = card.to_json();
  tr::train(model, tiny_data().train, tiny_data().val, o, log_);
  model->eval();
  const at::Tensor images = tiny_data().val.images;
  at::Tensor want;
  {
    at::NoGradGuard no_grad;
    want = model->forward(images);
  }

  tr::ModelCard loaded_card;
  tr::TargetClassifier loaded = tr::load_trained_model(path, loaded_card);
  EXPECT_EQ(loaded_card.class_names, card.class_names);
  EXPECT_EQ(loaded_card.widths, card.widths);
  EXPECT_EQ(loaded_card.image_size, 32);
  EXPECT_FALSE(loaded->is_training());
  {
    c10::InferenceMode inference;
    EXPECT_LE(relative_error(loaded->forward(images), want), 1e-5);
  }

  tr::export_torchscript(loaded, loaded_card, script);
  torch::jit::Module module = torch::jit::load(script);
  const at::Tensor scripted = module.forward({images}).toTensor();
  EXPECT_LE(relative_error(scripted, want), 1e-5);
  EXPECT_EQ(module.attr("classes").toListRef().size(), 13u);
  EXPECT_EQ(module.attr("classes").toListRef()[4].toStringRef(), "class4");
  EXPECT_EQ(module.attr("image_size").toInt(), 32);
  EXPECT_FALSE(oaconv::testing::temporary_left_beside(script));

  // A checkpoint without a card (as trained before cards existed) is refused with the reason.
  auto no_card = tiny_options();
  no_card.epochs = 1;
  no_card.checkpoint = temp_path("nocard.ckpt");
  at::manual_seed(5);
  tr::TargetClassifier other(tiny_config());
  tr::train(other, tiny_data().train, tiny_data().val, no_card, log_);
  tr::ModelCard ignored;
  try {
    tr::load_trained_model(no_card.checkpoint, ignored);
    ADD_FAILURE() << "a checkpoint without a model card was loaded";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no model card"), std::string::npos) << e.what();
  }
  for (const std::string& f : {path, script, no_card.checkpoint}) std::filesystem::remove(f);
}

}  // namespace
}  // namespace oaconv::testing
