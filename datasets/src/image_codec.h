#pragma once
// 8-bit RGB images through stb: PNG files, a JPEG round trip in memory, PNG/JPEG reading.
#include <string>
#include <vector>

namespace oaconv::datasets {

// Encodes interleaved RGB (w x h x 3) as JPEG at `quality` and decodes it back in place.
void jpeg_round_trip(unsigned char* rgb, int width, int height, int quality);

// Writes interleaved 8-bit RGB as PNG, atomically (temporary file, then rename); throws a
// c10::Error naming the path when it cannot.
void write_png(const std::string& path, const unsigned char* rgb, int width, int height);

}  // namespace oaconv::datasets
