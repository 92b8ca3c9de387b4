#pragma once
// Shared test helpers: a fixture that seeds LibTorch's generator from the test's own name (so
// every test gets fresh but reproducible random data), the algorithms under test and their
// error limits.
#include <oaconv/algorithm.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace oaconv::testing {

class SeededTest : public ::testing::Test {
 protected:
  void SetUp() override { seed_from_test_name(); }
  static void seed_from_test_name() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name = std::string(info->test_suite_name()) + "." + info->name();
    at::manual_seed(std::hash<std::string>{}(name) & 0x7fffffff);
  }
};

template <typename Param>
class SeededParamTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name = std::string(info->test_suite_name()) + "." + info->name();
    at::manual_seed(std::hash<std::string>{}(name) & 0x7fffffff);
  }
};

// True when a temporary of an atomic write (`<name>.tmp.<pid>.<n>`) of `path` is left beside it.
inline bool temporary_left_beside(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = p.filename().string() + ".tmp";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The algorithm columns of the test tables: every algorithm (all_algorithms(), auto included),
// and every one but the aten baseline, so a newly registered algorithm is tested everywhere.
inline const std::vector<Algorithm>& every_algorithm() { return all_algorithms(); }
inline std::vector<Algorithm> algorithms_besides_aten() {
  std::vector<Algorithm> ours;
  for (Algorithm a : all_algorithms()) {
    if (a != Algorithm::kAten) ours.push_back(a);
  }
  return ours;
}

// Norm-wise relative error limit of `algorithm` in `dtype` against torch::conv2d.
inline double error_limit(Algorithm algorithm, at::ScalarType dtype) {
  const bool spectral = algorithm == Algorithm::kFft || algorithm == Algorithm::kOverlapAdd;
  if (dtype == at::kDouble) return 1e-10;
  return spectral ? 5e-5 : 1e-5;
}

}  // namespace oaconv::testing
