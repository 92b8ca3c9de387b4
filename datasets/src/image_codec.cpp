#include "image_codec.h"

#include <oaconv/atomic_file.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include <c10/util/Exception.h>

#include <cstring>

namespace oaconv::datasets {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

void jpeg_round_trip(unsigned char* rgb, int width, int height, int quality) {
  std::vector<unsigned char> encoded;
  TORCH_CHECK(stbi_write_jpg_to_func(append, &encoded, width, height, 3, rgb, quality) != 0,
              "oaconv::datasets: JPEG encoding of a ", width, "x", height, " image failed");
  int w = 0, h = 0, channels = 0;
  unsigned char* decoded = stbi_load_from_memory(encoded.data(), static_cast<int>(encoded.size()), &w, &h, &channels, 3);
  TORCH_CHECK(decoded && w == width && h == height, "oaconv::datasets: JPEG decoding failed: ",
              stbi_failure_reason() ? stbi_failure_reason() : "unknown");
  std::memcpy(rgb, decoded, static_cast<size_t>(width) * height * 3);
  stbi_image_free(decoded);
}

void write_png(const std::string& path, const unsigned char* rgb, int width, int height) {
  std::vector<unsigned char> encoded;
  TORCH_CHECK(stbi_write_png_to_func(append, &encoded, width, height, 3, rgb, width * 3) != 0,
              "write_png: PNG encoding of ", path, " failed");
  write_file_atomically("write_png", path, encoded);
}

}  // namespace oaconv::datasets
