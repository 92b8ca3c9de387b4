#pragma once
// The SUAS ground-target vocabulary: shapes, colours, characters, rule profiles.
#include <array>
#include <string>
#include <vector>

namespace oaconv::datasets {

enum class Shape {
  kCircle, kSemicircle, kQuarterCircle, kTriangle, kSquare, kRectangle, kTrapezoid,
  kPentagon, kHexagon, kHeptagon, kOctagon, kStar, kCross,
};
enum class Color { kWhite, kBlack, kGray, kRed, kBlue, kGreen, kYellow, kPurple, kBrown, kOrange };

// 2017-2023: 13 shapes x 10 colours. 2024: 8 shapes (circle, semicircle, quarter_circle,
// triangle, rectangle, pentagon, star, cross), no gray or yellow.
enum class RuleProfile { k2017, k2024 };

const std::vector<Shape>& profile_shapes(RuleProfile profile);
const std::vector<Color>& profile_colors(RuleProfile profile);
// "A".."Z", "0".."9".
const std::string& characters();

std::string to_string(Shape shape);
std::string to_string(Color color);
std::string to_string(RuleProfile profile);
RuleProfile profile_from_string(const std::string& name);  // "2017" (or "2023") / "2024"

// Characters whose reading depends on orientation: rotation maps one onto another (6/9, M/W,
// N/Z) or the glyph has no orientation at all (O, 0, and X, H, I, S, Z... that look the same
// turned 180 degrees). Recorded in the metadata so a classifier's confusions can be explained.
std::string orientation_ambiguity(char c);  // "" when unambiguous

// The 8 compass points of an angle in degrees (0 = N, clockwise): "N", "NE", ...
const std::array<std::string, 8>& compass_points();
int compass_index(double degrees);

// The centre of each named colour's spread, in HSV (hue in degrees, s and v in [0, 1]).
struct Hsv {
  double h, s, v;
};
Hsv color_center(Color color);

}  // namespace oaconv::datasets
