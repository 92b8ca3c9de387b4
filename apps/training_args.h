#pragma once
// Options shared by `oaconv train` and `oaconv compare`: data, model and trainer settings, and
// turning them into in-memory data splits, a model configuration and trainer options.
#include <oaconv/datasets/uav_targets.h>
#include <oaconv/training/distributed.h>
#include <oaconv/training/model_card.h>
#include <oaconv/training/trainer.h>

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

namespace oaconv::apps {

struct TrainingArgs {
  std::string preset = "large";
  std::string widths, kernels;  // comma lists overriding the preset
  int64_t epochs = 5;
  int64_t train_count = 6000, val_count = 1000, image_size = 64;
  std::string profile = "2017", difficulty = "default";
  double background_fraction = 0;
  int64_t batch_size = 64;
  std::string optimizer = "adam", schedule = "cosine";
  double lr = 1e-3, momentum = 0.9, weight_decay = 1e-4, warmup_epochs = 0;
  uint64_t seed = 1;
  int threads = 0;
  bool fresh_data = false;
  // Data-parallel training: this process is rank `rank` of `world_size`, meeting the others at
  // `init_method`; or, with `nproc`, it starts that many local ranks itself (launch_ranks.h).
  int world_size = 1, rank = 0, nproc = 0;
  std::string init_method;
  double timeout_s = 60;

  void add_to(CLI::App* cmd);
  training::ClassifierConfig model_config(int64_t num_classes) const;
  training::TrainerOptions trainer_options() const;
  // What the checkpoint records for `oaconv predict` and `oaconv export`.
  training::ModelCard model_card(const std::vector<std::string>& class_names) const;
  // Image size, profile, difficulty and background share of every split; count and seed unset.
  datasets::UavTargetsOptions data_options() const;
  training::DistributedOptions distributed_options() const;
  bool distributed() const { return world_size > 1; }
  // With --nproc: runs the command as that many local ranks and returns their exit status.
  int run_local_ranks(const char* command) const;
  // The run's process group (null for a single process), joined before any data is rendered.
  std::shared_ptr<training::Communicator> connect() const;
  // Rank 0 prints the run's lines and writes its files; the other ranks stay quiet.
  bool leads() const { return rank == 0; }
};

struct TrainingData {
  training::DataSplit train, val;
  std::vector<std::string> class_names;
};

// Renders the train and validation splits (disjoint seeds) into memory, so data never limits
// a timing; prints how long that took. A rank of a data-parallel run renders only its share of
// the validation split, and no training samples (training_samples renders them).
TrainingData make_training_data(const TrainingArgs& args);

// The trainer's on-demand training samples (TrainerOptions::epoch_samples), or empty when it
// should take the rows of the rendered split. With --fresh-data, epoch e's sample i is sample
// (e-1) N + i of the training split (never seen before; a pure function of the epoch, so
// resuming replays it). A rank of a data-parallel run renders only the samples it uses: each
// epoch's (fresh data), or each the first time it uses it (a fixed training set).
std::function<training::DataSplit(int64_t, const std::vector<int64_t>&)> training_samples(const TrainingArgs& args);

// A stream that discards what is written: the log of ranks other than 0.
std::ostream& quiet_stream();

// The share of `count` samples rank `rank` of `world_size` evaluates: [begin, end).
std::pair<int64_t, int64_t> rank_share(int64_t count, const TrainingArgs& args);

}  // namespace oaconv::apps
