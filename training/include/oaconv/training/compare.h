#pragma once
// Training the same model from the same initial weights on the same data once per algorithm,
// and reporting per-epoch time, speedup over the first algorithm listed, loss and accuracy.
#include <oaconv/training/trainer.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace oaconv::training {

struct CompareRun {
  Algorithm algorithm = Algorithm::kAten;
  std::vector<EpochStats> epochs;
};

struct CompareResult {
  std::string preset;
  std::string model;  // ClassifierConfig::describe()
  int threads = 1;    // per process
  int processes = 1;  // ranks of a data-parallel run
  std::vector<CompareRun> runs;
  // Algorithms whose training loss after epoch 1 differs from the first's by more than 1e-3
  // relative: the same maths must give the same training.
  std::vector<std::string> warnings;
};

CompareResult compare_algorithms(const ClassifierConfig& config, const std::string& preset,
                                 const std::vector<Algorithm>& algorithms, const DataSplit& train,
                                 const DataSplit& val, const TrainerOptions& options, std::ostream& log);

// The per-epoch table: one row per (epoch, algorithm).
std::string compare_table(const CompareResult& result);
// {"preset":..., "threads":..., "processes":..., "model":..., "warnings":[...],
//  "runs":[{"algorithm":"aten","epochs":[{"epoch":1,"seconds":...,"train_loss":...,"val_loss":...,
//  "val_accuracy":...}, ...]}, ...]}
std::string compare_json(const CompareResult& result);

}  // namespace oaconv::training
