// The register-blocked row product used by the pruned DFTs, against at::mm in float64: edge
// sizes around the register block (6 rows, 2 vectors of columns) and the SIMD width, leading
// dimensions wider than the rows, and no write outside each row's n values.
#include "conv_cases.h"
#include "test_support.h"

#include "fft/dft_matrix_product.h"

#include <ATen/ATen.h>

#include <tuple>

namespace oaconv::testing {
namespace {

using Shape = std::tuple<int64_t, int64_t, int64_t>;  // m, k, n

class DftMatrixProduct : public SeededParamTest<Shape> {};

template <typename T>
void check(int64_t m, int64_t k, int64_t n, double tolerance) {
  const at::ScalarType dtype = std::is_same<T, float>::value ? at::kFloat : at::kDouble;
  const int64_t lda = k + 3, ldc = n + 5;
  const at::Tensor a = at::randn({m, lda}, at::TensorOptions().dtype(dtype));
  const at::Tensor b = at::randn({k, n}, at::TensorOptions().dtype(at::kDouble));
  fft::PackedMatrix<T> packed(k, n);
  for (int64_t t = 0; t < k; ++t)
    for (int64_t j = 0; j < n; ++j) packed(t, j) = static_cast<T>(b[t][j].item<double>());
  const double sentinel = 12345.0;
  at::Tensor c = at::full({m, ldc}, sentinel, at::TensorOptions().dtype(dtype));
  fft::multiply_rows<T>(a.data_ptr<T>(), m, lda, packed, c.data_ptr<T>(), ldc);
  const at::Tensor want = at::mm(a.narrow(1, 0, k).to(at::kDouble), b.to(dtype).to(at::kDouble));
  EXPECT_LE(relative_error(c.narrow(1, 0, n), want), tolerance) << "m " << m << " k " << k << " n " << n;
  EXPECT_TRUE(c.narrow(1, n, ldc - n).eq(sentinel).all().item<bool>()) << "wrote past n = " << n;
}

TEST_P(DftMatrixProduct, MatchesMatrixProduct) {
  const auto& param = GetParam();
  const auto& m = std::get<0>(param);
  const auto& k = std::get<1>(param);
  const auto& n = std::get<2>(param);
  check<double>(m, k, n, 1e-13);
  check<float>(m, k, n, 1e-5);
}

TEST(PackedMatrix, PadsColumnsToWholeVectorsWithZeros) {
  // Whole SIMD vectors of the library's target (a column pads to one): 64, 32 or 16 bytes.
  const int64_t float_lanes = fft::PackedMatrix<float>::padded(1), double_lanes = fft::PackedMatrix<double>::padded(1);
  EXPECT_TRUE(float_lanes == 16 || float_lanes == 8 || float_lanes == 4) << float_lanes;
  EXPECT_EQ(double_lanes * 2, float_lanes);
  fft::PackedMatrix<float> f(3, 17);
  EXPECT_EQ(f.stride(), (17 + float_lanes - 1) / float_lanes * float_lanes);
  EXPECT_EQ(fft::PackedMatrix<double>::padded(17), (17 + double_lanes - 1) / double_lanes * double_lanes);
  EXPECT_EQ(fft::PackedMatrix<double>::padded(16), 16);
  EXPECT_EQ(fft::PackedMatrix<float>::padded(float_lanes + 1), 2 * float_lanes);
  for (int64_t j = 0; j < f.stride(); ++j) EXPECT_EQ(f.row(2)[j], 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Shapes, DftMatrixProduct,
                         ::testing::Values(Shape{1, 1, 1}, Shape{6, 3, 16}, Shape{7, 11, 22}, Shape{13, 82, 22},
                                           Shape{80, 22, 82}, Shape{5, 160, 11}, Shape{12, 17, 33}, Shape{2, 5, 8},
                                           Shape{11, 9, 7}, Shape{31, 1, 130}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           return "m" + std::to_string(std::get<0>(info.param)) + "_k" +
                                  std::to_string(std::get<1>(info.param)) + "_n" +
                                  std::to_string(std::get<2>(info.param));
                         });

}  // namespace
}  // namespace oaconv::testing
