// read_npy on arbitrary bytes: a tensor of the declared shape, or a c10::Error.
#include "fuzz_support.h"

#include <oaconv/datasets/npy.h>

#include <c10/util/Exception.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = oaconv::fuzz::scratch_path(".npy");
  oaconv::fuzz::write_bytes(path, data, size);
  try {
    const at::Tensor t = oaconv::datasets::read_npy(path);
    if (t.numel() > 0 && t.data_ptr() == nullptr) std::abort();
  } catch (const c10::Error&) {
  }
  return 0;
}
