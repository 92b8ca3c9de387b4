#include <oaconv/datasets/image_file.h>

#include <oaconv/atomic_file.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace oaconv::datasets {
namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

at::Tensor read_image(const std::string& path) {
  std::error_code ec;
  TORCH_CHECK(std::filesystem::is_regular_file(path, ec), "read_image: '", path, "' is not a readable file");
  int w = 0, h = 0, channels = 0;
  // Debian's stb_image reads past its buffer decoding a 16-bit PGM/PPM (maxval above 255) whose
  // samples are cut short ("P5 655 5556 5555" and one byte): such files are
  // refused before decoding. (stb reads binary PNM only: P5 and P6.)
  if (stbi_is_16_bit(path.c_str()) == 1) {
    char magic[2] = {0, 0};
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 2);
    TORCH_CHECK(!(magic[0] == 'P' && (magic[1] == '5' || magic[1] == '6')), "read_image: '", path,
                "' is a 16-bit PGM/PPM (maxval above 255); only 8-bit ones are read");
  }
  if (stbi_info(path.c_str(), &w, &h, &channels) == 1) {
    TORCH_CHECK(static_cast<int64_t>(w) * h <= kMaxImagePixels, "read_image: '", path, "' is ", w, "x", h, " (",
                static_cast<int64_t>(w) * h / 1000000, " megapixels); images of at most ", kMaxImagePixels / 1000000,
                " megapixels are read");
  }
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(stbi_load(path.c_str(), &w, &h, &channels, 3),
                                                         stbi_image_free);
  TORCH_CHECK(pixels != nullptr, "read_image: cannot decode '", path, "' as an image: ",
              stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
  const at::Tensor bytes = at::from_blob(pixels.get(), {h, w, 3}, at::kByte);
  return bytes.to(at::kFloat).div_(255.0f);
}

at::Tensor rgb_to_gray(const at::Tensor& rgb) {
  TORCH_CHECK(rgb.dim() == 3 && rgb.size(2) == 3, "rgb_to_gray: expected an (H, W, 3) image, got sizes ", rgb.sizes());
  return rgb.select(2, 0) * 0.299 + rgb.select(2, 1) * 0.587 + rgb.select(2, 2) * 0.114;
}

void write_image_png(const std::string& path, const at::Tensor& image) {
  TORCH_CHECK((image.dim() == 2) || (image.dim() == 3 && image.size(2) == 3),
              "write_image_png: expected (H, W) or (H, W, 3), got sizes ", image.sizes());
  const int h = static_cast<int>(image.size(0)), w = static_cast<int>(image.size(1));
  const int components = image.dim() == 2 ? 1 : 3;
  const at::Tensor bytes =
      at::nan_to_num(image.to(at::kFloat), 0.0).clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).contiguous();
  std::vector<unsigned char> encoded;
  TORCH_CHECK(stbi_write_png_to_func(append, &encoded, w, h, components, bytes.data_ptr<uint8_t>(), w * components) != 0,
              "write_image_png: PNG encoding of '", path, "' failed");
  write_file_atomically("write_image_png", path, encoded);
}

}  // namespace oaconv::datasets
