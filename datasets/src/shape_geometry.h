#pragma once
// Analytic outlines of the SUAS shapes, in unit coordinates (the shape spans about [-1, 1],
// y pointing down as in images), with the small per-sample jitter real painted targets have.
// The same outline is drawn by Cairo and gives the exact area and corner count the tests
// compare a rendered mask with.
#include <oaconv/datasets/target_catalog.h>

#include <vector>

namespace oaconv::datasets {

struct PathCommand {
  enum Kind { kMove, kLine, kArc, kClose } kind;
  double x = 0, y = 0;                // kMove / kLine target; kArc centre
  double radius = 0, a0 = 0, a1 = 0;  // kArc: angles in radians, drawn increasing
};

struct ShapeJitter {
  double aspect = 1.0;       // x stretch, ~[0.92, 1.08]
  double inner_ratio = 0.45; // star: inner / outer radius
  double arm_width = 0.35;   // cross: half-width of an arm
  double top_ratio = 0.6;    // trapezoid: top / bottom width
  double rect_aspect = 1.7;  // rectangle: width / height
};

struct ShapeOutline {
  std::vector<PathCommand> path;
  double area = 0;     // exact, in unit coordinates
  int corners = 0;     // vertices where the outline turns sharply (0 for a circle)
  bool polygonal = true;  // only straight edges
  double x_scale = 1.0;    // the path is drawn stretched by this in x (area includes it)
};

ShapeOutline shape_outline(Shape shape, const ShapeJitter& jitter);

}  // namespace oaconv::datasets
