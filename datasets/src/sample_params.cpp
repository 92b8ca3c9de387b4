#include "sample_params.h"

#include "counter_rng.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace oaconv::datasets {
namespace {

struct Range {
  double lo, hi;
  double draw(CounterRng& r) const { return r.uniform(lo, hi); }
};

// Per-difficulty ranges of the scene and camera (easy, default, hard).
struct DifficultyRanges {
  Range target_px, psf_sigma, motion, sun_elevation, cloud, read_noise, full_well, vignetting, jpeg_quality, tilt;
  double overcast_p;
};

const DifficultyRanges& ranges(Difficulty d) {
  static const DifficultyRanges easy{{40, 100}, {0.3, 0.6}, {0, 0.5},     {40, 80},      {0, 0.2}, {0.002, 0.005},
                                     {8000, 20000}, {0, 0.1}, {85, 95}, {0, 5},         0.1};
  static const DifficultyRanges normal{{20, 90}, {0.3, 1.5}, {0, 2},     {15, 80},      {0, 0.5}, {0.003, 0.012},
                                       {3000, 15000}, {0, 0.3}, {60, 95}, {0, 15},      0.3};
  static const DifficultyRanges hard{{10, 30}, {0.8, 2.0}, {1, 4},       {5, 25},       {0.3, 0.7}, {0.01, 0.03},
                                     {800, 3000}, {0.2, 0.5}, {40, 70},  {5, 25},        0.5};
  return d == Difficulty::kEasy ? easy : d == Difficulty::kHard ? hard : normal;
}

// Exact balance, still a pure function of (seed, index):
//  * background: within each block of 1000 indices, a keyed affine permutation of the positions
//    (j -> a j + c mod 1000, a coprime with 1000) marks exactly round(f * 1000) as background;
//  * targets: a target's ordinal among targets follows from counting the block's backgrounds
//    before it; each window of K consecutive target ordinals gets the K classes in a keyed
//    random order (Fisher-Yates), so every class appears once per window.
constexpr int64_t kBlock = 1000;

struct Strata {
  bool background = false;
  int64_t target_ordinal = 0;
};

Strata stratify(uint64_t seed, int64_t index, double background_fraction) {
  static const int64_t coprimes[] = {1, 3, 7, 9, 11, 13, 17, 19, 21, 23, 27, 29, 31, 33, 37, 39, 41, 43, 47, 49,
                                     51, 53, 57, 59, 61, 63, 67, 69, 71, 73, 77, 79, 81, 83, 87, 89, 91, 93, 97, 99,
                                     101, 103, 107, 109, 111, 113, 117, 119, 121, 123, 127, 129, 131, 133, 137, 139};
  const int64_t block = index / kBlock, position = index % kBlock;
  const int64_t backgrounds = std::llround(background_fraction * kBlock);
  Strata s;
  if (backgrounds == 0) {
    s.target_ordinal = index;
    return s;
  }
  CounterRng r(seed, static_cast<uint64_t>(block), 0x51ab1e);
  const int64_t a = coprimes[r.index(sizeof(coprimes) / sizeof(coprimes[0]))];
  const int64_t c = r.index(kBlock);
  auto is_background = [&](int64_t j) { return (a * j + c) % kBlock < backgrounds; };
  s.background = is_background(position);
  int64_t before = 0;
  for (int64_t j = 0; j < position; ++j) before += is_background(j);
  s.target_ordinal = block * (kBlock - backgrounds) + (position - before);
  return s;
}

// The class of target ordinal t among k classes.
int64_t balanced_class(uint64_t seed, int64_t t, int64_t k) {
  CounterRng r(seed, static_cast<uint64_t>(t / k), kStreamLabels);
  std::vector<int64_t> order(k);
  for (int64_t i = 0; i < k; ++i) order[i] = i;
  for (int64_t i = k - 1; i > 0; --i) std::swap(order[i], order[r.index(i + 1)]);
  return order[t % k];
}

template <typename T>
T pick(CounterRng& r, const std::vector<T>& items) {
  return items[r.index(static_cast<int64_t>(items.size()))];
}

double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

double srgb_to_linear(double c) { return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); }

Rgb hsv_to_linear_rgb(double h, double s, double v) {
  h = std::fmod(std::fmod(h, 360.0) + 360.0, 360.0) / 60.0;
  const double c = v * s, x = c * (1 - std::abs(std::fmod(h, 2.0) - 1)), m = v - c;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  return {srgb_to_linear(r + m), srgb_to_linear(g + m), srgb_to_linear(b + m)};
}

// Paint varies: hue +-8 degrees, saturation +-0.1, value +-0.12 around the named colour.
Rgb paint(CounterRng& r, Color color) {
  const Hsv c = color_center(color);
  return hsv_to_linear_rgb(c.h + r.uniform(-8, 8), clamp01(c.s + r.uniform(-0.1, 0.1)),
                           clamp01(c.v + r.uniform(-0.12, 0.12)));
}

