// `oaconv train`: train the target classifier with one algorithm; checkpoints, resume, Ctrl-C.
#include "commands.h"
#include "output_paths.h"
#include "plot_script.h"
#include "threads.h"
#include "training_args.h"

#include <oaconv/atomic_file.h>
#include <oaconv/datasets/uav_targets.h>
#include <oaconv/profiling.h>
#include <oaconv/training/trainer.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#ifndef OACONV_TRAINING_PLOT_SCRIPT
#define OACONV_TRAINING_PLOT_SCRIPT "plot_training.py"
#endif

namespace oaconv::apps {
namespace {

constexpr const char* kCommand = "oaconv train";

struct TrainArgs : TrainingArgs {
  std::string algorithm = "auto";
  std::string checkpoint, json, plot, plot_confusion;
  bool resume = false;
  int64_t hard_val_count = 0;
};

// The trained model on a validation split of the hard difficulty (smaller, darker, blurrier,
// noisier targets): the data set's own hard split, disjoint from training and validation.
// A data-parallel run's ranks each evaluate their share of it.
training::EpochStats evaluate_hard_split(training::TargetClassifier& model, const TrainArgs& a,
                                         training::Communicator* communicator) {
  namespace ds = oaconv::datasets;
  const ds::UavTargets hard(a.data_options()
                                .difficulty(ds::Difficulty::kHard)
                                .count(a.hard_val_count)
                                .seed(ds::UavTargets::split_seed(a.seed, ds::Split::kHard)));
  training::DataSplit split;
  const auto [begin, end] = rank_share(a.hard_val_count, a);
  std::tie(split.images, split.labels) = hard.render_range(begin, end - begin);
  return training::evaluate(model, split, 256, communicator);
}

void print_per_class(const char* title, const training::EpochStats& e, const std::vector<std::string>& names) {
  std::cout << title;
  for (size_t c = 0; c < e.per_class_accuracy.size(); ++c) {
    std::printf(" %s %.0f%%", names[c].c_str(), 100 * e.per_class_accuracy[c]);
  }
  std::cout << std::endl;
}

void run_train(const TrainArgs& a) {
  if (a.nproc > 0) throw ExitStatus{a.run_local_ranks(kCommand)};
  const auto start = std::chrono::steady_clock::now();
  TORCH_CHECK(a.hard_val_count >= 0, "--hard-val-count must be >= 0, but got ", a.hard_val_count);
  const Algorithm algorithm = algorithm_from_string(a.algorithm);
  a.distributed_options();  // checked before any file or connection
  if (a.leads()) {  // rank 0 alone writes files
    check_distinct_files(kCommand, {{"--checkpoint", a.checkpoint},
                                    {"--json", a.json},
                                    {"--plot", a.plot},
                                    {"--plot-confusion", a.plot_confusion}});
    if (!a.checkpoint.empty() && !a.resume) check_writable_file(kCommand, a.checkpoint, "--checkpoint");
    if (!a.json.empty()) check_writable_file(kCommand, a.json, "--json");
    if (!a.plot.empty()) check_writable_file(kCommand, a.plot, "--plot");
    if (!a.plot_confusion.empty()) check_writable_file(kCommand, a.plot_confusion, "--plot-confusion");
    if (!a.plot.empty() || !a.plot_confusion.empty()) check_plot_script(kCommand, OACONV_TRAINING_PLOT_SCRIPT);
  }
  set_threads(a.threads);
  const std::shared_ptr<training::Communicator> communicator = a.connect();
  std::ostream& out = a.leads() ? std::cout : quiet_stream();
  TrainingData data = make_training_data(a);
  training::ClassifierConfig config = a.model_config(static_cast<int64_t>(data.class_names.size()));
  config.algorithm = algorithm;
  at::manual_seed(a.seed);
  training::TargetClassifier model(config);
  out << "model: " << config.describe() << ", algorithm " << to_string(algorithm) << ", " << at::get_num_threads()
      << " threads" << (a.distributed() ? " per process" : "") << std::endl;
  training::TrainerOptions o = a.trainer_options();
  o.checkpoint = a.checkpoint;
  o.model_card = a.model_card(data.class_names).to_json();
  o.resume = a.resume;
  o.epoch_samples = training_samples(a);
  o.train_count = a.train_count;
  o.communicator = communicator;
  if (!a.leads()) o.progress = 0;
  training::install_interrupt_handler();
  // OACONV_PHASE_TIMING=1: print where the spectral algorithms spent their time.
  const bool phases = std::getenv("OACONV_PHASE_TIMING") != nullptr && a.leads();
  set_phase_timing(phases);
  const training::TrainResult r = training::train(model, data.train, data.val, o, out);
  const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::optional<training::EpochStats> hard;
  if (a.hard_val_count > 0 && !r.interrupted) hard = evaluate_hard_split(model, a, communicator.get());
  if (!a.leads()) {
    if (r.interrupted) throw ExitStatus{130};
    return;
  }
  if (phases) {
    const PhaseTimes t = phase_times();
    std::printf("spectral phases (s, summed over threads): input fft %.2f, kernel fft %.2f, product %.2f, "
                "inverse fft %.2f, overlap-add %.2f; %lld passes\n",
                t.input_transform, t.kernel_transform, t.spectral_product, t.inverse_transform, t.overlap_add,
                static_cast<long long>(t.calls));
  }
  if (!r.epochs.empty()) {
    const auto& last = r.epochs.back();
    print_per_class("per-class validation accuracy:", last, data.class_names);
    if (last.confusion.defined()) std::cout << "confusion matrix (rows: true, columns: predicted):\n" << last.confusion << std::endl;
  }
  std::printf("wall time since start: %.1f s (data rendering, training, validation)\n", wall_seconds);
  if (hard) {
    std::printf("hard split (%lld samples): loss %.4f, accuracy %.1f%%\n", static_cast<long long>(a.hard_val_count),
                hard->val_loss, 100 * hard->val_accuracy);
    print_per_class("per-class hard-split accuracy:", *hard, data.class_names);
  }
  nlohmann::json j;
  j["algorithm"] = to_string(algorithm);
  j["model"] = config.describe();
  j["threads"] = at::get_num_threads();
  j["processes"] = a.world_size;
  j["interrupted"] = r.interrupted;
  j["classes"] = data.class_names;
  j["epochs"] = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    j["epochs"].push_back({{"epoch", e.epoch}, {"seconds", e.seconds}, {"train_loss", e.train_loss},
                           {"train_accuracy", e.train_accuracy}, {"val_loss", e.val_loss},
                           {"val_accuracy", e.val_accuracy}, {"steps", e.steps},
                           {"communication_seconds", e.communication_seconds}});
  }
  if (!r.epochs.empty() && r.epochs.back().confusion.defined()) {
    const at::Tensor confusion = r.epochs.back().confusion.to(at::kLong).contiguous();
    std::vector<std::vector<int64_t>> rows;
    for (int64_t i = 0; i < confusion.size(0); ++i) {
      rows.emplace_back(confusion[i].data_ptr<int64_t>(), confusion[i].data_ptr<int64_t>() + confusion.size(1));
    }
    j["confusion"] = rows;
  }
  if (hard) j["hard_split"] = {{"samples", a.hard_val_count}, {"val_loss", hard->val_loss}, {"val_accuracy", hard->val_accuracy}};
  if (!a.json.empty()) write_file_atomically("oaconv train: --json", a.json, j.dump(2) + "\n");
  if (!r.epochs.empty()) {
    if (!a.plot.empty()) draw_with_script(kCommand, OACONV_TRAINING_PLOT_SCRIPT, j.dump(), a.plot, {"curves"});
    if (!a.plot_confusion.empty() && j.contains("confusion")) {
      draw_with_script(kCommand, OACONV_TRAINING_PLOT_SCRIPT, j.dump(), a.plot_confusion, {"confusion"});
    }
  }
  if (r.interrupted) throw ExitStatus{130};
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train the target classifier with one convolution algorithm");
  a->add_to(cmd);
  cmd->add_option("--algorithm", a->algorithm, "aten, direct, fft, oaa, winograd or auto")->capture_default_str();
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint file, written atomically every epoch and on Ctrl-C");
  cmd->add_flag("--resume", a->resume, "Continue from --checkpoint");
  cmd->add_option("--json", a->json, "Write the per-epoch history, classes and last confusion matrix as JSON");
  cmd->add_option("--plot", a->plot, "Write a PNG of loss and accuracy per epoch (training, validation, hard split)");
  cmd->add_option("--plot-confusion", a->plot_confusion, "Write a PNG of the last epoch's validation confusion matrix");
  cmd->add_option("--hard-val-count", a->hard_val_count,
                  "After training, also report accuracy on this many validation samples of the hard difficulty")
      ->capture_default_str();
  cmd->callback([a] { run_train(*a); });
}

}  // namespace oaconv::apps
