#include <oaconv/training/trainer.h>

#include "checkpoint.h"
#include "gradient_buckets.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>
#include <unistd.h>

namespace oaconv::training {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double scheduled_lr(const TrainerOptions& o, int64_t epoch /* 1-based */) {
  const double progress = static_cast<double>(epoch - 1) / static_cast<double>(std::max<int64_t>(1, o.epochs));
  if (o.schedule == "cosine") return o.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
  if (o.schedule == "step") return o.lr * (progress >= 0.75 ? 0.01 : progress >= 0.5 ? 0.1 : 1.0);
  return o.lr;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(TargetClassifier& model, const TrainerOptions& o) {
  if (o.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        model->parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(model->parameters(),
                                              torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
}

// What a checkpoint must match to be resumed: the model, the (global) data sizes, the options,
// and the number of processes.
std::string fingerprint(TargetClassifier& model, int64_t train_count, const DataSplit& val, int64_t val_count,
                        const TrainerOptions& o, int world_size) {
  std::vector<int64_t> train_sizes = val.images.sizes().vec(), val_sizes = train_sizes;
  train_sizes[0] = train_count;
  val_sizes[0] = val_count;
  std::ostringstream s;
  s << model->config().describe() << "; train " << c10::IntArrayRef(train_sizes) << "; val "
    << c10::IntArrayRef(val_sizes) << "; batch " << o.batch_size << "; " << o.optimizer << " lr " << o.lr << " wd "
    << o.weight_decay << " " << o.schedule << "; epochs " << o.epochs << "; seed " << o.seed;
  if (o.warmup_epochs > 0) s << "; warm-up " << o.warmup_epochs << " epochs";
  if (world_size > 1) s << "; world size " << world_size;
  return s.str();
}

// Every rank starts from rank 0's weights and buffers.
void broadcast_model(TargetClassifier& model, Communicator& communicator) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : model->parameters()) tensors.push_back(p);
  for (const auto& b : model->buffers()) tensors.push_back(b);
  for (at::Tensor& t : tensors) {
    // Received into a contiguous copy, then written with copy_: that bumps the tensor's version,
    // which the kernel-spectrum cache keys on (a write by the collective itself would not).
    at::Tensor received = t.clone(at::MemoryFormat::Contiguous);
    communicator.broadcast({received}, 0);
    t.copy_(received);
  }
}

// --resume of a data-parallel run: rank 0 reads the checkpoint file and sends its bytes to every
// rank (the others need not see rank 0's file system); each rank then loads them. A file rank 0
// cannot read stops every rank, with the reason on rank 0.
TrainingProgress load_checkpoint_on_every_rank(const std::string& path, TargetClassifier& model,
                                               torch::optim::Optimizer& optimizer, const std::string& expected,
                                               Communicator& communicator) {
  std::string bytes;
  std::exception_ptr failure;
  if (communicator.rank() == 0) {
    try {
      bytes = read_checkpoint_file(path);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  at::Tensor size = at::full({1}, failure ? int64_t{-1} : static_cast<int64_t>(bytes.size()), at::kLong);
  communicator.broadcast({size}, 0);
  if (failure) std::rethrow_exception(failure);
  TORCH_CHECK(size.item<int64_t>() >= 0, "oaconv::training: rank 0 could not read the checkpoint '", path,
              "' to resume from (its error says why)");
  at::Tensor data = at::empty({size.item<int64_t>()}, at::kByte);
  if (communicator.rank() == 0) std::memcpy(data.data_ptr(), bytes.data(), bytes.size());
  communicator.broadcast({data}, 0);
  if (communicator.rank() != 0) bytes.assign(static_cast<const char*>(data.data_ptr()), data.numel());
  return load_checkpoint_bytes(path, bytes, model, optimizer, expected);
}

// The number of validation samples over every rank.
int64_t evaluate_count(const DataSplit& val, Communicator& communicator) {
  at::Tensor count = at::full({1}, static_cast<double>(val.images.size(0)), at::kDouble);
  communicator.all_reduce_sum({count});
  return static_cast<int64_t>(count.item<double>());
}

// Restores single-process batch norm when training ends, however it ends.
struct BatchNormSyncScope {
  BatchNormSyncScope(TargetClassifier& model, std::shared_ptr<Communicator> communicator) : model(model) {
    model->synchronize_batch_norm(std::move(communicator));
  }
  ~BatchNormSyncScope() { model->synchronize_batch_norm(nullptr); }
  TargetClassifier& model;
};

nlohmann::json to_json(const EpochStats& e) {
  return {{"epoch", e.epoch},
          {"seconds", e.seconds},
          {"data_seconds", e.data_seconds},
          {"forward_seconds", e.forward_seconds},
          {"backward_seconds", e.backward_seconds},
          {"optimizer_seconds", e.optimizer_seconds},
          {"communication_seconds", e.communication_seconds},
          {"steps", e.steps},
          {"learning_rate", e.learning_rate},
          {"train_loss", e.train_loss},
          {"train_accuracy", e.train_accuracy},
          {"val_loss", e.val_loss},
          {"val_accuracy", e.val_accuracy},
          {"per_class_accuracy", e.per_class_accuracy}};
}

EpochStats from_json(const nlohmann::json& j) {
  EpochStats e;
  e.epoch = j.at("epoch");
  e.seconds = j.at("seconds");
  e.data_seconds = j.at("data_seconds");
  e.forward_seconds = j.at("forward_seconds");
  e.backward_seconds = j.at("backward_seconds");
  e.optimizer_seconds = j.at("optimizer_seconds");
  e.communication_seconds = j.value("communication_seconds", 0.0);
  e.steps = j.value("steps", int64_t{0});
  e.learning_rate = j.at("learning_rate");
  e.train_loss = j.at("train_loss");
  e.train_accuracy = j.at("train_accuracy");
  e.val_loss = j.at("val_loss");
  e.val_accuracy = j.at("val_accuracy");
  e.per_class_accuracy = j.at("per_class_accuracy").get<std::vector<double>>();
  return e;
}

void print_epoch(std::ostream& log, const EpochStats& e, int64_t epochs) {
  char line[320];
  std::snprintf(line, sizeof(line),
                "epoch %lld/%lld  %.2fs (data %.2f fwd %.2f bwd %.2f opt %.2f)  lr %.2e  train loss %.4f acc %.1f%%  "
                "val loss %.4f acc %.1f%%",
                static_cast<long long>(e.epoch), static_cast<long long>(epochs), e.seconds, e.data_seconds,
                e.forward_seconds, e.backward_seconds, e.optimizer_seconds, e.learning_rate, e.train_loss,
                100 * e.train_accuracy, e.val_loss, 100 * e.val_accuracy);
  log << line;
  if (e.communication_seconds > 0) {
    std::snprintf(line, sizeof(line), "  (waited %.2fs for other ranks)", e.communication_seconds);
    log << line;
  }
  log << std::endl;
}

}  // namespace

void request_stop() { g_stop = true; }
void clear_stop_request() { g_stop = false; }
void install_interrupt_handler() { std::signal(SIGINT, on_interrupt); }

void check_trainer_options(const TrainerOptions& o, const DataSplit& train, const DataSplit& val, int64_t num_classes) {
  TORCH_CHECK(o.epochs >= 1, "oaconv::training: epochs must be at least 1, but got ", o.epochs);
  TORCH_CHECK(o.batch_size >= 2, "oaconv::training: batch size must be at least 2 (batch norm), but got ", o.batch_size);
  const int world = o.communicator ? o.communicator->world_size() : 1;
  TORCH_CHECK(o.batch_size % world == 0, "oaconv::training: batch size ", o.batch_size,
              " must be a multiple of the number of processes (", world, "): each takes an equal share of every batch");
  if (o.epoch_samples) {
    TORCH_CHECK(o.train_count >= 1, "oaconv::training: epoch_samples needs train_count >= 1, but got ", o.train_count);
  } else {
    TORCH_CHECK(train.images.defined() && train.images.dim() == 4 && train.labels.dim() == 1 &&
                    train.images.size(0) == train.labels.size(0),
                "oaconv::training: training images must be (N, C, H, W) with N labels");
    TORCH_CHECK(train.labels.max().item<int64_t>() < num_classes && train.labels.min().item<int64_t>() >= 0,
                "oaconv::training: training labels must be in [0, ", num_classes, ")");
  }
  const int64_t train_count = o.epoch_samples ? o.train_count : train.images.size(0);
  TORCH_CHECK(o.batch_size <= train_count, "oaconv::training: batch size ", o.batch_size,
              " is larger than the training set (", train_count, " samples)");
  TORCH_CHECK(val.images.defined() && val.images.size(0) > 0 && val.images.size(0) == val.labels.size(0),
              "oaconv::training: the validation set is empty or its labels do not match its images");
  TORCH_CHECK(o.optimizer == "adam" || o.optimizer == "sgd", "oaconv::training: unknown optimizer '", o.optimizer,
              "'; expected adam or sgd");
  TORCH_CHECK(o.schedule == "cosine" || o.schedule == "step" || o.schedule == "constant",
              "oaconv::training: unknown learning-rate schedule '", o.schedule, "'; expected cosine, step or constant");
  TORCH_CHECK(std::isfinite(o.lr) && o.lr > 0, "oaconv::training: learning rate must be positive and finite, but got ",
              o.lr);
  TORCH_CHECK(std::isfinite(o.warmup_epochs) && o.warmup_epochs >= 0 && o.warmup_epochs <= o.epochs,
              "oaconv::training: warm-up must be from 0 to the number of epochs (", o.epochs, "), but got ",
              o.warmup_epochs);
  TORCH_CHECK(std::isfinite(o.momentum) && o.momentum >= 0 && o.momentum < 1,
              "oaconv::training: momentum must be in [0, 1), but got ", o.momentum);
  TORCH_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0,
              "oaconv::training: weight decay must be non-negative and finite, but got ", o.weight_decay);
  TORCH_CHECK(!o.resume || !o.checkpoint.empty(), "oaconv::training: --resume needs a checkpoint path");
}

EpochStats evaluate(TargetClassifier& model, const DataSplit& data, int64_t batch_size, Communicator* communicator) {
  const int64_t classes = model->config().num_classes;
  int64_t n = data.images.size(0);
  model->eval();
  at::NoGradGuard no_grad;
  double loss = 0;
  at::Tensor confusion = at::zeros({classes * classes}, at::kLong);
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t m = std::min(batch_size, n - b);
    const at::Tensor logits = model->forward(data.images.narrow(0, b, m));
    const at::Tensor y = data.labels.narrow(0, b, m);
    loss += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    confusion += at::bincount(y * classes + logits.argmax(1), {}, classes * classes);
  }
  if (communicator) {
    at::Tensor sums = at::tensor({loss, static_cast<double>(n)}, at::kDouble);
    communicator->all_reduce_sum({sums});
    communicator->all_reduce_sum({confusion});
    loss = sums[0].item<double>();
    n = static_cast<int64_t>(sums[1].item<double>());
  }
  EpochStats e;
  e.confusion = confusion.view({classes, classes});
  e.val_loss = loss / n;
  e.val_accuracy = e.confusion.diag().sum().item<double>() / n;
  const at::Tensor per_class = e.confusion.diag().to(at::kDouble) / e.confusion.sum(1).clamp_min(1).to(at::kDouble);
  e.per_class_accuracy = std::vector<double>(per_class.data_ptr<double>(), per_class.data_ptr<double>() + classes);
  return e;
}

TrainResult train(TargetClassifier& model, const DataSplit& train, const DataSplit& val, const TrainerOptions& o,
                  std::ostream& log) {
  check_trainer_options(o, train, val, model->config().num_classes);
  Communicator* communicator = o.communicator.get();
  const int world = communicator ? communicator->world_size() : 1, rank = communicator ? communicator->rank() : 0;
  const int64_t n = o.epoch_samples ? o.train_count : train.images.size(0);
  const int64_t val_count = communicator ? evaluate_count(val, *communicator) : val.images.size(0);
  const int64_t local_batch = o.batch_size / world;
  auto optimizer = make_optimizer(model, o);
  if (communicator) broadcast_model(model, *communicator);
  const std::string print = fingerprint(model, n, val, val_count, o, world);
  TrainingProgress progress;
  progress.fingerprint = print;
  progress.model_card = o.model_card;
  TrainResult result;
  if (o.resume) {
    progress = communicator ? load_checkpoint_on_every_rank(o.checkpoint, model, *optimizer, print, *communicator)
                            : load_checkpoint(o.checkpoint, model, *optimizer, print);
    if (!o.model_card.empty()) progress.model_card = o.model_card;
    for (const auto& j : nlohmann::json::parse(progress.history_json)) result.epochs.push_back(from_json(j));
    // The checkpoint's partial sums are over every rank: rank 0 carries them on.
    if (rank != 0) progress.loss_sum = progress.correct_sum = progress.seen = 0;
    log << "resumed from " << o.checkpoint << " at epoch " << progress.completed_epochs + 1 << " step "
        << progress.step_in_epoch << std::endl;
  }
  std::unique_ptr<GradientAverager> averager;
  if (communicator && world > 1) averager = std::make_unique<GradientAverager>(model->parameters(), *communicator);
  const BatchNormSyncScope sync_scope(model, world > 1 ? o.communicator : nullptr);
  const int64_t steps = n / o.batch_size;  // the last partial batch is dropped (batch norm needs >= 2)
  DataSplit epoch_split = train;
  const bool bar = o.progress == 1 || (o.progress == -1 && isatty(fileno(stdout)));
  int64_t steps_done = 0;
  auto save = [&] {
    if (o.checkpoint.empty() || rank != 0) return;
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : result.epochs) history.push_back(to_json(e));
    progress.history_json = history.dump();
    save_checkpoint(o.checkpoint, model, *optimizer, progress);
  };
  // The epoch's training loss and accuracy over every rank's samples.
  auto sum_over_ranks = [&] {
    if (!communicator) return;
    at::Tensor sums = at::tensor({progress.loss_sum, progress.correct_sum, progress.seen}, at::kDouble);
    communicator->all_reduce_sum({sums});
    progress.loss_sum = sums[0].item<double>();
    progress.correct_sum = sums[1].item<double>();
    progress.seen = sums[2].item<double>();
  };