// Largest glyph height (fraction of the shape's span) that stays inside each shape.
double max_character_height(Shape s, const ShapeJitter& j) {
  switch (s) {
    case Shape::kCircle: case Shape::kSquare: return 0.8;
    case Shape::kRectangle: return std::min(0.8, 0.9 / j.rect_aspect);
    case Shape::kSemicircle: return 0.42;
    case Shape::kQuarterCircle: return 0.45;
    case Shape::kTriangle: return 0.42;
    case Shape::kTrapezoid: return 0.55;
    case Shape::kStar: return 0.25 + 0.4 * (j.inner_ratio - 0.38);
    case Shape::kCross: return std::max(0.25, j.arm_width * 0.9);
    default: return 0.7;
  }
}

}  // namespace

SampleParams draw_sample_params(const UavTargetsOptions& o, int64_t index) {
  SampleParams p;
  p.index = index;
  p.seed = o.seed();
  p.size = o.image_size();
  const auto& shapes = profile_shapes(o.profile());
  const auto& colors = profile_colors(o.profile());
  const auto& chars = characters();
  const double f = o.background_fraction();

  // Labels: the labelled attribute is balanced exactly (see stratify), the others are free.
  const Strata strata = stratify(o.seed(), index, f);
  CounterRng labels(o.seed(), index, kStreamLabels + 100);
  p.background = strata.background;
  auto stratified = [&](int64_t n) { return balanced_class(o.seed(), strata.target_ordinal, n); };
  p.shape = o.label() == LabelKind::kShape ? shapes[stratified(shapes.size())] : pick(labels, shapes);
  if (o.label() == LabelKind::kCharacterColor) {
    p.character_color = colors[stratified(colors.size())];
    do p.shape_color = pick(labels, colors); while (p.shape_color == p.character_color);
  } else {
    p.shape_color = o.label() == LabelKind::kShapeColor ? colors[stratified(colors.size())] : pick(labels, colors);
    do p.character_color = pick(labels, colors); while (p.character_color == p.shape_color);
  }
  p.character = o.label() == LabelKind::kCharacter ? chars[stratified(chars.size())]
                                                   : chars[labels.index(static_cast<int64_t>(chars.size()))];
  p.angle_degrees = o.label() == LabelKind::kAngle ? std::fmod(stratified(8) * 45.0 - 22.5 + labels.uniform() * 45.0 + 360.0, 360.0)
                                                   : labels.uniform(0, 360);
  switch (o.label()) {
    case LabelKind::kShape:
      p.label = std::find(shapes.begin(), shapes.end(), p.shape) - shapes.begin();
      break;
    case LabelKind::kShapeColor:
      p.label = std::find(colors.begin(), colors.end(), p.shape_color) - colors.begin();
      break;
    case LabelKind::kCharacterColor:
      p.label = std::find(colors.begin(), colors.end(), p.character_color) - colors.begin();
      break;
    case LabelKind::kCharacter: p.label = static_cast<int64_t>(chars.find(p.character)); break;
    case LabelKind::kAngle: p.label = compass_index(p.angle_degrees); break;
  }
  if (p.background) {
    const int64_t n = o.label() == LabelKind::kShape ? shapes.size()
                      : (o.label() == LabelKind::kShapeColor || o.label() == LabelKind::kCharacterColor)
                          ? colors.size()
                      : o.label() == LabelKind::kCharacter ? static_cast<int64_t>(chars.size())
                                                           : 8;
    p.label = n;  // the extra "background" class is last
  }

  // Target geometry and paint.
  CounterRng shape(o.seed(), index, kStreamShape);
  p.jitter.aspect = shape.uniform(0.92, 1.08);
  p.jitter.inner_ratio = shape.uniform(0.38, 0.5);
  p.jitter.arm_width = shape.uniform(0.3, 0.4);
  p.jitter.top_ratio = shape.uniform(0.5, 0.7);
  p.jitter.rect_aspect = shape.uniform(1.5, 2.0);
  if (p.shape == Shape::kRectangle) p.jitter.aspect = 1.0;
  p.character_height = shape.uniform(0.25, std::max(0.26, max_character_height(p.shape, p.jitter)));
  const DifficultyRanges& d = ranges(o.difficulty());
  p.target_px = d.target_px.draw(shape);
  // The crop a classifier sees in a UAV pipeline: a detector's window around the target (1.3-1.8x
  // its span), resized to the output size. Small targets are therefore upscaled and blurry
  // (their PSF and motion scale with them), not tiny.
  p.window_px = p.target_px * shape.uniform(1.3, 1.8);
  // Keep the whole target inside the crop: its outline reaches ~1.13 units (quarter circle,
  // square corners) from the centre at any rotation, times the aspect jitter.
  const double slack = std::max(0.0, 0.5 - 0.62 * p.target_px / p.window_px);
  p.center_x = shape.uniform(-slack, slack);
  p.center_y = shape.uniform(-slack, slack);
  p.tilt_degrees = d.tilt.draw(shape);
  p.tilt_azimuth_degrees = shape.uniform(0, 360);
  CounterRng paints(o.seed(), index, kStreamColors);
  p.shape_paint = paint(paints, p.shape_color);
  p.character_paint = paint(paints, p.character_color);

  // Scene.
  CounterRng scene(o.seed(), index, kStreamBackground);
  const double g = scene.uniform();
  p.ground = g < 0.5 ? Ground::kGrass : g < 0.8 ? Ground::kAsphalt : Ground::kDirt;
  p.runway_line = p.ground == Ground::kAsphalt && scene.bernoulli(0.5);
  p.line_offset = scene.uniform(-0.5, 0.5);
  p.line_angle_degrees = scene.uniform(0, 180);
  p.line_width = scene.uniform(0.04, 0.12);
  p.texture_key = scene.next_u64();

  // Light.
  CounterRng light(o.seed(), index, kStreamLight);
  p.sun_elevation_degrees = d.sun_elevation.draw(light);
  p.white_balance_kelvin = o.difficulty() == Difficulty::kEasy ? light.uniform(4500, 6500) : light.uniform(3000, 7000);
  p.overcast = light.bernoulli(d.overcast_p);
  p.cloud_shadow = p.overcast ? 0.0 : d.cloud.draw(light);

  // Camera: ground sample distance from altitude (a 24 MP, 35 mm class camera: ~0.9 mm per
  // pixel per foot of altitude), so the target's physical size follows from its pixel span.
  CounterRng camera(o.seed(), index, kStreamCamera);
  p.altitude_ft = camera.uniform(75, 400);
  p.gsd_m = p.altitude_ft * 9e-5;
  p.target_size_m = p.target_px * p.gsd_m;
  p.psf_sigma_px = d.psf_sigma.draw(camera);
  p.motion_px = d.motion.draw(camera);
  p.motion_angle_degrees = camera.uniform(0, 180);
  p.full_well = d.full_well.draw(camera);
  p.read_noise = d.read_noise.draw(camera);
  p.gamma = camera.uniform(2.0, 2.4);
  p.vignetting = d.vignetting.draw(camera);
  p.frame_x = camera.uniform(-1, 1);
  p.frame_y = camera.uniform(-1, 1);
  p.jpeg = camera.bernoulli(o.jpeg_probability());
  p.jpeg_quality = static_cast<int>(std::lround(d.jpeg_quality.draw(camera)));
  return p;
}

