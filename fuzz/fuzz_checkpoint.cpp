// load_checkpoint on arbitrary bytes: the header, its checksum and what follows. Loads or throws
// a c10::Error.
//
// With OACONV_FUZZ_CHECKPOINT_PAYLOAD=1, inputs whose first byte is odd are wrapped in a valid
// header and checksum, so the mutations reach LibTorch's archive reader. That reader is not
// hardened against crafted input (its TorchScript type parser crashes on some payloads, as
// PyTorch warns for torch.load of untrusted files): the checksum stops corruption, not a forged
// file. This mode is for looking at LibTorch, not part of scripts/fuzz's clean run.
#include "fuzz_support.h"

#include "checkpoint.h"

#include <oaconv/training/target_classifier.h>

#include <torch/optim/adam.h>

#include <c10/util/Exception.h>
#include <zlib.h>

#include <cinttypes>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

namespace tr = oaconv::training;

tr::ClassifierConfig tiny_config() {
  tr::ClassifierConfig c;
  c.widths = {2, 4};
  c.kernels = {3, 3};
  c.num_classes = 3;
  return c;
}

}  // namespace

// OACONV_FUZZ_SEED_DIR set: writes the seeds there, a valid checkpoint of the model above in
// both modes (made by this build, so they follow the current format).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("OACONV_FUZZ_SEED_DIR")) {
    namespace fs = std::filesystem;
    fs::create_directories(dir);
    tr::TargetClassifier model(tiny_config());
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
    tr::TrainingProgress p;
    p.fingerprint = "fuzz";
    const std::string file = oaconv::fuzz::scratch_path(".seed.ckpt");
    tr::save_checkpoint(file, model, optimizer, p);
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(file);
    const std::string raw = std::string(1, '\0') + bytes;
    const std::string wrapped = std::string(1, '\1') + bytes.substr(bytes.find('\n') + 1);
    oaconv::fuzz::write_bytes((fs::path(dir) / "raw.ckpt").string(), reinterpret_cast<const uint8_t*>(raw.data()),
                              raw.size());
    oaconv::fuzz::write_bytes((fs::path(dir) / "wrapped.ckpt").string(),
                              reinterpret_cast<const uint8_t*>(wrapped.data()), wrapped.size());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string path = oaconv::fuzz::scratch_path(".ckpt");
  static const bool wrap_payloads = std::getenv("OACONV_FUZZ_CHECKPOINT_PAYLOAD") != nullptr;
  if (data[0] % 2 == 0 || !wrap_payloads) {
    oaconv::fuzz::write_bytes(path, data + 1, size - 1);
  } else {
    // The payload of a file with a valid header and checksum.
    const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
    const uint32_t crc = static_cast<uint32_t>(
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
    char header[96];
    std::snprintf(header, sizeof header, "oaconv-checkpoint-v2 %zu %08" PRIx32 "\n", payload.size(), crc);
    const std::string file = header + payload;
    oaconv::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(file.data()), file.size());
  }
  try {
    tr::TargetClassifier model(tiny_config());
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
    tr::load_checkpoint(path, model, optimizer, "fuzz");
  } catch (const c10::Error&) {
  }
  return 0;
}
