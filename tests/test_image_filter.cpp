// oaconv::ImageFilter against a float64 reference written here from the definition (its own
// boundary rules, no shared code), for every algorithm, boundary mode and both kernel senses,
// on odd-sized images and non-symmetric kernels; the SVD split; auto's cost model; errors.
#include <oaconv/cache.h>
#include <oaconv/image_filter.h>

#include "test_support.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>

namespace oaconv {
namespace {

// Where image pixel `i` (possibly outside 0..n-1) comes from; -1 = a zero pixel. Written as
// the rules are stated (walk back inside by reflections), not as the library's modular form.
int64_t reference_source(int64_t i, int64_t n, Boundary b) {
  if (i >= 0 && i < n) return i;
  switch (b) {
    case Boundary::kZero: return -1;
    case Boundary::kReplicate: return std::min(std::max<int64_t>(i, 0), n - 1);
    case Boundary::kCircular:
      while (i < 0) i += n;
      while (i >= n) i -= n;
      return i;
    case Boundary::kReflect:
      // The mirror sits on the outer edge of the border pixel: -1 -> 0, -2 -> 1, n -> n-1.
      while (i < 0 || i >= n) i = i < 0 ? -1 - i : 2 * n - 1 - i;
      return i;
  }
  return -1;
}

// out[c][y][x] = sum_{i,j} K[i][j] * img[c][y - i + kh/2][x - j + kw/2]  (convolution)
//             or sum_{i,j} K[i][j] * img[c][y + i - kh/2][x + j - kw/2]  (correlation)
at::Tensor reference_filter(const at::Tensor& image, const at::Tensor& kernel, Boundary b, bool correlate) {
  const at::Tensor img = image.to(at::kDouble).contiguous();
  const at::Tensor k = kernel.to(at::kDouble).contiguous();
  const int64_t channels = img.size(0), h = img.size(1), w = img.size(2), kh = k.size(0), kw = k.size(1);
  at::Tensor out = at::zeros({channels, h, w}, at::kDouble);
  auto I = img.accessor<double, 3>();
  auto K = k.accessor<double, 2>();
  auto O = out.accessor<double, 3>();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double sum = 0;
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            const int64_t sy = correlate ? y + i - kh / 2 : y - i + kh / 2;
            const int64_t sx = correlate ? x + j - kw / 2 : x - j + kw / 2;
            const int64_t ry = reference_source(sy, h, b), rx = reference_source(sx, w, b);
            if (ry >= 0 && rx >= 0) sum += K[i][j] * I[c][ry][rx];
          }
        O[c][y][x] = sum;
      }
  return out;
}

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want).norm().item<double>() / want.norm().item<double>();
}

const std::vector<FilterAlgorithm> kAlgorithms{FilterAlgorithm::kAten, FilterAlgorithm::kDirect,
                                               FilterAlgorithm::kFft,  FilterAlgorithm::kOverlapAdd,
                                               FilterAlgorithm::kSeparable, FilterAlgorithm::kAuto};
const std::vector<Boundary> kBoundaries{Boundary::kZero, Boundary::kReflect, Boundary::kReplicate,
                                        Boundary::kCircular};

using FilterCase = std::tuple<FilterAlgorithm, Boundary, bool, at::ScalarType>;
class FilterAgreesWithReference : public testing::SeededParamTest<FilterCase> {};

