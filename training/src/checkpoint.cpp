#include "checkpoint.h"

#include <oaconv/atomic_file.h>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <c10/util/Exception.h>

#include <zlib.h>

#include <cinttypes>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace oaconv::training {
namespace {

// The file: one header line "oaconv-checkpoint-v2 <payload bytes> <CRC-32 of the payload, 8 hex
// digits>\n", then the payload, a LibTorch archive. The CRC catches flipped or lost bytes
// anywhere in the payload, which the archive's own reader does not check.
constexpr const char* kMagic = "oaconv-checkpoint-v2";
constexpr size_t kMaxHeader = 96;

uint32_t crc32_of(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* data = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {  // zlib takes uInt lengths
    const uInt n = static_cast<uInt>(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, data, n);
    data += n;
    left -= n;
  }
  return static_cast<uint32_t>(crc);
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in.good(), "oaconv::training: cannot read checkpoint '", path, "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TORCH_CHECK(!in.bad(), "oaconv::training: reading checkpoint '", path, "' failed");
  return bytes;
}

// The payload of a checkpoint file's bytes, after its header and checksum are verified.
std::string verified_payload(const std::string& path, const std::string& file) {
  TORCH_CHECK(file.rfind("PK", 0) != 0, "oaconv::training: '", path,
              "' is a bare LibTorch archive without oaconv's checksummed header (a checkpoint of an oaconv before ",
              kMagic, ", or another program's file); it cannot be verified, so it is not loaded");
  const size_t newline = file.find('\n');
  TORCH_CHECK(newline != std::string::npos && newline < kMaxHeader && file.rfind(kMagic, 0) == 0, "oaconv::training: '",
              path, "' is not an oaconv checkpoint (no '", kMagic, "' header)");
  const std::string header = file.substr(0, newline);
  char magic[32] = {0};
  unsigned long long size = 0;
  unsigned crc = 0;
  char tail = 0;
  const int fields = std::sscanf(header.c_str(), "%31s %llu %8x%c", magic, &size, &crc, &tail);
  TORCH_CHECK(fields == 3 && std::string(magic) == kMagic, "oaconv::training: checkpoint '", path,
              "' has a malformed header '", header.substr(0, 80), "'");
  const size_t actual = file.size() - newline - 1;
  TORCH_CHECK(actual == size, "oaconv::training: checkpoint '", path, "' is truncated or padded: its header declares ",
              size, " payload bytes but ", actual, " follow");
  std::string payload = file.substr(newline + 1);
  const uint32_t computed = crc32_of(payload);
  char expected_hex[16], computed_hex[16];
  std::snprintf(expected_hex, sizeof expected_hex, "%08x", crc);
  std::snprintf(computed_hex, sizeof computed_hex, "%08" PRIx32, computed);
  TORCH_CHECK(computed == crc, "oaconv::training: checkpoint '", path, "' is corrupt: its payload's CRC-32 is ",
              computed_hex, " but the header records ", expected_hex);
  return payload;
}

// A checkpoint whose numbers went bad (written after a divergence, or edited) would resume into
// NaN losses: refuse it, naming the first bad tensor.
void check_all_finite(const std::string& path, TargetClassifier& model) {
  for (const auto& item : model->named_parameters()) {
    TORCH_CHECK(item.value().isfinite().all().item<bool>(), "oaconv::training: checkpoint '", path, "': parameter '",
                item.key(), "' holds NaN or Inf values");
  }
  for (const auto& item : model->named_buffers()) {
    if (!at::isFloatingType(item.value().scalar_type())) continue;
    TORCH_CHECK(item.value().isfinite().all().item<bool>(), "oaconv::training: checkpoint '", path, "': buffer '",
                item.key(), "' holds NaN or Inf values");
  }
}

// The number of processes a fingerprint's run had: its "; world size N" suffix, else 1.
int64_t world_size_of(const std::string& fingerprint) {
  const std::string key = "; world size ";
  const size_t at = fingerprint.rfind(key);
  return at == std::string::npos ? 1 : std::atoll(fingerprint.c_str() + at + key.size());
}

std::string without_world_size(const std::string& fingerprint) {
  const size_t at = fingerprint.rfind("; world size ");
  return at == std::string::npos ? fingerprint : fingerprint.substr(0, at);
}

void open_archive(const std::string& path, const std::string& payload, torch::serialize::InputArchive& archive) {
  try {
    archive.load_from(payload.data(), payload.size());
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::training: checkpoint '", path, "' holds no LibTorch archive (",
                std::string(e.what()).substr(0, 200), ")");
  }
}

// The archive's model card, or "" when it has none.
std::string read_model_card(torch::serialize::InputArchive& archive) {
  c10::IValue card;
  return archive.try_read("model_card", card) && card.isString() ? card.toStringRef() : std::string();
}

}  // namespace

