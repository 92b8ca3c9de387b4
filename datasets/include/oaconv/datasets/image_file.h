#pragma once
// Real photographs in and out as tensors: PNG/JPEG/BMP/TGA... reading through stb_image, PNG
// writing through stb_image_write (whole file or nothing).
#include <ATen/core/Tensor.h>

#include <string>

namespace oaconv::datasets {

// The largest image read_image decodes: 100 megapixels (10000 x 10000), 1.2 GB as float RGB.
// The header is read first, so a larger file is refused before any pixel is decoded.
constexpr int64_t kMaxImagePixels = 100'000'000;

// (H, W, 3) float32 in [0, 1] (grey and grey+alpha files are expanded, alpha is dropped).
// A missing, truncated, undecodable or too large file gives a c10::Error naming the path and
// the reason.
at::Tensor read_image(const std::string& path);

// Luminance 0.299 R + 0.587 G + 0.114 B of an (H, W, 3) image: (H, W).
at::Tensor rgb_to_gray(const at::Tensor& rgb);

// Writes (H, W) as 8-bit grey or (H, W, 3) as 8-bit RGB PNG, values clamped to [0, 1] and
// rounded; NaN is written as 0.
void write_image_png(const std::string& path, const at::Tensor& image);

}  // namespace oaconv::datasets
