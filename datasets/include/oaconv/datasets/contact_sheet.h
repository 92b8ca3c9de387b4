#pragma once
// A labelled contact sheet of samples (Cairo), so a person sees at a glance what the classes
// look like.
#include <oaconv/datasets/uav_targets.h>

#include <string>
#include <vector>

namespace oaconv::datasets {

// One picture of a contact sheet: an image (3, S, S) in [0, 1], two caption lines, and an
// optional frame that marks it right or wrong.
struct SheetCell {
  enum class Mark { kNone, kRight, kWrong };
  at::Tensor image;
  std::string title, detail;
  Mark mark = Mark::kNone;
};

// Cells in a grid (columns x rows, up to 8 columns), each scaled to at least 96 px, captioned,
// right ones framed green and wrong ones red; written as PNG atomically. Every image must have
// the same size.
void write_contact_sheet(const std::string& path, const std::vector<SheetCell>& cells);

// Samples captioned with their class name (and character and colours).
void write_contact_sheet(const std::string& path, const std::vector<TargetSample>& samples,
                         const std::vector<std::string>& class_names);

// Interleaved 8-bit RGB of a sample image (3, S, S) in [0, 1].
std::vector<unsigned char> to_rgb8(const at::Tensor& image);

// PNG of a sample image, atomically.
void write_sample_png(const std::string& path, const at::Tensor& image);

}  // namespace oaconv::datasets