  for (int64_t epoch = progress.completed_epochs + 1; epoch <= o.epochs; ++epoch) {
    const double lr = scheduled_lr(o, epoch);
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    // The epoch's order is a pure function of (seed, epoch): resuming replays it exactly. Global
    // batch s is order[s B, (s + 1) B); rank r takes its r-th block of B / world samples.
    at::Generator gen = at::detail::createCPUGenerator(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    const at::Tensor order = at::randperm(n, gen, at::kLong);
    const at::Tensor mine =
        order.narrow(0, 0, steps * o.batch_size).view({steps, world, local_batch}).select(1, rank).reshape(-1);
    if (o.epoch_samples) {
      const auto t = Clock::now();
      epoch_split = o.epoch_samples(epoch, std::vector<int64_t>(mine.data_ptr<int64_t>(),
                                                                mine.data_ptr<int64_t>() + mine.numel()));
      TORCH_CHECK(epoch_split.images.size(0) == mine.numel() && epoch_split.labels.size(0) == mine.numel(),
                  "oaconv::training: epoch_samples must return the ", mine.numel(), " samples asked for");
      progress.data_s += since(t);
    }
    model->train();
    const auto epoch_start = Clock::now();
    const double carried_seconds = progress.seconds;
    const double blocked_at_start = communicator ? communicator->blocked_seconds() : 0;
    for (int64_t step = progress.step_in_epoch; step < steps; ++step) {
      bool stop = g_stop || (o.stop_after_steps >= 0 && steps_done >= o.stop_after_steps);
      if (communicator) {  // the ranks stop together, at the same step (Ctrl-C reaches them at different times)
        at::Tensor vote = at::full({1}, stop ? 1.0 : 0.0, at::kDouble);
        communicator->all_reduce_sum({vote});
        stop = vote.item<double>() > 0;
      }
      if (stop) {
        progress.step_in_epoch = step;
        progress.seconds = carried_seconds + since(epoch_start);
        sum_over_ranks();
        save();
        if (bar) log << std::endl;
        log << "interrupted at epoch " << epoch << " step " << step << "/" << steps
            << (o.checkpoint.empty() ? "" : "; checkpoint saved to " + o.checkpoint) << std::endl;
        result.interrupted = true;
        return result;
      }
      if (o.on_step) o.on_step(epoch, step);
      const double warm_steps = o.warmup_epochs * static_cast<double>(steps);
      const double global_step = static_cast<double>((epoch - 1) * steps + step);
      if (global_step < warm_steps) {
        for (auto& group : optimizer->param_groups()) group.options().set_lr(lr * (global_step + 1) / warm_steps);
      } else if (global_step < warm_steps + 1) {
        for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
      }
      auto t = Clock::now();
      at::Tensor x, y;
      if (o.epoch_samples) {
        x = epoch_split.images.narrow(0, step * local_batch, local_batch);
        y = epoch_split.labels.narrow(0, step * local_batch, local_batch);
      } else {
        const at::Tensor index = mine.narrow(0, step * local_batch, local_batch);
        x = epoch_split.images.index_select(0, index);
        y = epoch_split.labels.index_select(0, index);
      }
      progress.data_s += since(t);
      t = Clock::now();
      const at::Tensor logits = model->forward(x);
      const at::Tensor loss = at::cross_entropy_loss(logits, y);
      const double loss_value = loss.item<double>();
      progress.forward_s += since(t);
      // A diverged run stops here, before the step writes NaN into the weights: the checkpoint
      // keeps the last finished epoch.
      TORCH_CHECK(std::isfinite(loss_value), "oaconv::training: the training loss became ", loss_value, " at epoch ",
                  epoch, " step ", step, " (learning rate ", lr, "); the run diverged",
                  o.checkpoint.empty() ? std::string() : "; '" + o.checkpoint + "' keeps the last finished epoch");
      t = Clock::now();
      optimizer->zero_grad();
      if (averager) averager->prepare();
      loss.backward();
      if (averager) averager->finish();
      progress.backward_s += since(t);
      t = Clock::now();
      optimizer->step();
      progress.optimizer_s += since(t);
      progress.loss_sum += loss_value * local_batch;
      progress.correct_sum += logits.argmax(1).eq(y).sum().item<double>();
      progress.seen += local_batch;
      ++steps_done;
      if (bar) {
        const double elapsed = carried_seconds + since(epoch_start);
        const double rate = progress.seen * world / std::max(1e-9, elapsed);
        const double eta = (steps - step - 1) * o.batch_size / std::max(1e-9, rate);
        const int width = 30, filled = static_cast<int>(width * (step + 1) / steps);
        log << "\repoch " << epoch << "/" << o.epochs << " [" << std::string(filled, '#')
            << std::string(width - filled, '.') << "] " << std::fixed << std::setprecision(0) << rate << " img/s ETA "
            << eta << "s loss " << std::setprecision(4) << progress.loss_sum / progress.seen << std::defaultfloat
            << std::flush;
      }
    }
    const double blocked = communicator ? communicator->blocked_seconds() - blocked_at_start : 0;
    sum_over_ranks();
    EpochStats stats = evaluate(model, val, std::max<int64_t>(o.batch_size, 256), communicator);
    stats.epoch = epoch;
    stats.seconds = carried_seconds + since(epoch_start);
    stats.steps = steps;
    stats.communication_seconds = blocked;
    stats.data_seconds = progress.data_s;
    stats.forward_seconds = progress.forward_s;
    stats.backward_seconds = progress.backward_s;
    stats.optimizer_seconds = progress.optimizer_s;
    stats.learning_rate = lr;
    stats.train_loss = progress.loss_sum / std::max(1.0, progress.seen);
    stats.train_accuracy = progress.correct_sum / std::max(1.0, progress.seen);
    if (bar) log << "\r" << std::string(100, ' ') << "\r";
    print_epoch(log, stats, o.epochs);
    result.epochs.push_back(stats);
    progress = TrainingProgress{};
    progress.fingerprint = print;
    progress.model_card = o.model_card;
    progress.completed_epochs = epoch;
    save();
  }
  return result;
}

}  // namespace oaconv::training