TEST_P(FilterAgreesWithReference, OddImagesAndNonSymmetricKernels) {
  const auto& param = GetParam();
  const auto& algorithm = std::get<0>(param);
  const auto& boundary = std::get<1>(param);
  const auto& correlate = std::get<2>(param);
  const auto& dtype = std::get<3>(param);
  const double limit = dtype == at::kDouble ? 1e-10 : 1e-5;
  // Odd and even, square and not; the kernel as tall as the 7-row image once (largest border).
  for (auto [kh, kw, h, w] : std::vector<std::array<int64_t, 4>>{{5, 4, 37, 29}, {3, 7, 7, 40}, {7, 6, 7, 9}, {1, 1, 5, 3}, {9, 9, 64, 33}}) {
    const at::Tensor image = at::rand({3, h, w}, at::kDouble).to(dtype);
    const at::Tensor kernel = at::randn({kh, kw}, at::kDouble);
    const at::Tensor want = reference_filter(image, kernel, boundary, correlate);
    const at::Tensor got = filter2d(image, kernel, FilterOptions().algorithm(algorithm).boundary(boundary).correlate(correlate));
    ASSERT_EQ(got.sizes(), image.sizes());
    ASSERT_EQ(got.scalar_type(), dtype);
    EXPECT_LE(relative_error(got, want), limit)
        << to_string(algorithm) << " " << to_string(boundary) << (correlate ? " correlate " : " convolve ") << kh << "x"
        << kw << " on " << h << "x" << w;
    // A 2-D image gives a 2-D result equal to its plane.
    const at::Tensor plane = filter2d(image[1], kernel, FilterOptions().algorithm(algorithm).boundary(boundary).correlate(correlate));
    ASSERT_EQ(plane.dim(), 2);
    EXPECT_LE(relative_error(plane, want[1]), limit);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, FilterAgreesWithReference,
                         ::testing::Combine(::testing::ValuesIn(kAlgorithms), ::testing::ValuesIn(kBoundaries),
                                            ::testing::Bool(), ::testing::Values(at::kFloat, at::kDouble)),
                         [](const auto& info) {
                           return to_string(std::get<0>(info.param)) + "_" + to_string(std::get<1>(info.param)) +
                                  (std::get<2>(info.param) ? "_correlate_" : "_convolve_") +
                                  (std::get<3>(info.param) == at::kFloat ? "f32" : "f64");
                         });

class BoxFilter : public testing::SeededParamTest<std::tuple<Boundary, bool>> {};

TEST_P(BoxFilter, RunningSumEqualsReference) {
  const auto& param = GetParam();
  const auto& boundary = std::get<0>(param);
  const auto& correlate = std::get<1>(param);
  for (auto [kh, kw, h, w] : std::vector<std::array<int64_t, 4>>{{5, 6, 37, 29}, {31, 31, 131, 97}, {1, 4, 9, 9}, {9, 3, 9, 300}}) {
    const at::Tensor kernel = at::full({kh, kw}, 0.37, at::kDouble);
    for (auto dtype : {at::kFloat, at::kDouble}) {
      const at::Tensor image = at::rand({2, h, w}, at::kDouble).to(dtype);
      const at::Tensor got = filter2d(image, kernel, FilterOptions().algorithm(FilterAlgorithm::kBox).boundary(boundary).correlate(correlate));
      EXPECT_LE(relative_error(got, reference_filter(image, kernel, boundary, correlate)), dtype == at::kDouble ? 1e-12 : 1e-6)
          << kh << "x" << kw << " on " << h << "x" << w;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, BoxFilter, ::testing::Combine(::testing::ValuesIn(kBoundaries), ::testing::Bool()),
                         [](const auto& info) {
                           return to_string(std::get<0>(info.param)) + (std::get<1>(info.param) ? "_correlate" : "_convolve");
                         });

TEST(ImageFilterCentre, EvenKernelsFollowScipyNdimage) {
  // scipy.ndimage.convolve / correlate of [0 0 0 1 0 0 0] with [1, 2], mode 'constant':
  // convolve -> [0 0 1 2 0 0 0], correlate -> [0 0 0 2 1 0 0].
  const at::Tensor impulse = at::zeros({1, 7}, at::kDouble).index_put_({0, 3}, 1.0);
  const at::Tensor kernel = at::tensor({1.0, 2.0}, at::kDouble).view({1, 2});
  for (FilterAlgorithm a : kAlgorithms) {
    const at::Tensor conv = filter2d(impulse, kernel, FilterOptions().algorithm(a));
    const at::Tensor corr = filter2d(impulse, kernel, FilterOptions().algorithm(a).correlate(true));
    EXPECT_TRUE(at::allclose(conv, at::tensor({0., 0., 1., 2., 0., 0., 0.}, at::kDouble).view({1, 7}), 0, 1e-12)) << to_string(a) << conv;
    EXPECT_TRUE(at::allclose(corr, at::tensor({0., 0., 0., 2., 1., 0., 0.}, at::kDouble).view({1, 7}), 0, 1e-12)) << to_string(a) << corr;
  }
}

TEST(SeparateKernel, FindsTheRankAndSplitsExactly) {
  at::manual_seed(3);
  const at::Tensor a = at::randn({9}, at::kDouble), b = at::randn({5}, at::kDouble);
  const at::Tensor c = at::randn({9}, at::kDouble), d = at::randn({5}, at::kDouble);
  const SeparableKernel one = separate_kernel(at::outer(a, b));
  EXPECT_EQ(one.numerical_rank, 1);
  EXPECT_EQ(one.rank, 1);
  EXPECT_LT(one.residual, 1e-14);
  EXPECT_TRUE(at::allclose(at::outer(one.columns[0], one.rows[0]), at::outer(a, b), 1e-12, 1e-12));

  const at::Tensor two = at::outer(a, b) + at::outer(c, d);
  const SeparableKernel exact = separate_kernel(two);
  EXPECT_EQ(exact.rank, 2);
  EXPECT_TRUE(at::allclose(at::matmul(exact.columns.t(), exact.rows), two, 1e-12, 1e-12));
  const SeparableKernel truncated = separate_kernel(two, 1);
  EXPECT_EQ(truncated.rank, 1);
  EXPECT_EQ(truncated.numerical_rank, 2);
  // The dropped term's share of the kernel, exactly as the SVD says.
  const double dropped = (two - at::matmul(truncated.columns.t(), truncated.rows)).norm().item<double>() / two.norm().item<double>();
  EXPECT_NEAR(truncated.residual, dropped, 1e-12);
  EXPECT_GT(truncated.residual, 1e-3);
}

TEST(SeparableFilter, TruncatedRankIsExactWhenTheKernelRankFits) {
  at::manual_seed(4);
  const at::Tensor kernel = at::outer(at::randn({7}, at::kDouble), at::randn({4}, at::kDouble)) +
                            at::outer(at::randn({7}, at::kDouble), at::randn({4}, at::kDouble));
  const at::Tensor image = at::rand({1, 33, 21}, at::kDouble);
  const at::Tensor want = reference_filter(image, kernel, Boundary::kReflect, false);
  const auto run = [&](int64_t rank) {
    return filter2d(image, kernel, FilterOptions().algorithm(FilterAlgorithm::kSeparable).boundary(Boundary::kReflect).max_rank(rank));
  };
  EXPECT_LE(relative_error(run(2), want), 1e-12);
  EXPECT_LE(relative_error(run(5), want), 1e-12);
  EXPECT_GT(relative_error(run(1), want), 1e-4);  // rank 1 of a rank-2 kernel is an approximation
}

TEST(GaussianKernel, IsNormalisedSymmetricAndSeparable) {
  const at::Tensor g = gaussian_kernel(17, 3.0, at::kDouble);
  EXPECT_NEAR(g.sum().item<double>(), 1.0, 1e-12);
  EXPECT_TRUE(at::allclose(g, g.flip({0})) && at::allclose(g, g.t()));
  EXPECT_EQ(separate_kernel(g).numerical_rank, 1);
  EXPECT_EQ(gaussian_kernel(4, 1.0).argmax().item<int64_t>() % 4, 1);  // even: peak straddles the middle
  EXPECT_TRUE(at::allclose(box_kernel(5, at::kDouble), at::full({5, 5}, 0.04, at::kDouble)));
}

TEST(ChooseFilterAlgorithm, FollowsTheCostModel) {
  EXPECT_EQ(choose_filter_algorithm(31, 31, 1, true, 1024, 1024), FilterAlgorithm::kBox);
  EXPECT_EQ(choose_filter_algorithm(17, 17, 1, false, 1024, 1024), FilterAlgorithm::kSeparable);
  EXPECT_EQ(choose_filter_algorithm(3, 3, 3, false, 1024, 1024), FilterAlgorithm::kDirect);
  EXPECT_EQ(choose_filter_algorithm(31, 31, 31, false, 1024, 1024), FilterAlgorithm::kOverlapAdd);
  EXPECT_EQ(choose_filter_algorithm(1, 1, 1, true, 8, 8), FilterAlgorithm::kDirect);
  // A low-rank large kernel is cheaper as a few 1-D passes than as FFTs.
  EXPECT_EQ(choose_filter_algorithm(31, 31, 2, false, 1024, 1024), FilterAlgorithm::kSeparable);
}

TEST(ImageFilter, AutoResolvesPerKernel) {
  EXPECT_EQ(ImageFilter(gaussian_kernel(17, 3.0)).algorithm_for(1024, 1024), FilterAlgorithm::kSeparable);
  EXPECT_EQ(ImageFilter(box_kernel(31)).algorithm_for(1024, 1024), FilterAlgorithm::kBox);
  EXPECT_EQ(ImageFilter(at::randn({31, 31})).algorithm_for(512, 512), FilterAlgorithm::kOverlapAdd);
  EXPECT_EQ(ImageFilter(at::randn({17, 17}), FilterOptions().algorithm(FilterAlgorithm::kFft)).algorithm_for(64, 64),
            FilterAlgorithm::kFft);
}

TEST(ImageFilter, SecondImageReusesTheKernelSpectrum) {
  clear_caches();
  ImageFilter filter(at::randn({15, 15}), FilterOptions().algorithm(FilterAlgorithm::kOverlapAdd));
  filter(at::rand({1, 100, 90}));
  const CacheStats first = cache_stats();
  filter(at::rand({1, 100, 90}));
  const CacheStats second = cache_stats();
  EXPECT_EQ(second.kernel_misses, first.kernel_misses);
  EXPECT_GT(second.kernel_hits, first.kernel_hits);
}

TEST(ImageFilterErrors, NameTheOperationValueAndRule) {
  const auto expect_error = [](const std::function<void()>& f, const std::string& fragment) {
    try {
      f();
      ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  };
  expect_error([] { filter2d(at::rand({10, 12}), at::ones({11, 3})); }, "the 11x3 kernel is larger than the 10x12 image");
  expect_error([] { filter2d(at::rand({10, 12}), at::rand({3, 3}), FilterOptions().algorithm(FilterAlgorithm::kBox)); },
               "algorithm 'box' needs a kernel whose entries are all equal");
  expect_error([] { filter2d(at::rand({2, 3, 10, 12}), at::ones({3, 3})); }, "the image must be (H, W) or (C, H, W)");
  expect_error([] { filter2d(at::ones({10, 12}, at::kInt), at::ones({3, 3})); }, "the image must be float32 or float64");
  expect_error([] { filter2d(at::rand({10, 12}), at::ones({3})); }, "the kernel must be a non-empty 2-D tensor");
  expect_error([] { filter2d(at::rand({10, 12}), at::full({3, 3}, NAN)); }, "NaN or infinite");
  expect_error([] { filter2d(at::rand({10, 12}), at::ones({3, 3}), FilterOptions().max_rank(-1)); }, "max_rank must be >= 0");
  expect_error([] { boundary_from_string("mirror"); }, "unknown boundary mode 'mirror'; expected one of zero, reflect");
  expect_error([] { filter_algorithm_from_string("winograd"); }, "unknown filter algorithm 'winograd'");
  expect_error([] { gaussian_kernel(5, 0.0); }, "sigma must be a positive number");
}

TEST(ImageFilterNames, RoundTrip) {
  for (FilterAlgorithm a : kAlgorithms) EXPECT_EQ(filter_algorithm_from_string(to_string(a)), a);
  EXPECT_EQ(filter_algorithm_from_string("BOX"), FilterAlgorithm::kBox);
  for (Boundary b : kBoundaries) EXPECT_EQ(boundary_from_string(to_string(b)), b);
}

}  // namespace
}  // namespace oaconv