std::string to_json_line(const SampleParams& p) {
  nlohmann::json j;
  j["index"] = p.index;
  j["seed"] = p.seed;
  j["size"] = p.size;
  j["label"] = p.label;
  j["background"] = p.background;
  if (!p.background) {
    j["shape"] = to_string(p.shape);
    j["shape_color"] = to_string(p.shape_color);
    j["character"] = std::string(1, p.character);
    j["character_color"] = to_string(p.character_color);
    j["angle_degrees"] = p.angle_degrees;
    j["compass"] = compass_points()[compass_index(p.angle_degrees)];
    const std::string ambiguity = orientation_ambiguity(p.character);
    if (!ambiguity.empty()) j["orientation_ambiguity"] = ambiguity;
    j["jitter"] = {{"aspect", p.jitter.aspect}, {"star_inner_ratio", p.jitter.inner_ratio},
                   {"cross_arm_width", p.jitter.arm_width}, {"trapezoid_top_ratio", p.jitter.top_ratio},
                   {"rectangle_aspect", p.jitter.rect_aspect}};
    j["shape_paint_linear_rgb"] = {p.shape_paint.r, p.shape_paint.g, p.shape_paint.b};
    j["character_paint_linear_rgb"] = {p.character_paint.r, p.character_paint.g, p.character_paint.b};
    j["character_height"] = p.character_height;
    j["font"] = p.font + " Bold";
    j["target_px_full_resolution"] = p.target_px;
    j["target_size_m"] = p.target_size_m;
    j["center"] = {p.center_x, p.center_y};
  }
  j["tilt_degrees"] = p.tilt_degrees;
  j["tilt_azimuth_degrees"] = p.tilt_azimuth_degrees;
  static const char* grounds[] = {"grass", "asphalt", "dirt"};
  j["ground"] = grounds[static_cast<int>(p.ground)];
  j["runway_line"] = p.runway_line;
  j["sun_elevation_degrees"] = p.sun_elevation_degrees;
  j["white_balance_kelvin"] = p.white_balance_kelvin;
  j["overcast"] = p.overcast;
  j["cloud_shadow"] = p.cloud_shadow;
  j["altitude_ft"] = p.altitude_ft;
  j["gsd_m"] = p.gsd_m;
  j["window_px_full_resolution"] = p.window_px;
  j["psf_sigma_px_full_resolution"] = p.psf_sigma_px;
  j["motion_blur_px_full_resolution"] = p.motion_px;
  j["motion_angle_degrees"] = p.motion_angle_degrees;
  j["full_well_electrons"] = p.full_well;
  j["read_noise"] = p.read_noise;
  j["gamma"] = p.gamma;
  j["vignetting"] = p.vignetting;
  j["frame_position"] = {p.frame_x, p.frame_y};
  j["jpeg_quality"] = p.jpeg ? p.jpeg_quality : 0;
  return j.dump();
}

}  // namespace oaconv::datasets