void save_checkpoint(const std::string& path, TargetClassifier& model, const torch::optim::Optimizer& optimizer,
                     const TrainingProgress& p) {
  torch::serialize::OutputArchive archive;
  archive.write("fingerprint", c10::IValue(p.fingerprint));
  if (!p.model_card.empty()) archive.write("model_card", c10::IValue(p.model_card));
  archive.write("history", c10::IValue(p.history_json));
  archive.write("counters", c10::IValue(std::vector<int64_t>{p.completed_epochs, p.step_in_epoch}));
  archive.write("sums", c10::IValue(std::vector<double>{p.loss_sum, p.correct_sum, p.seen, p.data_s, p.forward_s,
                                                        p.backward_s, p.optimizer_s, p.seconds}));
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model->save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const std::string payload = payload_stream.str();
  char header[kMaxHeader];
  std::snprintf(header, sizeof header, "%s %zu %08" PRIx32 "\n", kMagic, payload.size(), crc32_of(payload));
  write_file_atomically("oaconv::training: checkpoint", path, std::string(header) + payload);
}

std::string read_checkpoint_file(const std::string& path) {
  TORCH_CHECK(std::filesystem::exists(path), "oaconv::training: checkpoint '", path, "' does not exist");
  TORCH_CHECK(std::filesystem::is_regular_file(path), "oaconv::training: checkpoint '", path,
              "' is not a regular file");
  return read_whole_file(path);
}

TrainingProgress load_checkpoint(const std::string& path, TargetClassifier& model, torch::optim::Optimizer& optimizer,
                                 const std::string& expected_fingerprint) {
  return load_checkpoint_bytes(path, read_checkpoint_file(path), model, optimizer, expected_fingerprint);
}

TrainingProgress load_checkpoint_bytes(const std::string& path, const std::string& file_bytes, TargetClassifier& model,
                                       torch::optim::Optimizer& optimizer, const std::string& expected_fingerprint) {
  const std::string payload = verified_payload(path, file_bytes);
  torch::serialize::InputArchive archive;
  open_archive(path, payload, archive);
  TrainingProgress p;
  p.model_card = read_model_card(archive);
  try {
    c10::IValue fingerprint, history, counters, sums;
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
  TORCH_CHECK(p.completed_epochs >= 0 && p.step_in_epoch >= 0, "oaconv::training: checkpoint '", path,
              "' records a negative progress (epoch ", p.completed_epochs, ", step ", p.step_in_epoch, ")");
  const int64_t written_by = world_size_of(p.fingerprint), resumed_by = world_size_of(expected_fingerprint);
  TORCH_CHECK(written_by == resumed_by || without_world_size(p.fingerprint) != without_world_size(expected_fingerprint),
              "oaconv::training: checkpoint '", path, "' was written by a data-parallel run of ", written_by,
              " process(es), and this run has ", resumed_by, ": resume it with --world-size ", written_by,
              " (or --nproc ", written_by, ")");
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
  check_all_finite(path, model);
  return p;
}

SavedModel read_saved_model(const std::string& path) {
  SavedModel saved;
  saved.payload = verified_payload(path, read_checkpoint_file(path));
  open_archive(path, saved.payload, saved.archive);
  saved.model_card = read_model_card(saved.archive);
  return saved;
}

void load_model_weights(const std::string& path, SavedModel& saved, TargetClassifier& model) {
  try {
    torch::serialize::InputArchive model_archive;
    saved.archive.read("model", model_archive);
    model->load(model_archive);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "oaconv::training: checkpoint '", path, "' does not match the model its card describes (",
                std::string(e.what()).substr(0, 200), ")");
  }
  check_all_finite(path, model);
}

}  // namespace oaconv::training
