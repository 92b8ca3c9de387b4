#pragma once
// Training checkpoints: model parameters and buffers, optimizer state, progress (epoch and
// step within it, partial epoch sums) and history, in one LibTorch archive written atomically
// (temporary file + rename), so a crash never leaves a half-written checkpoint.
#include <oaconv/training/target_classifier.h>

#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>

#include <string>

namespace oaconv::training {

struct TrainingProgress {
  int64_t completed_epochs = 0;  // epochs fully done
  int64_t step_in_epoch = 0;     // steps done in the epoch in progress
  double loss_sum = 0, correct_sum = 0, seen = 0;  // partial sums of that epoch
  double data_s = 0, forward_s = 0, backward_s = 0, optimizer_s = 0, seconds = 0;
  std::string history_json = "[]";  // EpochStats of completed epochs
  std::string fingerprint;          // model, classes, data and options it belongs to
  std::string model_card;           // ModelCard JSON (model_card.h); empty when the run gave none
};

void save_checkpoint(const std::string& path, TargetClassifier& model, const torch::optim::Optimizer& optimizer,
                     const TrainingProgress& progress);

// Throws a c10::Error naming the path when the file is missing, corrupt, not an oaconv
// checkpoint, or made for another model/data (fingerprint mismatch; a run of another world
// size is named as such).
TrainingProgress load_checkpoint(const std::string& path, TargetClassifier& model, torch::optim::Optimizer& optimizer,
                                 const std::string& expected_fingerprint);
// The same from the file's bytes: rank 0 of a data-parallel run reads them
// (read_checkpoint_file) and sends them to the other ranks, which may not see its file system.
std::string read_checkpoint_file(const std::string& path);
TrainingProgress load_checkpoint_bytes(const std::string& path, const std::string& file_bytes, TargetClassifier& model,
                                       torch::optim::Optimizer& optimizer, const std::string& expected_fingerprint);

// A checkpoint's archive, header and CRC verified, and its model card, for loading its model
// without an optimizer.
struct SavedModel {
  std::string payload;  // the bytes the archive reads (declared first: it must outlive the archive)
  torch::serialize::InputArchive archive;
  std::string model_card;  // empty in checkpoints written without one
};
SavedModel read_saved_model(const std::string& path);
// Loads the weights and buffers of `saved` into `model` and checks they are finite; throws naming
// the path when they do not match the model.
void load_model_weights(const std::string& path, SavedModel& saved, TargetClassifier& model);

}  // namespace oaconv::training
