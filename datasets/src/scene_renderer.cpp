#include "scene_renderer.h"

#include "counter_rng.h"
#include "image_codec.h"

#include <cairo.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace oaconv::datasets {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Smooth value noise: a hashed lattice, bilinear with a smoothstep, in [0, 1).
float lattice(uint64_t key, int64_t x, int64_t y) {
  return static_cast<float>(mix64(key ^ mix64(static_cast<uint64_t>(x) * 0x632be59bd9b4e019ULL + static_cast<uint64_t>(y))) >> 40) *
         (1.0f / 16777216.0f);
}

float value_noise(uint64_t key, float x, float y) {
  const float fx = std::floor(x), fy = std::floor(y);
  const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const float a = lattice(key, ix, iy), b = lattice(key, ix + 1, iy);
  const float c = lattice(key, ix, iy + 1), d = lattice(key, ix + 1, iy + 1);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

// Octaves of value noise at `frequency` cycles per unit, in [0, 1).
float fractal(uint64_t key, float x, float y, float frequency, int octaves) {
  float sum = 0, amplitude = 0.5f, norm = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amplitude * value_noise(key + o, x * frequency, y * frequency);
    norm += amplitude;
    amplitude *= 0.5f;
    frequency *= 2.0f;
  }
  return sum / norm;
}

// Blackbody colour of a white-balance setting relative to 6500 K (Tanner Helland's fit),
// as linear-light channel gains: the camera's white balance error tints the whole scene.
void white_balance_gains(double kelvin, double gains[3]) {
  auto rgb = [](double k, double out[3]) {
    const double t = k / 100.0;
    double r = t <= 66 ? 255 : 329.698727446 * std::pow(t - 60, -0.1332047592);
    double g = t <= 66 ? 99.4708025861 * std::log(t) - 161.1195681661 : 288.1221695283 * std::pow(t - 60, -0.0755148492);
    double b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * std::log(t - 10) - 305.0447927307;
    out[0] = std::clamp(r, 1.0, 255.0);
    out[1] = std::clamp(g, 1.0, 255.0);
    out[2] = std::clamp(b, 1.0, 255.0);
  };
  double at[3], ref[3];
  rgb(kelvin, at);
  rgb(6500, ref);
  for (int c = 0; c < 3; ++c) gains[c] = at[c] / ref[c];
}

