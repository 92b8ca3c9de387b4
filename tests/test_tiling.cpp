// Tiling and FFT sizes: fast sizes, the no-aliasing invariant, the cost model's choices, and
// explain_conv2d.
#include "test_support.h"

#include "fft/tiling.h"

#include <oaconv/explain.h>

namespace oaconv::testing {
namespace {

ConvGeometry geometry(int64_t n, int64_t c, int64_t o, int64_t hw, int64_t k, int64_t dilation = 1) {
  const at::Tensor x = at::empty({n, c, hw, hw}, at::TensorOptions().device(at::kMeta));
  const at::Tensor w = at::empty({o, c, k, k}, at::TensorOptions().device(at::kMeta));
  return make_conv_geometry(x, w, {}, Conv2dFuncOptions().padding(k / 2).dilation(dilation));
}

TEST(Tiling, NextFastSizeHasOnlySmallPrimeFactors) {
  EXPECT_EQ(fft::next_fast_size(1), 1);
  EXPECT_EQ(fft::next_fast_size(11), 12);
  EXPECT_EQ(fft::next_fast_size(13), 14);
  EXPECT_EQ(fft::next_fast_size(67), 70);
  EXPECT_EQ(fft::next_fast_size(97), 98);
  EXPECT_EQ(fft::next_fast_size(121), 125);
  for (int64_t n = 1; n < 600; ++n) {
    int64_t m = fft::next_fast_size(n);
    EXPECT_GE(m, n);
    for (int64_t p : {2, 3, 5, 7}) while (m % p == 0) m /= p;
    EXPECT_EQ(m, 1) << n;
  }
}

TEST(Tiling, EfficientSizesAreTwoThreeSmoothTimesAtMostOneFive) {
  EXPECT_EQ(fft::next_efficient_size(70), 72);
  EXPECT_EQ(fft::next_efficient_size(74), 80);
  EXPECT_EQ(fft::next_efficient_size(13), 15);
  for (int64_t n = 1; n < 600; ++n) {
    int64_t m = fft::next_efficient_size(n);
    EXPECT_GE(m, n);
    for (int64_t p : {2, 3}) while (m % p == 0) m /= p;
    EXPECT_TRUE(m == 1 || m == 5) << n;
  }
}

TEST(Tiling, EveryTilingCoversTheImageWithoutAliasing) {
  for (int64_t hw : {5, 16, 33, 64, 100, 256}) {
    for (int64_t k : {1, 3, 7, 15, 31}) {
      if (k > hw + 2 * (k / 2)) continue;
      for (int64_t d : {1, 2}) {
        if (d * (k - 1) + 1 > hw + 2 * (k / 2)) continue;
        const ConvGeometry g = geometry(4, 8, 8, hw, k, d);
        for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
          const fft::Tiling t = fft::choose_tiling(a, g, 2);
          for (const fft::AxisTiling& ax : {t.rows, t.cols}) {
            EXPECT_EQ(ax.kernel, d * (k - 1) + 1);
            EXPECT_GE(ax.fft, ax.tile + ax.kernel - 1) << "circular wrap would alias";
            EXPECT_GE(ax.tile * ax.tiles, hw);
            EXPECT_LT(ax.tile * (ax.tiles - 1), hw) << "a tile lies entirely outside the image";
          }
          if (a == Algorithm::kFft) {
            EXPECT_EQ(t.tiles(), 1);
          }
        }
      }
    }
  }
}

TEST(Tiling, OverlapAddCutsLargeImagesWithSmallKernels) {
  const fft::Tiling t = fft::choose_tiling(Algorithm::kOverlapAdd, geometry(4, 16, 16, 256, 15), 2);
  EXPECT_GT(t.tiles(), 1);
  EXPECT_LT(t.rows.fft, 256);
  // and never models worse than the one-tile FFT
  const ConvGeometry g = geometry(4, 16, 16, 256, 15);
  EXPECT_LE(fft::modelled_step_seconds(g, t, 2),
            fft::modelled_step_seconds(g, fft::choose_tiling(Algorithm::kFft, g, 2), 2));
}

TEST(Explain, NamesTheGeometryAndTheTilings) {
  const std::string s = explain_conv2d({8, 16, 64, 64}, {32, 16, 7, 7},
                                       Conv2dFuncOptions().padding(3).algorithm(Algorithm::kOverlapAdd));
  EXPECT_NE(s.find("N8 C16->32 64x64 k7x7"), std::string::npos) << s;
  EXPECT_NE(s.find("runs oaa"), std::string::npos) << s;
  EXPECT_NE(s.find("fft: 1x1 tiles of 64x64 at FFT 72x72"), std::string::npos) << s;
  EXPECT_THROW(explain_conv2d({8, 16, 64, 64}, {32, 15, 7, 7}), c10::Error);
}

}  // namespace
}  // namespace oaconv::testing
