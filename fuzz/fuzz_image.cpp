// read_image (stb_image behind it) on arbitrary bytes: an (H, W, 3) image within the size
// limit, or a c10::Error.
#include "fuzz_support.h"

#include <oaconv/datasets/image_file.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = oaconv::fuzz::scratch_path(".img");
  oaconv::fuzz::write_bytes(path, data, size);
  try {
    const at::Tensor image = oaconv::datasets::read_image(path);
    if (image.dim() != 3 || image.size(2) != 3 || image.size(0) * image.size(1) > oaconv::datasets::kMaxImagePixels) {
      std::abort();
    }
  } catch (const c10::Error&) {
  }
  return 0;
}
