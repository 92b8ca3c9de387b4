#include <oaconv/datasets/contact_sheet.h>

#include <oaconv/atomic_file.h>

#include "image_codec.h"

#include <ATen/ATen.h>
#include <cairo.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace oaconv::datasets {

std::vector<unsigned char> to_rgb8(const at::Tensor& image) {
  const at::Tensor bytes = (image.clamp(0, 1) * 255).round().to(at::kByte).permute({1, 2, 0}).contiguous();
  const unsigned char* p = bytes.data_ptr<unsigned char>();
  return std::vector<unsigned char>(p, p + bytes.numel());
}

void write_sample_png(const std::string& path, const at::Tensor& image) {
  const auto rgb = to_rgb8(image);
  write_png(path, rgb.data(), static_cast<int>(image.size(2)), static_cast<int>(image.size(1)));
}

void write_contact_sheet(const std::string& path, const std::vector<SheetCell>& cells) {
  TORCH_CHECK(!cells.empty(), "write_contact_sheet: no samples to show");
  const int n = static_cast<int>(cells.size());
  const int columns = std::min(8, n), rows = (n + columns - 1) / columns;
  const int s = static_cast<int>(cells[0].image.size(1));
  for (const SheetCell& c : cells) {
    TORCH_CHECK(c.image.dim() == 3 && c.image.size(0) == 3 && c.image.size(1) == s && c.image.size(2) == s,
                "write_contact_sheet: every image must be (3, ", s, ", ", s, "), but got ", c.image.sizes());
  }
  const int zoom = std::max(1, (96 + s - 1) / s), cell = s * zoom, caption = 30;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, columns * (cell + 4), rows * (cell + caption + 4));
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
  cairo_paint(cr);
  for (int i = 0; i < n; ++i) {
    const int x0 = (i % columns) * (cell + 4) + 2, y0 = (i / columns) * (cell + caption + 4) + 2;
    const auto rgb = to_rgb8(cells[i].image);
    cairo_surface_t* tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s);
    cairo_surface_flush(tile);
    unsigned char* data = cairo_image_surface_get_data(tile);
    const int stride = cairo_image_surface_get_stride(tile);
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        uint32_t* px = reinterpret_cast<uint32_t*>(data + y * stride) + x;
        const unsigned char* c = &rgb[(y * s + x) * 3];
        *px = (uint32_t(c[0]) << 16) | (uint32_t(c[1]) << 8) | uint32_t(c[2]);
      }
    cairo_surface_mark_dirty(tile);
    cairo_save(cr);
    cairo_translate(cr, x0, y0);
    cairo_scale(cr, zoom, zoom);
    cairo_set_source_surface(cr, tile, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(tile);
    if (cells[i].mark != SheetCell::Mark::kNone) {
      // A 2-px frame just inside the picture: green right, red wrong.
      if (cells[i].mark == SheetCell::Mark::kRight) cairo_set_source_rgb(cr, 0.2, 0.85, 0.3);
      else cairo_set_source_rgb(cr, 0.95, 0.15, 0.15);
      cairo_set_line_width(cr, 2);
      cairo_rectangle(cr, x0 + 1, y0 + 1, cell - 2, cell - 2);
      cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 11);
    cairo_move_to(cr, x0 + 2, y0 + cell + 12);
    cairo_show_text(cr, cells[i].title.c_str());
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9);
    cairo_move_to(cr, x0 + 2, y0 + cell + 25);
    cairo_show_text(cr, cells[i].detail.c_str());
  }
  cairo_destroy(cr);
  // Encoded in memory, then written atomically (as every file of the data set).
  std::vector<unsigned char> png;
  const cairo_status_t status = cairo_surface_write_to_png_stream(
      surface,
      [](void* closure, const unsigned char* data, unsigned int length) {
        auto* out = static_cast<std::vector<unsigned char>*>(closure);
        out->insert(out->end(), data, data + length);
        return CAIRO_STATUS_SUCCESS;
      },
      &png);
  cairo_surface_destroy(surface);
  TORCH_CHECK(status == CAIRO_STATUS_SUCCESS, "write_contact_sheet: cannot encode '", path, "': ",
              cairo_status_to_string(status));
  write_file_atomically("write_contact_sheet", path, png);
}

void write_contact_sheet(const std::string& path, const std::vector<TargetSample>& samples,
                         const std::vector<std::string>& class_names) {
  std::vector<SheetCell> cells;
  for (const TargetSample& t : samples) {
    SheetCell c;
    c.image = t.image;
    c.title = t.label < static_cast<int64_t>(class_names.size()) ? class_names[t.label] : "?";
    c.detail = t.background ? "(no target)"
                            : std::string(1, t.character) + " " + to_string(t.character_color) + " on " +
                                  to_string(t.shape_color);
    cells.push_back(std::move(c));
  }
  write_contact_sheet(path, cells);
}

}  // namespace oaconv::datasets
