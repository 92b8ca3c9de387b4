#pragma once
// Every random choice of one sample, drawn from the counter RNG keyed on (seed, index): the
// labels (stratified, so classes stay balanced within every block of 1000 samples), the target,
// the scene, the light and the camera. The renderer only reads these.
#include "shape_geometry.h"

#include <oaconv/datasets/uav_targets.h>

#include <cstdint>
#include <string>

namespace oaconv::datasets {

struct Rgb {
  double r, g, b;
};

enum class Ground { kGrass, kAsphalt, kDirt };

struct SampleParams {
  int64_t index = 0;
  uint64_t seed = 0;
  int64_t size = 64;  // output pixels
  bool background = false;
  int64_t label = 0;

  // Target
  Shape shape = Shape::kCircle;
  Color shape_color = Color::kWhite, character_color = Color::kBlack;
  char character = 'A';
  double angle_degrees = 0;
  ShapeJitter jitter;
  Rgb shape_paint{}, character_paint{};  // linear RGB, drawn around the named colour
  double character_height = 0.5;         // glyph height / shape span
  double target_px = 40;                 // target span in full-resolution pixels
  double center_x = 0, center_y = 0;     // target centre offset in the crop, fraction of size
  double tilt_degrees = 0, tilt_azimuth_degrees = 0;  // off-nadir view: foreshortening
  std::string font = "DejaVu Sans";

  // Scene
  Ground ground = Ground::kGrass;
  bool runway_line = false;
  double line_offset = 0, line_angle_degrees = 0, line_width = 0.1;
  uint64_t texture_key = 0;

  // Light
  double sun_elevation_degrees = 45;
  double white_balance_kelvin = 5500;
  bool overcast = false;
  double cloud_shadow = 0;  // strength of low-frequency shadows, 0..1

  // Camera
  double altitude_ft = 150, gsd_m = 0.01, target_size_m = 1.0;
  double window_px = 64;        // crop side in full-resolution pixels
  double psf_sigma_px = 0.5;    // full-resolution pixels
  double motion_px = 0, motion_angle_degrees = 0;
  double full_well = 10000, read_noise = 0.005;
  double gamma = 2.2, vignetting = 0.1, frame_x = 0, frame_y = 0;  // crop position in the frame, [-1, 1]
  bool jpeg = false;
  int jpeg_quality = 90;

  double scale() const { return static_cast<double>(size) / window_px; }  // output px per full-res px
};

SampleParams draw_sample_params(const UavTargetsOptions& options, int64_t index);
std::string to_json_line(const SampleParams& p);

}  // namespace oaconv::datasets
