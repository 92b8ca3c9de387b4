#include "checkpoint.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <c10/util/Exception.h>

#include <cstdio>
#include <filesystem>

namespace oaconv::training {
namespace {

constexpr const char* kMagic = "oaconv-checkpoint-v1";

}  // namespace

void save_checkpoint(const std::string& path, TargetClassifier& model, const torch::optim::Optimizer& optimizer,
                     const TrainingProgress& p) {
  torch::serialize::OutputArchive archive;
  archive.write("magic", c10::IValue(std::string(kMagic)));
  archive.write("fingerprint", c10::IValue(p.fingerprint));
  archive.write("history", c10::IValue(p.history_json));
  archive.write("counters", c10::IValue(std::vector<int64_t>{p.completed_epochs, p.step_in_epoch}));
  archive.write("sums", c10::IValue(std::vector<double>{p.loss_sum, p.correct_sum, p.seen, p.data_s, p.forward_s,
                                                        p.backward_s, p.optimizer_s, p.seconds}));
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  const std::string temporary = path + ".tmp";
  try {
    archive.save_to(temporary);
  } catch (const c10::Error& e) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, "oaconv::training: cannot write checkpoint '", path, "': ", e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, "oaconv::training: cannot move checkpoint into '", path, "': ", ec.message());
  }
}

TrainingProgress load_checkpoint(const std::string& path, TargetClassifier& model, torch::optim::Optimizer& optimizer,
                                 const std::string& expected_fingerprint) {
  TORCH_CHECK(std::filesystem::exists(path), "oaconv::training: checkpoint '", path, "' does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::training: checkpoint '", path, "' is corrupt or not a LibTorch archive (",
                std::string(e.what()).substr(0, 200), ")");
  }
  TrainingProgress p;
  try {
    c10::IValue magic, fingerprint, history, counters, sums;
    archive.read("magic", magic);
    TORCH_CHECK(magic.isString() && magic.toStringRef() == kMagic, "wrong magic");
    archive.read("fingerprint", fingerprint);
    p.fingerprint = fingerprint.toStringRef();
    archive.read("history", history);
    p.history_json = history.toStringRef();
    archive.read("counters", counters);
    const auto c = counters.toIntVector();
    p.completed_epochs = c.at(0);
    p.step_in_epoch = c.at(1);
    archive.read("sums", sums);
    const auto s = sums.toDoubleVector();
    p.loss_sum = s.at(0); p.correct_sum = s.at(1); p.seen = s.at(2); p.data_s = s.at(3);
    p.forward_s = s.at(4); p.backward_s = s.at(5); p.optimizer_s = s.at(6); p.seconds = s.at(7);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::training: '", path, "' is not an oaconv checkpoint (",
                std::string(e.what()).substr(0, 200), ")");
  }
  TORCH_CHECK(p.fingerprint == expected_fingerprint, "oaconv::training: checkpoint '", path,
              "' belongs to another run: it was written for [", p.fingerprint, "] but this run is [",
              expected_fingerprint, "]");
  try {
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model->load(model_archive);
    optimizer.load(optimizer_archive);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::training: checkpoint '", path, "' does not match the model (",
                std::string(e.what()).substr(0, 200), ")");
  }
  return p;
}

}  // namespace oaconv::training
