#pragma once
// Options shared by `oaconv train` and `oaconv compare`: data, model and trainer settings, and
// turning them into in-memory data splits, a model configuration and trainer options.
#include <oaconv/datasets/uav_targets.h>
#include <oaconv/training/model_card.h>
#include <oaconv/training/trainer.h>

#include <CLI/CLI.hpp>

#include <functional>
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
  double lr = 1e-3, momentum = 0.9, weight_decay = 1e-4;
  uint64_t seed = 1;
  int threads = 0;
  bool fresh_data = false;

  void add_to(CLI::App* cmd);
  training::ClassifierConfig model_config(int64_t num_classes) const;
  training::TrainerOptions trainer_options() const;
  // What the checkpoint records for `oaconv predict` and `oaconv export`.
  training::ModelCard model_card(const std::vector<std::string>& class_names) const;
  // Image size, profile, difficulty and background share of every split; count and seed unset.
  datasets::UavTargetsOptions data_options() const;
};

struct TrainingData {
  training::DataSplit train, val;
  std::vector<std::string> class_names;
};

// Renders the train and validation splits (disjoint seeds) into memory, so data never limits
// a timing; prints how long that took.
TrainingData make_training_data(const TrainingArgs& args);

// With --fresh-data: epoch e trains on samples [(e-1) N, e N) of the training split (never
// seen before; a pure function of the epoch, so resuming replays them). Else empty.
std::function<training::DataSplit(int64_t)> fresh_epoch_data(const TrainingArgs& args);

}  // namespace oaconv::apps
