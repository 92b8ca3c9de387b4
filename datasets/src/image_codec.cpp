#include "image_codec.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <c10/util/Exception.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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
  const std::string temporary = path + ".tmp";
  std::FILE* f = std::fopen(temporary.c_str(), "wb");
  TORCH_CHECK(f != nullptr, "write_png: cannot write '", path, "': ", std::strerror(errno));
  const bool written = std::fwrite(encoded.data(), 1, encoded.size(), f) == encoded.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, "write_png: writing '", path, "' failed: ", std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    TORCH_CHECK(false, "write_png: cannot move the finished file into '", path, "': ", ec.message());
  }
}

}  // namespace oaconv::datasets