// Per-thread Cairo A8 surfaces, reused across samples of the same size.
struct MaskCanvas {
  int64_t size = 0;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  void ensure(int64_t s) {
    if (size == s) return;
    release();
    surface = cairo_image_surface_create(CAIRO_FORMAT_A8, static_cast<int>(s), static_cast<int>(s));
    cr = cairo_create(surface);
    size = s;
  }
  void release() {
    if (cr) cairo_destroy(cr);
    if (surface) cairo_surface_destroy(surface);
    cr = nullptr;
    surface = nullptr;
    size = 0;
  }
  ~MaskCanvas() { release(); }
  void clear() {
    cairo_identity_matrix(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
  }
  void read(float* out) {
    cairo_surface_flush(surface);
    const unsigned char* data = cairo_image_surface_get_data(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x) out[y * size + x] = data[y * stride + x] * (1.0f / 255.0f);
  }
};

// The target's frame: centre in the crop, scale, rotation, and the off-nadir foreshortening
// (a squash by cos(tilt) along the tilt azimuth).
void target_transform(cairo_t* cr, const SampleParams& p) {
  const double s = static_cast<double>(p.size);
  const double half_span = 0.5 * p.target_px * p.scale();  // unit coordinates span [-1, 1]
  cairo_translate(cr, s * (0.5 + p.center_x), s * (0.5 + p.center_y));
  const double az = p.tilt_azimuth_degrees * kPi / 180;
  cairo_rotate(cr, az);
  cairo_scale(cr, 1.0, std::cos(p.tilt_degrees * kPi / 180));
  cairo_rotate(cr, -az);
  cairo_rotate(cr, p.angle_degrees * kPi / 180);
  cairo_scale(cr, half_span, half_span);
}

void trace(cairo_t* cr, const ShapeOutline& o) {
  cairo_new_path(cr);
  for (const PathCommand& c : o.path) {
    switch (c.kind) {
      case PathCommand::kMove: cairo_move_to(cr, c.x, c.y); break;
      case PathCommand::kLine: cairo_line_to(cr, c.x, c.y); break;
      case PathCommand::kArc: cairo_arc(cr, c.x, c.y, c.radius, c.a0, c.a1); break;
      case PathCommand::kClose: cairo_close_path(cr); break;
    }
  }
}

// Where the glyph sits inside each shape (the centroid of the shapes that are not symmetric).
void glyph_center(Shape s, double& x, double& y) {
  x = 0;
  y = 0;
  if (s == Shape::kSemicircle) y = 0.5 - 4.0 / (3 * kPi);
  if (s == Shape::kQuarterCircle) {
    x = -0.8 + 4 * 1.6 / (3 * kPi);
    y = 0.8 - 4 * 1.6 / (3 * kPi);
  }
  if (s == Shape::kTriangle) y = 0.1;
  if (s == Shape::kTrapezoid) y = 0.05;
}

// A smooth field (fractal noise at low frequency) sampled every 4 pixels and bilinearly
// interpolated: at these frequencies the difference is invisible, and it is 16x fewer samples.
std::vector<float> smooth_field(uint64_t key, int64_t s, float unit, float frequency, int octaves) {
  constexpr int64_t kStep = 4;
  const int64_t g = s / kStep + 2;
  std::vector<float> grid(g * g);
  for (int64_t gy = 0; gy < g; ++gy)
    for (int64_t gx = 0; gx < g; ++gx)
      grid[gy * g + gx] = fractal(key, gx * kStep * unit, gy * kStep * unit, frequency, octaves);
  std::vector<float> field(s * s);
  for (int64_t y = 0; y < s; ++y) {
    const int64_t gy = y / kStep;
    const float ty = static_cast<float>(y % kStep) / kStep;
    for (int64_t x = 0; x < s; ++x) {
      const int64_t gx = x / kStep;
      const float tx = static_cast<float>(x % kStep) / kStep;
      const float* r0 = &grid[gy * g + gx];
      const float* r1 = r0 + g;
      field[y * s + x] = (r0[0] + (r0[1] - r0[0]) * tx) * (1 - ty) + (r1[0] + (r1[1] - r1[0]) * tx) * ty;
    }
  }
  return field;
}

}  // namespace

