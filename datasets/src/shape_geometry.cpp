#include "shape_geometry.h"

#include <cmath>
#include <utility>

namespace oaconv::datasets {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Closed polygon through (x, y) points, to be stretched by `aspect` in x; area by the
// shoelace formula, times the stretch.
ShapeOutline polygon(const std::vector<std::pair<double, double>>& points, double aspect) {
  ShapeOutline o;
  o.x_scale = aspect;
  double twice_area = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& [x0, y0] = points[i];
    const auto& [x1, y1] = points[(i + 1) % points.size()];
    twice_area += x0 * y1 - x1 * y0;
    o.path.push_back({i == 0 ? PathCommand::kMove : PathCommand::kLine, x0, y0});
  }
  o.path.push_back({PathCommand::kClose});
  o.area = std::abs(twice_area) / 2 * aspect;
  o.corners = static_cast<int>(points.size());
  return o;
}

// Regular n-gon of circumradius 1, one vertex up.
std::vector<std::pair<double, double>> regular(int n, double radius = 1.0, double phase = -kPi / 2) {
  std::vector<std::pair<double, double>> p;
  for (int i = 0; i < n; ++i) {
    const double a = phase + 2 * kPi * i / n;
    p.emplace_back(radius * std::cos(a), radius * std::sin(a));
  }
  return p;
}

}  // namespace

ShapeOutline shape_outline(Shape shape, const ShapeJitter& j) {
  switch (shape) {
    case Shape::kCircle: {
      ShapeOutline o;
      o.path = {{PathCommand::kArc, 0, 0, 1.0, 0, 2 * kPi}, {PathCommand::kClose}};
      o.area = kPi * j.aspect;
      o.x_scale = j.aspect;
      o.corners = 0;
      o.polygonal = false;
      return o;
    }
    case Shape::kSemicircle: {
      // Flat side down, centred vertically on its bounding box.
      ShapeOutline o;
      const double cy = 0.5;
      o.path = {{PathCommand::kMove, 1.0, cy}, {PathCommand::kArc, 0, cy, 1.0, kPi, 2 * kPi}, {PathCommand::kClose}};
      o.area = kPi / 2 * j.aspect;
      o.x_scale = j.aspect;
      o.corners = 2;
      o.polygonal = false;
      return o;
    }
    case Shape::kQuarterCircle: {
      ShapeOutline o;
      const double r = 1.6, cx = -0.8, cy = 0.8;
      o.path = {{PathCommand::kMove, cx, cy},
                {PathCommand::kLine, cx, cy - r},
                {PathCommand::kArc, cx, cy, r, -kPi / 2, 0},
                {PathCommand::kClose}};
      o.area = kPi * r * r / 4 * j.aspect;
      o.x_scale = j.aspect;
      o.corners = 3;
      o.polygonal = false;
      return o;
    }
    case Shape::kTriangle: return polygon(regular(3, 1.0, -kPi / 2), j.aspect);
    case Shape::kSquare: return polygon({{-0.75, -0.75}, {0.75, -0.75}, {0.75, 0.75}, {-0.75, 0.75}}, j.aspect);
    case Shape::kRectangle: {
      const double a = 0.95, b = a / j.rect_aspect;
      return polygon({{-a, -b}, {a, -b}, {a, b}, {-a, b}}, 1.0);
    }
    case Shape::kTrapezoid: {
      const double t = j.top_ratio;
      return polygon({{-t, -0.6}, {t, -0.6}, {1.0, 0.6}, {-1.0, 0.6}}, j.aspect);
    }
    case Shape::kPentagon: return polygon(regular(5), j.aspect);
    case Shape::kHexagon: return polygon(regular(6), j.aspect);
    case Shape::kHeptagon: return polygon(regular(7), j.aspect);
    case Shape::kOctagon: return polygon(regular(8, 1.0, -kPi / 2 + kPi / 8), j.aspect);
    case Shape::kStar: {
      std::vector<std::pair<double, double>> p;
      for (int i = 0; i < 10; ++i) {
        const double a = -kPi / 2 + kPi * i / 5;
        const double r = i % 2 == 0 ? 1.0 : j.inner_ratio;
        p.emplace_back(r * std::cos(a), r * std::sin(a));
      }
      return polygon(p, j.aspect);
    }
    case Shape::kCross: {
      const double w = j.arm_width, e = 0.95;
      return polygon({{-w, -e}, {w, -e}, {w, -w}, {e, -w}, {e, w}, {w, w}, {w, e}, {-w, e}, {-w, w}, {-e, w}, {-e, -w}, {-w, -w}},
                     j.aspect);
    }
  }
  return {};
}

}  // namespace oaconv::datasets
