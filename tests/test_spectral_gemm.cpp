// The spectral product against a plain complex reference, for every conj combination, sizes
// that are not multiples of the register block, strided operands, and accumulation.
#include "conv_cases.h"
#include "test_support.h"

#include "fft/spectral_gemm.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>

namespace oaconv::testing {
namespace {

struct GemmCase {
  int64_t m, n, k, freq;
  bool conj_a, conj_b, accumulate;
};

class SpectralGemm : public SeededParamTest<GemmCase> {};

TEST_P(SpectralGemm, MatchesComplexReference) {
  const GemmCase c = GetParam();
  const int64_t stride = (c.freq + 7) / 8 * 8;  // float: 8 complex per 64 bytes
  // A stored row-major [m][k], B stored [n][k] (so B[k, j] has row stride 1 plane, col stride k).
  const at::Tensor a = at::randn({c.m * c.k, stride, 2});
  const at::Tensor b = at::randn({c.n * c.k, stride, 2});
  const at::Tensor c0 = at::randn({c.m * c.n, stride, 2});
  at::Tensor out = c0.clone();
  const int64_t plane = 2 * stride;
  fft::spectral_gemm<float>(c.m, c.n, c.k, plane, {a.data_ptr<float>(), c.k * plane, plane}, c.conj_a,
                            {b.data_ptr<float>(), plane, c.k * plane}, c.conj_b,
                            {out.data_ptr<float>(), c.n * plane, plane}, c.accumulate);
  at::Tensor ac = at::view_as_complex(a.to(at::kDouble)).view({c.m, c.k, stride});
  at::Tensor bc = at::view_as_complex(b.to(at::kDouble)).view({c.n, c.k, stride});
  if (c.conj_a) ac = ac.conj();
  if (c.conj_b) bc = bc.conj();
  at::Tensor want = at::einsum("ikf,jkf->ijf", {ac, bc});
  if (c.accumulate) want = want + at::view_as_complex(c0.to(at::kDouble)).view({c.m, c.n, stride});
  const at::Tensor got = at::view_as_complex(out.to(at::kDouble)).view({c.m, c.n, stride});
  EXPECT_LE(relative_error(at::view_as_real(got.resolve_conj()), at::view_as_real(want.resolve_conj())), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SpectralGemm,
    ::testing::Values(GemmCase{1, 1, 1, 8, false, false, false}, GemmCase{4, 2, 3, 16, false, true, false},
                      GemmCase{7, 5, 9, 24, false, true, false}, GemmCase{5, 7, 3, 40, false, false, false},
                      GemmCase{3, 6, 11, 8, true, false, false}, GemmCase{6, 3, 4, 16, true, true, false},
                      GemmCase{130, 3, 2, 72, false, true, false}, GemmCase{5, 3, 70, 16, true, false, true},
                      GemmCase{2, 9, 5, 200, false, false, true}),
    [](const ::testing::TestParamInfo<GemmCase>& info) {
      const GemmCase& c = info.param;
      return "m" + std::to_string(c.m) + "_n" + std::to_string(c.n) + "_k" + std::to_string(c.k) + "_f" +
             std::to_string(c.freq) + (c.conj_a ? "_conjA" : "") + (c.conj_b ? "_conjB" : "") +
             (c.accumulate ? "_acc" : "");
    });

// Grouped products in one call: group g's operands lie g * group_stride values past group 0's, as
// a grouped convolution's channel groups do; each group must match its own reference, with
// several threads (one parallel region over every group's tasks).
TEST(SpectralGemmGroups, EachGroupMatchesItsReference) {
  at::manual_seed(11);
  at::set_num_threads(2);
  for (const int64_t groups : {1, 3, 32}) {
    const int64_t m = 70, n = 2, k = 3, freq = 24, plane = 2 * freq;
    // Stored as the forward pass stores them: A = X[row][group][k], B = W[group][j][k], C = Y[row][group][j].
    const at::Tensor a = at::randn({m * groups * k, freq, 2});
    const at::Tensor b = at::randn({groups * n * k, freq, 2});
    at::Tensor out = at::full({m * groups * n, freq, 2}, std::nanf(""));
    fft::spectral_gemm<float>(m, n, k, plane, {a.data_ptr<float>(), groups * k * plane, plane, k * plane}, false,
                              {b.data_ptr<float>(), plane, k * plane, n * k * plane}, true,
                              {out.data_ptr<float>(), groups * n * plane, plane, n * plane}, false, groups);
    const at::Tensor ac = at::view_as_complex(a.to(at::kDouble)).view({m, groups, k, freq});
    const at::Tensor bc = at::view_as_complex(b.to(at::kDouble)).view({groups, n, k, freq}).conj();
    const at::Tensor want = at::einsum("igkf,gjkf->igjf", {ac, bc}).resolve_conj();
    const at::Tensor got = at::view_as_complex(out.to(at::kDouble)).view({m, groups, n, freq});
    EXPECT_LE(relative_error(at::view_as_real(got), at::view_as_real(want)), 1e-5) << "groups " << groups;
  }
}

}  // namespace
}  // namespace oaconv::testing
