// `oaconv train`: train the target classifier with one algorithm; checkpoints, resume, Ctrl-C.
#include "commands.h"
#include "threads.h"
#include "training_args.h"

#include <oaconv/training/trainer.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <oaconv/profiling.h>
#include <iostream>
#include <memory>

namespace oaconv::apps {
namespace {

struct TrainArgs : TrainingArgs {
  std::string algorithm = "auto";
  std::string checkpoint, json;
  bool resume = false;
};

void run_train(const TrainArgs& a) {
  set_threads(a.threads);
  const Algorithm algorithm = algorithm_from_string(a.algorithm);
  TrainingData data = make_training_data(a);
  training::ClassifierConfig config = a.model_config(static_cast<int64_t>(data.class_names.size()));
  config.algorithm = algorithm;
  at::manual_seed(a.seed);
  training::TargetClassifier model(config);
  std::cout << "model: " << config.describe() << ", algorithm " << to_string(algorithm) << ", " << at::get_num_threads()
            << " threads" << std::endl;
  training::TrainerOptions o = a.trainer_options();
  o.checkpoint = a.checkpoint;
  o.resume = a.resume;
  o.epoch_data = fresh_epoch_data(a);
  training::install_interrupt_handler();
  // OACONV_PHASE_TIMING=1: print where the spectral algorithms spent their time.
  const bool phases = std::getenv("OACONV_PHASE_TIMING") != nullptr;
  set_phase_timing(phases);
  const training::TrainResult r = training::train(model, data.train, data.val, o, std::cout);
  if (phases) {
    const PhaseTimes t = phase_times();
    std::printf("spectral phases (s, summed over threads): input fft %.2f, kernel fft %.2f, product %.2f, "
                "inverse fft %.2f, overlap-add %.2f; %lld passes\n",
                t.input_transform, t.kernel_transform, t.spectral_product, t.inverse_transform, t.overlap_add,
                static_cast<long long>(t.calls));
  }
  if (!r.epochs.empty()) {
    const auto& last = r.epochs.back();
    std::cout << "per-class validation accuracy:";
    for (size_t c = 0; c < last.per_class_accuracy.size(); ++c) {
      std::printf(" %s %.0f%%", data.class_names[c].c_str(), 100 * last.per_class_accuracy[c]);
    }
    std::cout << std::endl;
    if (last.confusion.defined()) std::cout << "confusion matrix (rows: true, columns: predicted):\n" << last.confusion << std::endl;
  }
  if (!a.json.empty()) {
    nlohmann::json j;
    j["algorithm"] = to_string(algorithm);
    j["model"] = config.describe();
    j["threads"] = at::get_num_threads();
    j["interrupted"] = r.interrupted;
    for (const auto& e : r.epochs) {
      j["epochs"].push_back({{"epoch", e.epoch}, {"seconds", e.seconds}, {"train_loss", e.train_loss},
                             {"val_loss", e.val_loss}, {"val_accuracy", e.val_accuracy}});
    }
    std::ofstream(a.json) << j.dump(2) << "\n";
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train the target classifier with one convolution algorithm");
  a->add_to(cmd);
  cmd->add_option("--algorithm", a->algorithm, "aten, direct, fft, oaa or auto")->capture_default_str();
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint file, written atomically every epoch and on Ctrl-C");
  cmd->add_flag("--resume", a->resume, "Continue from --checkpoint");
  cmd->add_option("--json", a->json, "Write the per-epoch history as JSON");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace oaconv::apps
