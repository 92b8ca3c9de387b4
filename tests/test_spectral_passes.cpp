// The spectral passes (fft and oaa tilings) called on buffers poisoned with NaN: every output
// element, and every spectrum value the transforms produce, must be written; results equal
// torch's in float64, in both spectrum layouts. Also the pruned DFTs against full FFTs.
#include "conv3d_cases.h"
#include "conv_cases.h"
#include "test_support.h"

#include "conv_geometry.h"
#include "fft/kernel_spectrum.h"
#include "fft/overlap_add_passes.h"
#include "fft/pruned_dft.h"
#include "fft/tile_io.h"
#include "fft/tiling.h"

#include <oaconv/functional.h>

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <tuple>
#include <vector>
#include <utility>

namespace oaconv::testing {
namespace {

using Param = std::tuple<ConvCase, Algorithm>;

class SpectralPasses : public SeededParamTest<Param> {};

at::Tensor poisoned_spectrum(const fft::SpectralProblem& p, int64_t planes) {
  return fft::new_spectrum(p, planes, at::TensorOptions().dtype(at::kDouble)).fill_(NAN);
}

// The three passes on NaN-poisoned buffers against torch's output and gradients (float64).
void check_poisoned_passes(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvGeometry& g,
                           const at::Tensor& y_ref, Algorithm algorithm, bool columns_outer) {
  fft::SpectralProblem p = fft::make_spectral_problem(g, algorithm, at::kDouble, at::get_num_threads());
  p.columns_outer = columns_outer;
  const at::Tensor gy = at::randn(y_ref.sizes(), y_ref.options());
  const auto grads = torch::autograd::grad({y_ref}, {x, w}, {gy});

  const at::Tensor kernel = fft::compute_kernel_spectrum(p, w);
  at::Tensor x_spectrum = poisoned_spectrum(p, g.batch * p.tiles() * g.in_channels);
  fft::transform_input(p, x.detach(), x_spectrum);
  EXPECT_FALSE(x_spectrum.isnan().any().item<bool>()) << "input spectrum left unwritten";
  at::Tensor y = at::full(y_ref.sizes(), NAN, y_ref.options());
  fft::forward_chunk(p, x_spectrum, kernel, b, y);
  EXPECT_LE(relative_error(y, y_ref.detach()), 1e-10);

  at::Tensor gy_spectrum = poisoned_spectrum(p, g.batch * p.tiles() * g.out_channels);
  fft::transform_grad_output(p, gy, gy_spectrum);
  EXPECT_FALSE(gy_spectrum.isnan().any().item<bool>()) << "grad-output spectrum left unwritten";
  at::Tensor gx = at::full(x.sizes(), NAN, x.options());
  fft::grad_input_chunk(p, gy_spectrum, kernel, gx);
  EXPECT_LE(relative_error(gx, grads[0]), 1e-10);

  at::Tensor gw_spectrum = at::full({g.out_channels * g.in_per_group(), p.spectrum_stride, 2}, NAN, x.options());
  fft::grad_weight_spectrum(p, gy_spectrum, x_spectrum, gw_spectrum);
  at::Tensor gw = at::full(w.sizes(), NAN, w.options());
  fft::grad_weight_from_spectrum(p, gw_spectrum, gw);
  EXPECT_LE(relative_error(gw, grads[1]), 1e-10);
}

// Both spectrum layouts (row-major, columns outer) are run whatever the size would pick.
void check_passes(const ConvCase& c, Algorithm algorithm, bool columns_outer) {
  SCOPED_TRACE(columns_outer ? "columns outer" : "row-major");
  const at::Tensor x = c.make_input(at::kDouble).requires_grad_(true);
  const at::Tensor w = c.make_weight(at::kDouble).requires_grad_(true);
  const at::Tensor b = c.make_bias(at::kDouble);
  const auto options = c.options(Algorithm::kAten);
  const ConvGeometry g = make_conv_geometry(x, w, b, options);
  check_poisoned_passes(x, w, b, g, oaconv::conv2d(x, w, b, options), algorithm, columns_outer);
}

// 3-D problems (3-D transforms, tiles cut along depth too, taps placed by FFT), on poisoned
// buffers: strides, dilation, groups, asymmetric padding, a kernel as long as the depth.
TEST(SpectralPasses3d, WriteEveryElementOfPoisonedBuffers) {
  const Conv3dCase cases[] = {
      {{2, 4, 7, 6, 5}, {6, 2, 3, 4, 3}, {2, 1, 2}, {1, 2, 0}, {1, 2, 1}, 2},
      {{1, 2, 16, 12, 10}, {3, 2, 3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1},
      {{2, 3, 6, 9, 8}, {2, 3, 6, 2, 5}, {1, 3, 1}, {2, 0, 2}, {1, 1, 2}, 1},
  };
  for (const Conv3dCase& c : cases) {
    const Conv3dData d = make_conv3d_data(c);
    for (Algorithm a : {Algorithm::kFft, Algorithm::kOverlapAdd}) {
      SCOPED_TRACE(d.g.to_string() + " " + to_string(a) + " " +
                   fft::choose_tiling(a, d.g, at::get_num_threads()).to_string());
      check_poisoned_passes(d.x, d.w, d.b, d.g, d.reference(), a, false);
    }
  }
}

TEST_P(SpectralPasses, WriteEveryElementOfPoisonedBuffers) {
  const auto& param = GetParam();
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  check_passes(c, algorithm, false);
  check_passes(c, algorithm, true);
}

// Float32 runs another SIMD width (16 lanes, not 8) through the same register-blocked products.
void check_pruned_dfts(const ConvCase& c, Algorithm algorithm, at::ScalarType dtype, double tolerance,
                       bool columns_outer) {
  SCOPED_TRACE(columns_outer ? "columns outer" : "row-major");
  const at::Tensor x = c.make_input(dtype);
  const at::Tensor w = c.make_weight(dtype);
  const ConvGeometry g = make_conv_geometry(x, w, {}, c.options(Algorithm::kAten));
  fft::SpectralProblem p = fft::make_spectral_problem(g, algorithm, dtype, 1);
  p.columns_outer = columns_outer;
  const int64_t planes = g.out_channels * g.in_per_group();

  // Kernel spectrum: the dilated kernel zero-padded to P_h x P_w, scaled, through FFTW.
  at::Tensor real = fft::new_real_planes(p, planes, w.options());
  real.select(1, 0)
      .slice(1, 0, p.kernel_h, g.dilation[0])
      .slice(2, 0, p.kernel_w, g.dilation[1])
      .copy_(w.reshape({planes, g.kernel[0], g.kernel[1]}) / static_cast<double>(p.real_plane));
  at::Tensor by_fft = fft::new_spectrum(p, planes, w.options());
  fft::forward_fft(p, real, by_fft);
  EXPECT_LE(relative_error(fft::kernel_spectrum_by_dft(p, w), by_fft), tolerance) << at::toString(dtype);

  // Weight-gradient taps: any Hermitian half spectrum (that of random real planes) -> c2r + crop.
  const at::Tensor planes_real = at::randn({planes, 1, p.tiling.rows.fft, p.tiling.cols.fft}, w.options());
  at::Tensor spectrum = fft::new_spectrum(p, planes, w.options());
  fft::forward_fft(p, planes_real.contiguous(), spectrum);
  at::Tensor by_dft = at::empty_like(w);
  fft::grad_weight_by_inverse_dft(p, spectrum, by_dft);
  at::Tensor inverse = fft::new_real_planes(p, planes, w.options(), false);
  at::Tensor spectrum_copy = spectrum.clone();
  fft::inverse_fft(p, spectrum_copy, inverse);
  at::Tensor by_crop = at::empty_like(w);
  fft::crop_grad_weight(p, inverse, 1.0 / static_cast<double>(p.real_plane), false, by_crop);
  EXPECT_LE(relative_error(by_dft, by_crop), tolerance) << at::toString(dtype);
}

TEST_P(SpectralPasses, PrunedDftsEqualFullTransforms) {
  const auto& param = GetParam();
  const auto& c = std::get<0>(param);
  const auto& algorithm = std::get<1>(param);
  for (bool columns_outer : {false, true}) {
    check_pruned_dfts(c, algorithm, at::kDouble, 1e-12, columns_outer);
    check_pruned_dfts(c, algorithm, at::kFloat, 2e-6, columns_outer);
  }
}

// forward_fft / inverse_fft run a buffer in chunks of planes plus a tail of descending powers of
// two, the pieces smaller than the aligned step starting unaligned, or, with fewer pieces than
// threads, as one FFTW-threaded plan: every plane count must equal torch's rfft2 (and come back
// through the inverse), in both layouts, both dtypes, for 1 and 2 threads. A 45x45 float plane
// is 8100 bytes (not a multiple of 64), so its tail pieces start unaligned.
TEST(ChunkedTransforms, EveryPlaneCountEqualsTorchsRfft2) {
  const at::Tensor x = at::zeros({1, 1, 33, 33}), w = at::zeros({1, 1, 13, 13});
  const ConvGeometry g = make_conv_geometry(x, w, {}, Conv2dFuncOptions());
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    for (const auto& [columns_outer, threads] : {std::pair{false, 1}, {false, 2}, {true, 1}, {true, 2}}) {
      fft::SpectralProblem p = fft::make_spectral_problem(g, Algorithm::kFft, dtype, threads);
      p.columns_outer = columns_outer;
      const int64_t rows = p.tiling.rows.fft, cols = p.tiling.cols.fft;
      ASSERT_EQ(rows, 45);
      ASSERT_EQ(cols, 45);
      const double tolerance = dtype == at::kFloat ? 1e-5 : 1e-12;
      for (int64_t planes : {1, 3, 16, 47, 100, 129}) {
        SCOPED_TRACE(::testing::Message() << at::toString(dtype) << (columns_outer ? " columns outer " : " row-major ")
                                          << threads << " threads " << planes << " planes");
        const auto options = at::TensorOptions().dtype(dtype);
        const at::Tensor real = at::randn({planes, rows, cols}, options);
        at::Tensor expected = at::fft_rfft2(real);  // [planes, rows, cols / 2 + 1]
        if (columns_outer) expected = expected.transpose(1, 2);
        expected = at::view_as_real(expected.contiguous().reshape({planes, p.frequencies}));
        at::Tensor spectrum = poisoned_spectrum(p, planes).to(dtype);
        fft::forward_fft(p, real, spectrum);
        EXPECT_LE(relative_error(spectrum.narrow(1, 0, p.frequencies), expected), tolerance);
        EXPECT_FALSE(spectrum.isnan().any().item<bool>()) << "spectrum left unwritten";
        at::Tensor back = fft::new_real_planes(p, planes, options, false).fill_(NAN);
        fft::inverse_fft(p, spectrum, back);
        EXPECT_LE(relative_error(back.view_as(real), real * static_cast<double>(p.real_plane)), tolerance);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, SpectralPasses,
                         ::testing::Combine(::testing::ValuesIn(conv_cases()),
                                            ::testing::Values(Algorithm::kFft, Algorithm::kOverlapAdd)),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return to_string(std::get<1>(info.param)) + "_" + std::get<0>(info.param).name();
                         });

}  // namespace
}  // namespace oaconv::testing
