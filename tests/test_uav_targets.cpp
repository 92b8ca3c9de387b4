// The synthetic UAV target data set: determinism, balance, colour rule, geometry, ranges, errors.
#include "test_support.h"

#include "sample_params.h"
#include "scene_renderer.h"
#include "shape_geometry.h"

#include <oaconv/datasets/uav_targets.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

namespace oaconv::testing {
namespace {

namespace ds = oaconv::datasets;

ds::UavTargetsOptions small_options(uint64_t seed = 3) {
  return ds::UavTargetsOptions().seed(seed).count(200).image_size(48).jpeg_probability(0.5);
}

TEST(UavTargets, SameSeedIsBitIdenticalWhateverThreadsOrOrder) {
  const int threads = at::get_num_threads();
  ds::UavTargets data(small_options());
  at::set_num_threads(2);
  const auto [forward, labels] = data.render_range(0, 40);
  at::set_num_threads(1);
  std::vector<int64_t> reversed(40);
  std::iota(reversed.begin(), reversed.end(), 0);
  std::reverse(reversed.begin(), reversed.end());
  const auto backward = data.render(reversed);
  at::set_num_threads(threads);
  for (int64_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(forward[i].equal(backward[39 - i].image)) << "sample " << i;
    EXPECT_EQ(labels[i].item<int64_t>(), backward[39 - i].label);
  }
  // One at a time through the Dataset interface, and inside another batch.
  EXPECT_TRUE(data.get(17).data.equal(forward[17]));
  const auto batch = data.get_batch({5, 17, 150});
  EXPECT_TRUE(batch[1].data.equal(forward[17]));
  EXPECT_TRUE(batch[0].data.equal(forward[5]));
  // A second object with the same options renders the same.
  EXPECT_TRUE(ds::UavTargets(small_options()).render_range(0, 40).first.equal(forward));
}

TEST(UavTargets, DifferentSeedsAndSplitsDiffer) {
  const auto a = ds::UavTargets(small_options(3)).render_range(0, 8).first;
  const auto b = ds::UavTargets(small_options(4)).render_range(0, 8).first;
  for (int64_t i = 0; i < 8; ++i) EXPECT_FALSE(a[i].equal(b[i]));
  std::set<uint64_t> seeds;
  for (auto split : {ds::Split::kTrain, ds::Split::kValidation, ds::Split::kTest, ds::Split::kHard}) {
    seeds.insert(ds::UavTargets::split_seed(42, split));
  }
  EXPECT_EQ(seeds.size(), 4u);
}

TEST(UavTargets, ClassesAreBalancedWithinTwoPercentOver10000Samples) {
  for (auto label : {ds::LabelKind::kShape, ds::LabelKind::kShapeColor, ds::LabelKind::kCharacter,
                     ds::LabelKind::kCharacterColor, ds::LabelKind::kAngle}) {
    for (double background : {0.0, 0.15}) {
      for (auto profile : {ds::RuleProfile::k2017, ds::RuleProfile::k2024}) {
        const auto o = ds::UavTargetsOptions().seed(11).count(10000).label(label).background_fraction(background).profile(profile);
        const ds::UavTargets data(o);
        std::vector<int64_t> counts(data.num_classes(), 0);
        for (int64_t i = 0; i < 10000; ++i) {
          const auto p = ds::draw_sample_params(o, i);
          ASSERT_GE(p.label, 0);
          ASSERT_LT(p.label, data.num_classes());
          ++counts[p.label];
        }
        const int64_t targets = background > 0 ? 10000 - counts.back() : 10000;
        if (background > 0) EXPECT_NEAR(counts.back(), 1500, 0.02 * 1500) << ds::to_string(label);
        const int64_t classes = data.num_classes() - (background > 0 ? 1 : 0);
        for (int64_t c = 0; c < classes; ++c) {
          const double expected = static_cast<double>(targets) / classes;
          EXPECT_NEAR(counts[c], expected, 0.02 * expected)
              << ds::to_string(label) << " class " << data.class_names()[c] << " background " << background;
        }
      }
    }
  }
}

TEST(UavTargets, CharacterColourNeverEqualsShapeColour) {
  for (auto label : {ds::LabelKind::kShape, ds::LabelKind::kShapeColor, ds::LabelKind::kCharacterColor}) {
    for (auto profile : {ds::RuleProfile::k2017, ds::RuleProfile::k2024}) {
      const auto o = ds::UavTargetsOptions().seed(5).count(10000).label(label).profile(profile);
      const auto& allowed = ds::profile_colors(profile);
      for (int64_t i = 0; i < 10000; ++i) {
        const auto p = ds::draw_sample_params(o, i);
        ASSERT_NE(p.shape_color, p.character_color) << i;
        ASSERT_NE(std::find(allowed.begin(), allowed.end(), p.shape_color), allowed.end());
        ASSERT_NE(std::find(allowed.begin(), allowed.end(), p.character_color), allowed.end());
      }
    }
  }
}

// Corners of a binary mask's outline: trace the boundary, measure the turning angle over +-k
// boundary steps, and count the runs where it exceeds a threshold.
int count_corners(const std::vector<float>& mask, int64_t s) {
  auto inside = [&](int64_t x, int64_t y) { return x >= 0 && y >= 0 && x < s && y < s && mask[y * s + x] >= 0.5f; };
  int64_t sx = -1, sy = -1;
  for (int64_t i = 0; i < s * s && sx < 0; ++i)
    if (inside(i % s, i / s)) sx = i % s, sy = i / s;
  if (sx < 0) return -1;
  // Moore-neighbour tracing.
  static const int dx[8] = {1, 1, 0, -1, -1, -1, 0, 1}, dy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
  std::vector<std::pair<double, double>> contour;
  int64_t x = sx, y = sy;
  int dir = 7;
  do {
    contour.emplace_back(x, y);
    int start = (dir + 6) % 8;
    int k = 0;
    for (; k < 8; ++k) {
      const int d = (start + k) % 8;
      if (inside(x + dx[d], y + dy[d])) {
        x += dx[d];
        y += dy[d];
        dir = d;
        break;
      }
    }
    if (k == 8) break;
  } while ((x != sx || y != sy) && contour.size() < 100000);
  const int64_t n = static_cast<int64_t>(contour.size());
  const int64_t k = 10;
  std::vector<bool> sharp(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& a = contour[(i - k + n) % n];
    const auto& b = contour[i];
    const auto& c = contour[(i + k) % n];
    const double a1 = std::atan2(b.second - a.second, b.first - a.first);
    const double a2 = std::atan2(c.second - b.second, c.first - b.first);
    double turn = std::abs(std::remainder(a2 - a1, 2 * M_PI));
    sharp[i] = turn > 0.45;  // ~26 degrees: an octagon's corners turn 45
  }
  int runs = 0;
  for (int64_t i = 0; i < n; ++i)
    if (sharp[i] && !sharp[(i - 1 + n) % n]) ++runs;
  return runs;
}

TEST(UavTargets, EveryShapeRendersAsItsGeometrySays) {
  const int64_t size = 256;
  for (ds::Shape shape : ds::profile_shapes(ds::RuleProfile::k2017)) {
    ds::SampleParams p;
    p.size = size;
    p.shape = shape;
    p.window_px = size;
    p.target_px = 200;  // unit coordinates -> 100 px
    p.jitter = ds::ShapeJitter{};
    std::vector<float> mask(size * size);
    ds::render_target_masks(p, mask.data(), nullptr);
    const ds::ShapeOutline outline = ds::shape_outline(shape, p.jitter);
    const double area = std::accumulate(mask.begin(), mask.end(), 0.0);
    const double expected = outline.area * 100.0 * 100.0;
    EXPECT_NEAR(area, expected, 0.01 * expected) << ds::to_string(shape);
    if (outline.polygonal) EXPECT_EQ(count_corners(mask, size), outline.corners) << ds::to_string(shape);
  }
}

TEST(UavTargets, ImagesLabelsAndMetadataAreWellFormed) {
  const auto o = small_options().background_fraction(0.2).label(ds::LabelKind::kAngle);
  const ds::UavTargets data(o);
  const auto samples = data.render({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  for (const auto& s : samples) {
    EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{3, 48, 48}));
    EXPECT_EQ(s.image.scalar_type(), at::kFloat);
    EXPECT_GE(s.image.min().item<float>(), 0.0f);
    EXPECT_LE(s.image.max().item<float>(), 1.0f);
    EXPECT_GT(s.image.std().item<float>(), 0.0f);
    EXPECT_GE(s.label, 0);
    EXPECT_LT(s.label, data.num_classes());
    EXPECT_NE(s.metadata_json.find("\"sun_elevation_degrees\""), std::string::npos);
    EXPECT_EQ(s.metadata_json.find('\n'), std::string::npos);
    if (!s.background) {
      EXPECT_EQ(s.label, ds::compass_index(s.angle_degrees));
      EXPECT_NE(s.metadata_json.find("\"character\":\"" + std::string(1, s.character) + "\""), std::string::npos);
    } else {
      EXPECT_EQ(s.label, data.num_classes() - 1);
    }
  }
  EXPECT_EQ(data.class_names().back(), "background");
  EXPECT_EQ(data.num_classes(), 9);
  EXPECT_EQ(ds::UavTargets(ds::UavTargetsOptions().profile(ds::RuleProfile::k2024)).num_classes(), 8);
}

TEST(UavTargets, BadOptionsGiveClearErrors) {
  auto expect_error = [](auto&& f, const char* fragment) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  };
  expect_error([] { ds::UavTargets(ds::UavTargetsOptions().image_size(0)); }, "image_size must be in [32, 256], but got 0");
  expect_error([] { ds::UavTargets(ds::UavTargetsOptions().image_size(300)); }, "but got 300");
  expect_error([] { ds::UavTargets(ds::UavTargetsOptions().count(-5)); }, "count must be non-negative, but got -5");
  expect_error([] { ds::UavTargets(ds::UavTargetsOptions().background_fraction(1.0)); }, "background_fraction");
  expect_error([] { ds::profile_from_string("2019b"); }, "unknown rule profile '2019b'");
  expect_error([] { ds::difficulty_from_string("insane"); }, "unknown difficulty 'insane'");
  expect_error([] { ds::label_kind_from_string("font"); }, "unknown label 'font'");
  expect_error([] { ds::UavTargets(small_options()).render({200}); }, "index 200 out of range");
}

}  // namespace
}  // namespace oaconv::testing
