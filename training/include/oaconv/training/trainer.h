#pragma once
// Training a TargetClassifier on in-memory data: SGD (momentum) or Adam, a learning-rate
// schedule, weight decay, validation after every epoch (loss, top-1, per-class accuracy,
// confusion matrix), per-epoch wall time split into data / forward / backward / optimizer,
// atomic checkpoints every epoch and on interruption, and exact resumption.
#include <oaconv/training/distributed.h>
#include <oaconv/training/target_classifier.h>

#include <ATen/core/Tensor.h>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace oaconv::training {

struct DataSplit {
  at::Tensor images;  // (N, 3, S, S) float
  at::Tensor labels;  // (N) int64
};

struct TrainerOptions {
  int64_t epochs = 10;
  int64_t batch_size = 64;
  std::string optimizer = "adam";    // adam | sgd
  double lr = 2e-3;
  double momentum = 0.9;             // sgd
  double weight_decay = 1e-4;
  std::string schedule = "cosine";   // cosine | step (x0.1 at 1/2 and 3/4) | constant
  // The learning rate rises linearly over this many epochs' steps (from 1/steps of the
  // schedule's rate to all of it), then follows the schedule: large early steps can push a
  // network with batch norm into a plateau it takes long to leave.
  double warmup_epochs = 0;
  uint64_t seed = 0;                 // shuffling (per epoch: a pure function of seed and epoch)
  std::string checkpoint;            // written atomically after every epoch and on interruption
  std::string model_card;            // ModelCard JSON (model_card.h) recorded in the checkpoint
  bool resume = false;               // continue from `checkpoint`
  int progress = -1;                 // 1 progress bar, 0 plain lines, -1 bar only on a terminal
  int64_t stop_after_steps = -1;     // behave as if interrupted after this many steps (tests)
  std::function<void(int64_t epoch, int64_t step)> on_step;  // called before each step
  // When set, the training set is `train_count` samples this renders on demand instead of the
  // rows of `train`: once per epoch the trainer asks for exactly the samples this process uses
  // in it, in the order it uses them (`indices` in [0, train_count)); it must be a pure function
  // of (epoch, index), e.g. freshly generated samples every epoch, so that resuming replays the
  // same data. Its time counts as the epoch's data time.
  std::function<DataSplit(int64_t epoch, const std::vector<int64_t>& indices)> epoch_samples;
  int64_t train_count = 0;
  // Data-parallel training (null: this process alone). Every rank runs train() with the same
  // options: each global batch of `batch_size` samples (the epoch's shuffled order, the same on
  // every rank) is split into world-size blocks, rank r taking block r; gradients are averaged
  // over the ranks during backward (gradient_buckets.h) and batch norm uses the statistics of the
  // global batch, so a step equals one process's step on the whole batch. Validation metrics are
  // summed over the ranks (pass each rank its share of the validation set); rank 0 alone writes
  // the checkpoint, and on --resume reads it and sends it to the others.
  std::shared_ptr<Communicator> communicator;
};

struct EpochStats {
  int64_t epoch = 0;  // 1-based
  double seconds = 0, data_seconds = 0, forward_seconds = 0, backward_seconds = 0, optimizer_seconds = 0;
  // Data-parallel runs: of those seconds, how long this rank waited in collectives (gradient
  // buckets not yet reduced when backward ended, batch-norm statistics, the per-step stop vote).
  double communication_seconds = 0;
  int64_t steps = 0;
  double learning_rate = 0;
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;
  std::vector<double> per_class_accuracy;
  at::Tensor confusion;  // (classes, classes): rows true class, columns predicted
};

struct TrainResult {
  std::vector<EpochStats> epochs;
  bool interrupted = false;
};

// Validates the options against the data (clear c10::Errors for epochs < 1, a batch larger than
// the training set, a batch the ranks cannot share evenly, unknown optimizer/schedule,
// mismatched shapes...).
void check_trainer_options(const TrainerOptions& options, const DataSplit& train, const DataSplit& val,
                           int64_t num_classes);

TrainResult train(TargetClassifier& model, const DataSplit& train, const DataSplit& val,
                  const TrainerOptions& options, std::ostream& log);

// Loss, top-1, per-class accuracy and confusion matrix of `model` (eval mode) on `data`; with a
// communicator, on the union of every rank's `data` (every rank gets the same result).
EpochStats evaluate(TargetClassifier& model, const DataSplit& data, int64_t batch_size,
                    Communicator* communicator = nullptr);

// Stop at the next step boundary (save a checkpoint, return interrupted): what SIGINT does
// once install_interrupt_handler() ran.
void request_stop();
void clear_stop_request();
void install_interrupt_handler();

}  // namespace oaconv::training
