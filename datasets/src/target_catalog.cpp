#include <oaconv/datasets/target_catalog.h>

#include <c10/util/Exception.h>

#include <cmath>

namespace oaconv::datasets {

const std::vector<Shape>& profile_shapes(RuleProfile profile) {
  static const std::vector<Shape> all{Shape::kCircle,   Shape::kSemicircle, Shape::kQuarterCircle, Shape::kTriangle,
                                      Shape::kSquare,   Shape::kRectangle,  Shape::kTrapezoid,     Shape::kPentagon,
                                      Shape::kHexagon,  Shape::kHeptagon,   Shape::kOctagon,       Shape::kStar,
                                      Shape::kCross};
  static const std::vector<Shape> rules2024{Shape::kCircle,    Shape::kSemicircle, Shape::kQuarterCircle,
                                            Shape::kTriangle,  Shape::kRectangle,  Shape::kPentagon,
                                            Shape::kStar,      Shape::kCross};
  return profile == RuleProfile::k2024 ? rules2024 : all;
}

const std::vector<Color>& profile_colors(RuleProfile profile) {
  static const std::vector<Color> all{Color::kWhite, Color::kBlack,  Color::kGray,   Color::kRed,   Color::kBlue,
                                      Color::kGreen, Color::kYellow, Color::kPurple, Color::kBrown, Color::kOrange};
  static const std::vector<Color> rules2024{Color::kWhite, Color::kBlack,  Color::kRed,   Color::kBlue,
                                            Color::kGreen, Color::kPurple, Color::kBrown, Color::kOrange};
  return profile == RuleProfile::k2024 ? rules2024 : all;
}

const std::string& characters() {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return chars;
}

std::string to_string(Shape shape) {
  static const char* names[] = {"circle",  "semicircle", "quarter_circle", "triangle", "square",
                                "rectangle", "trapezoid", "pentagon",      "hexagon",  "heptagon",
                                "octagon", "star",       "cross"};
  return names[static_cast<int>(shape)];
}

std::string to_string(Color color) {
  static const char* names[] = {"white", "black", "gray", "red", "blue", "green", "yellow", "purple", "brown", "orange"};
  return names[static_cast<int>(color)];
}

std::string to_string(RuleProfile profile) { return profile == RuleProfile::k2024 ? "2024" : "2017"; }

RuleProfile profile_from_string(const std::string& name) {
  if (name == "2017" || name == "2023" || name == "2017-2023") return RuleProfile::k2017;
  if (name == "2024") return RuleProfile::k2024;
  TORCH_CHECK(false, "oaconv::datasets: unknown rule profile '", name, "'; expected 2017 (2017-2023 rules) or 2024");
}

std::string orientation_ambiguity(char c) {
  switch (c) {
    case '6': return "reads as 9 when rotated 180 degrees";
    case '9': return "reads as 6 when rotated 180 degrees";
    case 'M': return "reads as W when rotated 180 degrees";
    case 'W': return "reads as M when rotated 180 degrees";
    case 'N': return "reads as Z when rotated 90 degrees";
    case 'Z': return "reads as N when rotated 90 degrees";
    case 'O': return "no orientation (round); confusable with 0";
    case '0': return "no orientation (round); confusable with O";
    case 'H': case 'I': case 'S': case 'X': case '8': return "looks the same rotated 180 degrees";
    default: return "";
  }
}

const std::array<std::string, 8>& compass_points() {
  static const std::array<std::string, 8> points{"N", "NE", "E", "SE", "S", "SW", "W", "NW"};
  return points;
}

int compass_index(double degrees) {
  const double d = std::fmod(std::fmod(degrees, 360.0) + 360.0, 360.0);
  return static_cast<int>(std::floor((d + 22.5) / 45.0)) % 8;
}

Hsv color_center(Color color) {
  switch (color) {
    case Color::kWhite: return {0, 0.02, 0.95};
    case Color::kBlack: return {0, 0.05, 0.08};
    case Color::kGray: return {0, 0.03, 0.5};
    case Color::kRed: return {0, 0.85, 0.8};
    case Color::kBlue: return {220, 0.85, 0.75};
    case Color::kGreen: return {120, 0.75, 0.6};
    case Color::kYellow: return {55, 0.9, 0.92};
    case Color::kPurple: return {280, 0.65, 0.6};
    case Color::kBrown: return {28, 0.7, 0.4};
    case Color::kOrange: return {28, 0.95, 0.95};
  }
  return {0, 0, 0};
}

}  // namespace oaconv::datasets
