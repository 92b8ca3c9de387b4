#pragma once
// Training a TargetClassifier on in-memory data: SGD (momentum) or Adam, a learning-rate
// schedule, weight decay, validation after every epoch (loss, top-1, per-class accuracy,
// confusion matrix), per-epoch wall time split into data / forward / backward / optimizer,
// atomic checkpoints every epoch and on interruption, and exact resumption.
#include <oaconv/training/target_classifier.h>

#include <ATen/core/Tensor.h>

#include <functional>
#include <iosfwd>
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
  uint64_t seed = 0;                 // shuffling (per epoch: a pure function of seed and epoch)
  std::string checkpoint;            // written atomically after every epoch and on interruption
  std::string model_card;            // ModelCard JSON (model_card.h) recorded in the checkpoint
  bool resume = false;               // continue from `checkpoint`
  int progress = -1;                 // 1 progress bar, 0 plain lines, -1 bar only on a terminal
  int64_t stop_after_steps = -1;     // behave as if interrupted after this many steps (tests)
  std::function<void(int64_t epoch, int64_t step)> on_step;  // called before each step
  // When set, each epoch trains on the split this returns (a pure function of the epoch, e.g.
  // freshly generated samples) instead of `train`; its time counts as the epoch's data time.
  std::function<DataSplit(int64_t epoch)> epoch_data;
};

struct EpochStats {
  int64_t epoch = 0;  // 1-based
  double seconds = 0, data_seconds = 0, forward_seconds = 0, backward_seconds = 0, optimizer_seconds = 0;
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
// the training set, unknown optimizer/schedule, mismatched shapes...).
void check_trainer_options(const TrainerOptions& options, const DataSplit& train, const DataSplit& val,
                           int64_t num_classes);

TrainResult train(TargetClassifier& model, const DataSplit& train, const DataSplit& val,
                  const TrainerOptions& options, std::ostream& log);

// Loss, top-1, per-class accuracy and confusion matrix of `model` (eval mode) on `data`.
EpochStats evaluate(TargetClassifier& model, const DataSplit& data, int64_t batch_size);

// Stop at the next step boundary (save a checkpoint, return interrupted): what SIGINT does
// once install_interrupt_handler() ran.
void request_stop();
void clear_stop_request();
void install_interrupt_handler();

}  // namespace oaconv::training