void render_target_masks(const SampleParams& p, float* shape_mask, float* character_mask) {
  thread_local MaskCanvas canvas;
  canvas.ensure(p.size);
  cairo_t* cr = canvas.cr;
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);  // analytic coverage: no hard sprite edges
  const ShapeOutline outline = shape_outline(p.shape, p.jitter);

  canvas.clear();
  target_transform(cr, p);
  cairo_save(cr);
  cairo_scale(cr, outline.x_scale, 1.0);
  trace(cr, outline);
  cairo_restore(cr);
  cairo_set_source_rgba(cr, 0, 0, 0, 1);
  cairo_fill(cr);
  canvas.read(shape_mask);
  if (!character_mask) return;

  canvas.clear();
  target_transform(cr, p);
  double gx, gy;
  glyph_center(p.shape, gx, gy);
  cairo_select_font_face(cr, p.font.c_str(), CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  // Unhinted outlines: the glyph's true shape at any size and angle (and no bytecode hinting).
  cairo_font_options_t* font_options = cairo_font_options_create();
  cairo_font_options_set_hint_style(font_options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(font_options, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(cr, font_options);
  cairo_font_options_destroy(font_options);
  // Font size so that the glyph's ink height is character_height x the shape's span (2 units).
  cairo_set_font_size(cr, 1.0);
  const char text[2] = {p.character, 0};
  cairo_text_extents_t e;
  cairo_text_extents(cr, text, &e);
  const double size = e.height > 0 ? 2.0 * p.character_height / e.height : 1.0;
  cairo_set_font_size(cr, size);
  cairo_text_extents(cr, text, &e);
  cairo_move_to(cr, gx - (e.x_bearing + e.width / 2), gy - (e.y_bearing + e.height / 2));
  cairo_text_path(cr, text);
  cairo_set_source_rgba(cr, 0, 0, 0, 1);
  cairo_fill(cr);
  canvas.read(character_mask);
}

void render_linear_scene(const SampleParams& p, float* rgb) {
  const int64_t s = p.size, n = s * s;
  float* r = rgb;
  float* g = rgb + n;
  float* b = rgb + 2 * n;
  const float inv = 1.0f / static_cast<float>(s);
  const float full_scale = static_cast<float>(p.window_px / 64.0);  // texture in ground units
  const uint64_t key = p.texture_key;
  const float unit = inv * full_scale;  // ground units per output pixel
  const std::vector<float> coarse_field = smooth_field(key, s, unit, 3.0f, 2);
  // Ground.
  for (int64_t y = 0; y < s; ++y) {
    for (int64_t x = 0; x < s; ++x) {
      const float u = x * unit, v = y * unit;
      const float coarse = coarse_field[y * s + x];
      const float fine = value_noise(key + 17, u * 24.0f, v * 24.0f);
      float cr, cg, cb;
      switch (p.ground) {
        case Ground::kGrass: {
          const float blades = lattice(key + 99, x, y);
          cr = 0.035f + 0.03f * coarse;
          cg = 0.09f + 0.07f * coarse + 0.04f * fine + 0.03f * blades;
          cb = 0.02f + 0.015f * fine;
          break;
        }
        case Ground::kAsphalt: {
          const float speck = lattice(key + 7, x, y) > 0.985f ? 0.12f : 0.0f;
          const float grey = 0.035f + 0.02f * coarse + 0.025f * fine + speck;
          cr = grey;
          cg = grey;
          cb = grey * 1.05f;
          break;
        }
        default: {
          cr = 0.12f + 0.08f * coarse + 0.04f * fine;
          cg = 0.08f + 0.05f * coarse + 0.03f * fine;
          cb = 0.045f + 0.03f * coarse;
          break;
        }
      }
      r[y * s + x] = cr;
      g[y * s + x] = cg;
      b[y * s + x] = cb;
    }
  }
  // Painted runway line across asphalt.
  if (p.runway_line) {
    const double a = p.line_angle_degrees * kPi / 180, nx = -std::sin(a), ny = std::cos(a);
    for (int64_t y = 0; y < s; ++y)
      for (int64_t x = 0; x < s; ++x) {
        const double d = std::abs((x * inv - 0.5) * nx + (y * inv - 0.5) * ny - p.line_offset);
        const double cover = std::clamp((p.line_width / 2 - d) * s + 0.5, 0.0, 1.0);
        const int64_t i = y * s + x;
        r[i] += static_cast<float>(cover * (0.55 - r[i]));
        g[i] += static_cast<float>(cover * (0.55 - g[i]));
        b[i] += static_cast<float>(cover * (0.5 - b[i]));
      }
  }
  // Target: paint composited by analytic coverage, with a little paint texture.
  if (!p.background) {
    std::vector<float> shape_mask(n), character_mask(n);
    render_target_masks(p, shape_mask.data(), character_mask.data());
    for (int64_t i = 0; i < n; ++i) {
      const float ms = shape_mask[i], mc = character_mask[i] * ms;
      if (ms == 0) continue;
      const float texture = 0.96f + 0.08f * lattice(key + 5, i % s, i / s);
      r[i] = r[i] * (1 - ms) + ms * static_cast<float>(p.shape_paint.r) * texture;
      g[i] = g[i] * (1 - ms) + ms * static_cast<float>(p.shape_paint.g) * texture;
      b[i] = b[i] * (1 - ms) + ms * static_cast<float>(p.shape_paint.b) * texture;
      r[i] = r[i] * (1 - mc) + mc * static_cast<float>(p.character_paint.r) * texture;
      g[i] = g[i] * (1 - mc) + mc * static_cast<float>(p.character_paint.g) * texture;
      b[i] = b[i] * (1 - mc) + mc * static_cast<float>(p.character_paint.b) * texture;
    }
  }
  // Light: irradiance from the sun's elevation (plus sky), overcast flattening, white balance,
  // low-frequency cloud shadows.
  const double sun = std::sin(p.sun_elevation_degrees * kPi / 180);
  const double irradiance = p.overcast ? 0.55 + 0.35 * sun : 0.35 + 1.35 * sun;
  double wb[3];
  white_balance_gains(p.white_balance_kelvin, wb);
  const float gain[3] = {static_cast<float>(irradiance * wb[0]), static_cast<float>(irradiance * wb[1]),
                         static_cast<float>(irradiance * wb[2] * (p.overcast ? 1.08 : 1.0))};
  const std::vector<float> clouds = p.cloud_shadow > 0 ? smooth_field(key + 31, s, unit, 0.8f, 2) : std::vector<float>();
  for (int64_t y = 0; y < s; ++y)
    for (int64_t x = 0; x < s; ++x) {
      float shade = 1.0f;
      if (p.cloud_shadow > 0) {
        const float t = std::clamp((clouds[y * s + x] - 0.45f) * 6.0f, 0.0f, 1.0f);
        shade = 1.0f - static_cast<float>(p.cloud_shadow) * 0.7f * t * t * (3 - 2 * t);
      }
      const int64_t i = y * s + x;
      r[i] *= gain[0] * shade;
      g[i] *= gain[1] * shade;
      b[i] *= gain[2] * shade;
    }
}

BlurSizes blur_sizes(int64_t image_size, Difficulty difficulty) {
  // The largest PSF sigma and motion of the difficulty, at the largest output/full-res scale:
  // the smallest target (hard 10 px, default 20, easy 40) in the tightest window (1.3x).
  const double sigma = difficulty == Difficulty::kHard ? 2.0 : difficulty == Difficulty::kEasy ? 0.6 : 1.5;
  const double motion = difficulty == Difficulty::kHard ? 4.0 : difficulty == Difficulty::kEasy ? 0.5 : 2.0;
  const double smallest = difficulty == Difficulty::kHard ? 10 : difficulty == Difficulty::kEasy ? 40 : 20;
  const double scale = std::max(1.0, static_cast<double>(image_size) / (1.3 * smallest));
  const int64_t limit = image_size / 2 - 1;  // reflect padding needs half the kernel < the image
  BlurSizes b;
  b.gaussian = 2 * std::min<int64_t>(limit, static_cast<int64_t>(std::ceil(3 * sigma * scale))) + 1;
  b.motion = 2 * std::min<int64_t>(limit, static_cast<int64_t>(std::ceil(motion * scale / 2))) + 1;
  return b;
}

void camera_blur(const SampleParams& p, const BlurSizes& sizes, float* gaussian, float* motion) {
  // Gaussian PSF (limited to 3 sigma in its kernel), and a motion segment drawn with
  // anti-aliased (tent) sampling along its length.
  const double gc = (sizes.gaussian - 1) / 2.0;
  const double sigma = std::max(0.15, std::min(p.psf_sigma_px * p.scale(), gc / 3));
  double total = 0;
  for (int64_t i = 0; i < sizes.gaussian; ++i) {
    const double d = i - gc;
    total += (gaussian[i] = static_cast<float>(std::exp(-d * d / (2 * sigma * sigma))));
  }
  for (int64_t i = 0; i < sizes.gaussian; ++i) gaussian[i] = static_cast<float>(gaussian[i] / total);

  const int64_t m = sizes.motion;
  const double mc = (m - 1) / 2.0;
  const double length = std::min(p.motion_px * p.scale(), static_cast<double>(m - 1));
  const double a = p.motion_angle_degrees * kPi / 180;
  std::vector<double> acc(m * m, 0.0);
  const int steps = std::max(1, static_cast<int>(std::ceil(length * 4)));
  for (int s = 0; s < steps; ++s) {
    const double t = steps == 1 ? 0.0 : (static_cast<double>(s) / (steps - 1) - 0.5) * length;
    const double x = mc + t * std::cos(a), y = mc + t * std::sin(a);
    for (int64_t yy = 0; yy < m; ++yy)
      for (int64_t xx = 0; xx < m; ++xx) {
        const double w = std::max(0.0, 1 - std::abs(xx - x)) * std::max(0.0, 1 - std::abs(yy - y));
        acc[yy * m + xx] += w;
      }
  }
  total = 0;
  for (double v : acc) total += v;
  for (int64_t i = 0; i < m * m; ++i) motion[i] = static_cast<float>(acc[i] / total);
}

void finish_image(const SampleParams& p, const float* blurred, float* out) {
  const int64_t s = p.size, n = s * s;
  CounterRng noise(p.seed, static_cast<uint64_t>(p.index), kStreamNoise);
  const double crop_fraction = std::min(1.0, p.window_px / 1000.0);  // crop side / frame side
  // Gamma encoding to 8 bits: level L is reached from linear value ((L - 0.5) / 255)^gamma,
  // so 255 thresholds per sample replace a pow() per pixel, with the exact same result.
  float threshold[257];
  threshold[0] = -1.0f;
  for (int level = 1; level < 256; ++level) {
    threshold[level] = static_cast<float>(std::pow((level - 0.5) / 255.0, p.gamma));
  }
  threshold[256] = 2.0f;  // sentinel
  // Start the search from a table indexed by sqrt(v) (about as curved as the gamma curve, so a
  // cell spans at most a couple of levels); then step up while the next threshold is passed.
  constexpr int kCells = 1024;
  unsigned char start[kCells + 1];
  for (int cell = 0, level = 0; cell <= kCells; ++cell) {
    const float v0 = static_cast<float>(cell) / kCells * static_cast<float>(cell) / kCells;
    while (threshold[level + 1] <= v0) ++level;
    start[cell] = static_cast<unsigned char>(level);
  }
  const float inv_full_well = static_cast<float>(1.0 / p.full_well);
  const float read_noise = static_cast<float>(p.read_noise);
  std::vector<unsigned char> bytes(3 * n);
  for (int64_t y = 0; y < s; ++y) {
    const double fy = p.frame_y + (y / static_cast<double>(s) - 0.5) * crop_fraction;
    for (int64_t x = 0; x < s; ++x) {
      const double fx = p.frame_x + (x / static_cast<double>(s) - 0.5) * crop_fraction;
      const float vignette = static_cast<float>(1.0 - p.vignetting * 0.5 * (fx * fx + fy * fy));
      for (int c = 0; c < 3; ++c) {
        const int64_t i = c * n + y * s + x;
        float v = std::max(0.0f, blurred[i] * vignette);
        // Shot noise (Poisson in electrons, as a normal) plus read noise: independent normals,
        // so one normal with the summed variance.
        v += std::sqrt(v * inv_full_well + read_noise * read_noise) * noise.fast_normal();
        v = std::min(1.0f, std::max(0.0f, v));
        // The 8-bit level: the largest L with threshold[L] <= v.
        int level = start[static_cast<int>(std::sqrt(v) * kCells)];
        while (threshold[level + 1] <= v) ++level;
        bytes[(y * s + x) * 3 + c] = static_cast<unsigned char>(level);
      }
    }
  }
  if (p.jpeg) jpeg_round_trip(bytes.data(), static_cast<int>(s), static_cast<int>(s), p.jpeg_quality);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) out[c * n + i] = bytes[i * 3 + c] * (1.0f / 255.0f);
}

}  // namespace oaconv::datasets
