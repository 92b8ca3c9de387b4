#include "kernel_spec.h"

#include <oaconv/datasets/npy.h>
#include <oaconv/image_filter.h>

#include <ATen/ATen.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace oaconv::apps {
namespace {

constexpr int64_t kMaxKernelSide = 4096;  // rows and columns of any kernel, as SIZE's limit
constexpr const char* kSpecRule = "expected gaussian:SIZE:SIGMA, box:SIZE, or a kernel file (.npy or a text matrix)";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

double parse_number(const std::string& text, const std::string& what, const std::string& spec) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  TORCH_CHECK(!text.empty() && end == text.c_str() + text.size() && errno == 0, "oaconv filter: --kernel '", spec,
              "': ", what, " '", text, "' is not a number");
  return value;
}

int64_t parse_size(const std::string& text, const std::string& spec) {
  const double value = parse_number(text, "SIZE", spec);
  TORCH_CHECK(value >= 1 && value <= kMaxKernelSide && value == static_cast<double>(static_cast<int64_t>(value)),
              "oaconv filter: --kernel '", spec, "': SIZE must be an integer from 1 to 4096, got '", text, "'");
  return static_cast<int64_t>(value);
}

at::Tensor read_text_matrix(const std::string& path) {
  std::ifstream in(path);
  TORCH_CHECK(in.good(), "oaconv filter: cannot read kernel file '", path, "'");
  std::vector<double> values;
  int64_t columns = -1, rows = 0, line_number = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    for (char& c : line) {
      if (c == ',' || c == ';' || c == '\t' || c == '\r') c = ' ';
    }
    std::stringstream fields(line);
    std::string field;
    int64_t count = 0;
    while (fields >> field) {
      char* end = nullptr;
      const double v = std::strtod(field.c_str(), &end);
      TORCH_CHECK(end == field.c_str() + field.size(), "oaconv filter: kernel file '", path, "' line ", line_number,
                  ": '", field, "' is not a number");
      values.push_back(v);
      // Refused as soon as a row or the row count passes the limit, not after parsing it all.
      TORCH_CHECK(++count <= kMaxKernelSide, "oaconv filter: kernel file '", path, "' line ", line_number,
                  " has more than ", kMaxKernelSide, " numbers (a kernel is at most ", kMaxKernelSide, "x",
                  kMaxKernelSide, ")");
    }
    if (count == 0) continue;
    TORCH_CHECK(columns < 0 || count == columns, "oaconv filter: kernel file '", path, "' line ", line_number, " has ",
                count, " numbers but earlier rows have ", columns, " (a kernel is a rectangular matrix)");
    columns = count;
    TORCH_CHECK(++rows <= kMaxKernelSide, "oaconv filter: kernel file '", path, "' has more than ", kMaxKernelSide,
                " rows (a kernel is at most ", kMaxKernelSide, "x", kMaxKernelSide, ")");
  }
  TORCH_CHECK(rows > 0, "oaconv filter: kernel file '", path, "' holds no numbers");
  return at::tensor(values, at::kDouble).view({rows, columns});
}

}  // namespace

at::Tensor kernel_from_spec(const std::string& spec) {
  const std::vector<std::string> parts = split(spec, ':');
  if (!parts.empty() && parts[0] == "gaussian") {
    TORCH_CHECK(parts.size() == 3, "oaconv filter: --kernel '", spec, "': expected gaussian:SIZE:SIGMA");
    const double sigma = parse_number(parts[2], "SIGMA", spec);
    TORCH_CHECK(sigma > 0 && sigma < 1e6, "oaconv filter: --kernel '", spec, "': SIGMA must be positive, got ", parts[2]);
    return gaussian_kernel(parse_size(parts[1], spec), sigma, at::kDouble);
  }
  if (!parts.empty() && parts[0] == "box") {
    TORCH_CHECK(parts.size() == 2, "oaconv filter: --kernel '", spec, "': expected box:SIZE");
    return box_kernel(parse_size(parts[1], spec), at::kDouble);
  }
  std::error_code ec;
  TORCH_CHECK(std::filesystem::is_regular_file(spec, ec), "oaconv filter: --kernel '", spec, "': ", kSpecRule,
              ", and no such file exists");
  at::Tensor kernel;
  if (std::filesystem::path(spec).extension() == ".npy") {
    kernel = datasets::read_npy(spec);
  } else {
    kernel = read_text_matrix(spec);
  }
  TORCH_CHECK(kernel.dim() == 2 && kernel.numel() > 0, "oaconv filter: kernel file '", spec,
              "' must hold a non-empty 2-D matrix, got shape ", kernel.sizes());
  TORCH_CHECK(kernel.size(0) <= kMaxKernelSide && kernel.size(1) <= kMaxKernelSide, "oaconv filter: kernel file '",
              spec, "' holds a ", kernel.size(0), "x", kernel.size(1), " matrix; a kernel is at most ", kMaxKernelSide,
              "x", kMaxKernelSide);
  return kernel.to(at::kDouble);
}

}  // namespace oaconv::apps
