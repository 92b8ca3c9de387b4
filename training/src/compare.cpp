#include <oaconv/training/compare.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

namespace oaconv::training {

CompareResult compare_algorithms(const ClassifierConfig& config, const std::string& preset,
                                 const std::vector<Algorithm>& algorithms, const DataSplit& train,
                                 const DataSplit& val, const TrainerOptions& options, std::ostream& log) {
  TORCH_CHECK(!algorithms.empty(), "oaconv compare: no algorithms given");
  check_trainer_options(options, train, val, config.num_classes);
  TORCH_CHECK(!options.resume, "oaconv compare: --resume is not supported; compare runs start from the same weights");
  CompareResult result;
  result.preset = preset;
  result.model = config.describe();
  result.threads = at::get_num_threads();
  result.processes = options.communicator ? options.communicator->world_size() : 1;
  // One set of initial weights for every run.
  at::manual_seed(static_cast<uint64_t>(options.seed));
  TargetClassifier reference(config);
  for (Algorithm algorithm : algorithms) {
    TargetClassifier model(config);
    {
      at::NoGradGuard no_grad;
      const auto from = reference->named_parameters(), to = model->named_parameters();
      for (const auto& p : from) to[p.key()].copy_(p.value());
      const auto from_b = reference->named_buffers(), to_b = model->named_buffers();
      for (const auto& b : from_b) to_b[b.key()].copy_(b.value());
    }
    set_algorithm(*model, algorithm);
    log << "== " << to_string(algorithm) << " (" << result.model << ")" << std::endl;
    TrainerOptions o = options;
    o.checkpoint.clear();
    CompareRun run;
    run.algorithm = algorithm;
    const TrainResult trained = oaconv::training::train(model, train, val, o, log);
    TORCH_CHECK(!trained.interrupted, "oaconv compare: interrupted during the ", to_string(algorithm), " run");
    run.epochs = trained.epochs;
    result.runs.push_back(run);
    if (result.runs.size() > 1 && !run.epochs.empty() && !result.runs[0].epochs.empty()) {
      const double first = result.runs[0].epochs[0].train_loss, mine = run.epochs[0].train_loss;
      const double relative = std::abs(mine - first) / std::max(1e-12, std::abs(first));
      if (relative > 1e-3) {
        char msg[256];
        std::snprintf(msg, sizeof(msg), "%s: train loss after epoch 1 is %.6f, %s's is %.6f (relative difference %.2e > 1e-3)",
                      to_string(algorithm).c_str(), mine, to_string(result.runs[0].algorithm).c_str(), first, relative);
        result.warnings.push_back(msg);
      }
    }
  }
  return result;
}

std::string compare_table(const CompareResult& r) {
  std::ostringstream s;
  char line[200];
  std::snprintf(line, sizeof(line), "%-5s  %-9s %9s %9s %11s %10s %9s\n", "epoch", "algorithm", "seconds", "speedup",
                "train_loss", "val_loss", "val_acc");
  s << line;
  const size_t epochs = r.runs.empty() ? 0 : r.runs[0].epochs.size();
  for (size_t e = 0; e < epochs; ++e) {
    for (const auto& run : r.runs) {
      if (e >= run.epochs.size()) continue;
      const EpochStats& x = run.epochs[e];
      const double speedup = r.runs[0].epochs[e].seconds / x.seconds;
      std::snprintf(line, sizeof(line), "%-5lld  %-9s %9.2f %8.2fx %11.4f %10.4f %8.1f%%\n", static_cast<long long>(x.epoch),
                    to_string(run.algorithm).c_str(), x.seconds, speedup, x.train_loss, x.val_loss, 100 * x.val_accuracy);
      s << line;
    }
  }
  for (const auto& w : r.warnings) s << "WARNING: " << w << "\n";
  return s.str();
}

std::string compare_json(const CompareResult& r) {
  nlohmann::json j;
  j["preset"] = r.preset;
  j["threads"] = r.threads;
  j["processes"] = r.processes;
  j["model"] = r.model;
  j["warnings"] = r.warnings;
  j["runs"] = nlohmann::json::array();
  for (const auto& run : r.runs) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : run.epochs) {
      epochs.push_back({{"epoch", e.epoch}, {"seconds", e.seconds}, {"train_loss", e.train_loss},
                        {"val_loss", e.val_loss}, {"val_accuracy", e.val_accuracy}});
    }
    j["runs"].push_back({{"algorithm", to_string(run.algorithm)}, {"epochs", epochs}});
  }
  return j.dump(2);
}

}  // namespace oaconv::training
