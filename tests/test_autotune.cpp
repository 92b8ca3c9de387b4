// `auto`: the pure decision rule, the cost model's direction, every mix of per-pass algorithms
// against torch::conv2d's autograd, measuring once and remembering, the cache file round trip
// and its errors, and autotuning turned off.
#include <oaconv/autotune.h>
#include <oaconv/explain.h>
#include <oaconv/functional.h>
#include <oaconv/profiling.h>

#include "auto/conv_passes.h"
#include "auto/pass_model.h"
#include "conv_node.h"
#include "conv_cases.h"
#include "conv_geometry.h"
#include "fft/tiling.h"
#include "test_support.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

namespace oaconv {
namespace {

using testing::relative_error;

constexpr double kSkip = -1;

// Whole-step times of aten, direct, fft and oaa; the other candidates not run.
StepTimes steps(std::array<double, 4> seconds) {
  StepTimes t = kNoStepTimes;
  for (int c = 0; c < 4; ++c) t[c] = seconds[c];
  return t;
}

// Times of aten, direct, fft and oaa; the other candidates not run.
PassTimes times(std::array<double, 4> forward, std::array<double, 4> grad_input, std::array<double, 4> grad_weight) {
  PassTimes t;
  for (auto& pass : t) pass.fill(kSkip);
  for (int c = 0; c < 4; ++c) t[0][c] = forward[c], t[1][c] = grad_input[c], t[2][c] = grad_weight[c];
  return t;
}

TEST(DecidePassAlgorithms, PicksTheFastestPerPass) {
  //                      aten direct fft  oaa
  const PassAlgorithms p = decide_pass_algorithms(times({10, 20, 5, 6}, {10, 3, 4, 5}, {10, 12, 11, 9}));
  EXPECT_EQ(p.forward, Algorithm::kFft);
  EXPECT_EQ(p.grad_input, Algorithm::kDirect);
  EXPECT_EQ(p.grad_weight, Algorithm::kOverlapAdd);
}

TEST(DecidePassAlgorithms, KeepsAtenUnlessClearlyBeaten) {
  // 2 % faster is noise at the default 3 % margin; 4 % is not.
  EXPECT_EQ(decide_pass_algorithms(times({10, 20, 9.8, 11}, {10, 20, 9.6, 11}, {10, 20, 9.8, 11})).forward, Algorithm::kAten);
  EXPECT_EQ(decide_pass_algorithms(times({10, 20, 9.6, 11}, {10, 20, 9.6, 11}, {10, 20, 9.6, 11})).forward, Algorithm::kFft);
  EXPECT_EQ(decide_pass_algorithms(times({10, 20, 9.8, 11}, {1, 1, 1, 1}, {1, 1, 1, 1}), kNoStepTimes, -1, 0.0).forward,
            Algorithm::kFft);
}

TEST(DecidePassAlgorithms, MeasuredWholeStepsDecide) {
  // Pass by pass the mix is forward aten, gradients oaa.
  const PassTimes passes = times({10, 30, 12, 11}, {10, 30, 6.5, 6}, {10, 30, 8, 7});
  const PassAlgorithms mix{Algorithm::kAten, Algorithm::kOverlapAdd, Algorithm::kOverlapAdd};
  const PassAlgorithms all_oaa{Algorithm::kOverlapAdd, Algorithm::kOverlapAdd, Algorithm::kOverlapAdd};
  const PassAlgorithms all_fft{Algorithm::kFft, Algorithm::kFft, Algorithm::kFft};
  const PassAlgorithms all_aten{Algorithm::kAten, Algorithm::kAten, Algorithm::kAten};
  EXPECT_EQ(decide_pass_algorithms(passes), mix);                               // inference: no steps
  // oaa's whole step (sharing its transforms) beats the mix's measured step, and the reverse.
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, -1, 20}), 23), all_oaa);
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, -1, 24}), 23), mix);
  // Against aten's step (30) another must win by the margin: 29.5 is noise, 28 is not.
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, 29.5, -1})), all_aten);
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, 28, -1})), all_fft);
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, -1, -1}), 29.5), all_aten);
  EXPECT_EQ(decide_pass_algorithms(passes, steps({30, -1, -1, -1}), 25), mix);
}

TEST(DecidePassAlgorithms, SkipsCandidatesWithoutTimes) {
  const PassAlgorithms p = decide_pass_algorithms(times({kSkip, kSkip, 7, 5}, {kSkip, kSkip, kSkip, kSkip}, {3, kSkip, kSkip, 4}));
  EXPECT_EQ(p.forward, Algorithm::kOverlapAdd);   // aten not run: the fastest that was
  EXPECT_EQ(p.grad_input, Algorithm::kAten);      // nothing run: the baseline
  EXPECT_EQ(p.grad_weight, Algorithm::kAten);
}

TEST(ModelledPassSeconds, FavoursFftForLargeKernelsAndAtenForSmall) {
  const auto depthwise = modelled_pass_seconds({8, 64, 64, 64}, {64, 1, 31, 31}, Conv2dFuncOptions().padding(15).groups(64), 2);
  const PassAlgorithms large = decide_pass_algorithms(depthwise);
  EXPECT_TRUE(large.forward == Algorithm::kFft || large.forward == Algorithm::kOverlapAdd);
  const auto small = modelled_pass_seconds({32, 32, 32, 32}, {32, 32, 3, 3}, Conv2dFuncOptions().padding(1), 2);
  EXPECT_EQ(decide_pass_algorithms(small), (PassAlgorithms{Algorithm::kAten, Algorithm::kAten, Algorithm::kAten}));
  // More threads, less time; every candidate modelled.
  const auto one = modelled_pass_seconds({32, 32, 32, 32}, {32, 32, 3, 3}, Conv2dFuncOptions().padding(1), 1);
  for (int pass = 0; pass < 3; ++pass)
    for (int c = 0; c < autotune::kCandidates; ++c) {
      EXPECT_GT(small[pass][c], 0);
      EXPECT_GT(one[pass][c], small[pass][c]);
    }
}

// Every combination of per-pass algorithms gives torch::conv2d's output and gradients.
class MixedPasses : public testing::SeededParamTest<at::ScalarType> {};

TEST_P(MixedPasses, EveryCombinationMatchesAten) {
  const at::ScalarType dtype = GetParam();
  const double limit = dtype == at::kDouble ? 1e-10 : 5e-5;
  std::vector<testing::ConvCase> cases;
  for (const auto& c : testing::conv_cases()) {
    // Strided, dilated, grouped, asymmetric "same" and plain cases.
    if (c.name().find("s2") != std::string::npos || c.padding_kind == testing::PaddingKind::kSame || c.groups > 1)
      cases.push_back(c);
    if (cases.size() >= 4) break;
  }
  cases.push_back(testing::conv_cases().front());
  for (const auto& c : cases) {
    const at::Tensor x0 = c.make_input(dtype), w0 = c.make_weight(dtype), b0 = c.make_bias(dtype);
    const auto reference = [&](const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
      return oaconv::conv2d(x, w, b, c.options(Algorithm::kAten));
    };
    at::Tensor xr = x0.clone().requires_grad_(true), wr = w0.clone().requires_grad_(true);
    at::Tensor br = b0.defined() ? b0.clone().requires_grad_(true) : at::Tensor();
    const at::Tensor yr = reference(xr, wr, br);
    const at::Tensor gy = at::randn_like(yr);
    yr.backward(gy);
    const ConvGeometry g = make_conv_geometry(x0, w0, b0, c.options(Algorithm::kAten));
    for (int f = 0; f < autotune::kCandidates; ++f)
      for (int gi = 0; gi < autotune::kCandidates; ++gi)
        for (int gw = 0; gw < autotune::kCandidates; ++gw) {
          const PassAlgorithms p{autotune::candidate(f), autotune::candidate(gi), autotune::candidate(gw)};
          at::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
          at::Tensor b = b0.defined() ? b0.clone().requires_grad_(true) : at::Tensor();
          const at::Tensor y = conv_with_pass_algorithms(x, w, b, g, p);
          y.backward(gy);
          const std::string what = c.name() + " " + to_string(p.forward) + "/" + to_string(p.grad_input) + "/" +
                                   to_string(p.grad_weight);
          EXPECT_LE(relative_error(y, yr), limit) << what << " output";
          EXPECT_LE(relative_error(x.grad(), xr.grad()), limit) << what << " grad input";
          EXPECT_LE(relative_error(w.grad(), wr.grad()), limit) << what << " grad weight";
          if (b.defined()) {
            EXPECT_LE(relative_error(b.grad(), br.grad()), limit) << what << " grad bias";
          }
        }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MixedPasses, ::testing::Values(at::kFloat, at::kDouble),
                         [](const auto& info) { return info.param == at::kFloat ? "f32" : "f64"; });

class Autotune : public testing::SeededTest {
 protected:
  void SetUp() override {
    testing::SeededTest::SetUp();
    set_autotune(true);
    clear_autotune_cache();
    file_ = (std::filesystem::temp_directory_path() / ("oaconv_autotune_" + std::to_string(::getpid()) + ".txt")).string();
  }
  void TearDown() override {
    set_autotune(true);
    clear_autotune_cache();
    std::filesystem::remove(file_);
  }
  // One auto forward (+ backward when training) of N4 C6->8 20x18 k5.
  at::Tensor step(bool training) {
    const at::Tensor x = at::randn({4, 6, 20, 18}).requires_grad_(training);
    const at::Tensor w = (at::randn({8, 6, 5, 5}) * 0.1).requires_grad_(training);
    const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding(2).algorithm(Algorithm::kAuto));
    if (training) y.sum().backward();
    EXPECT_LE(relative_error(y, at::conv2d(x, w, {}, 1, 2)), 5e-5);
    return y;
  }
  // A cache file line for g: `key_prefix` ("float32", "float32/channels_last"), the three
  // algorithms and measured flags as written ("direct fft oaa", "1 1 1"), every candidate's
  // pass time 1 to kCandidates seconds, no whole-step times.
  static std::string record_line(const std::string& key_prefix, const ConvGeometry& g, const std::string& algorithms,
                                 const std::string& measured) {
    std::ostringstream line;
    line << key_prefix << " " << at::get_num_threads();
    for (int64_t v : g.to_vector()) line << " " << v;
    line << " : " << algorithms << " | " << measured << " |";
    for (int pass = 0; pass < autotune::kPasses; ++pass)
      for (int c = 0; c < autotune::kCandidates; ++c) line << " " << c + 1;
    line << " |";
    for (int c = 0; c <= autotune::kCandidates; ++c) line << " -1";
    line << "\n";
    return line.str();
  }
  std::string read_file() const {
    std::ifstream in(file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void expect_load_error(const std::string& content, const std::string& fragment) {
    std::ofstream(file_) << content;
    try {
      load_autotune_cache(file_);
      ADD_FAILURE() << "no error for: " << content;
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find(fragment), std::string::npos) << e.what_without_backtrace();
    }
  }
  std::string file_;
};

TEST_F(Autotune, MeasuresOnceAndRemembers) {
  EXPECT_FALSE(auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2)).measured);
  step(true);
  EXPECT_EQ(autotune_cache_size(), 1);
  const AutotuneRecord r = auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2));
  EXPECT_TRUE(r.measured);
  EXPECT_GT(r.seconds[0][autotune::candidate_index(Algorithm::kAten)], 0);  // the baseline is always timed here
  step(true);
  EXPECT_EQ(autotune_cache_size(), 1);
  EXPECT_EQ(auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2)).algorithms, r.algorithms);
  // Another shape is another configuration.
  oaconv::conv2d(at::randn({2, 6, 20, 18}), at::randn({8, 6, 5, 5}), {}, Conv2dFuncOptions().padding(2));
  EXPECT_EQ(autotune_cache_size(), 2);
}

// A channels-last call of a measured shape is measured apart (its passes pay copies to and from
// the layout ours run in, and aten runs in that layout), in its own layout, and its record
// survives a save and load under its own key.
TEST_F(Autotune, ChannelsLastCallsAreMeasuredApart) {
  step(true);
  EXPECT_EQ(autotune_cache_size(), 1);
  const auto channels_last_step = [] {
    const at::Tensor x = at::randn({4, 6, 20, 18}).contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
    const at::Tensor w = (at::randn({8, 6, 5, 5}) * 0.1).requires_grad_(true);
    const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions().padding(2).algorithm(Algorithm::kAuto));
    y.sum().backward();
    const at::Tensor yr = at::conv2d(x, w, {}, 1, 2);
    EXPECT_LE(relative_error(y, yr), 5e-5);
    EXPECT_EQ(y.strides(), yr.strides());
  };
  channels_last_step();
  EXPECT_EQ(autotune_cache_size(), 2);
  channels_last_step();
  EXPECT_EQ(autotune_cache_size(), 2);
  save_autotune_cache(file_);
  EXPECT_NE(read_file().find("\nfloat32/channels_last "), std::string::npos) << read_file();
  clear_autotune_cache();
  load_autotune_cache(file_);
  EXPECT_EQ(autotune_cache_size(), 2);
  channels_last_step();
  step(true);
  EXPECT_EQ(autotune_cache_size(), 2);
}

// A transposed call is measured on its adjoint, whose input (the call's output) takes the call
// input's layout: a call whose input alone is channels-last is recorded, and reported, as one.
TEST_F(Autotune, TransposedCallsAreRecordedInTheirInputsLayout) {
  const at::Tensor x = at::randn({2, 8, 12, 10}).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor w = at::randn({8, 6, 3, 3}) * 0.1;
  const ConvTranspose2dFuncOptions options = ConvTranspose2dFuncOptions().padding(1).algorithm(Algorithm::kAuto);
  const at::Tensor y = oaconv::conv_transpose2d(x, w, {}, options);
  EXPECT_LE(relative_error(y, at::conv_transpose2d(x, w, {}, 1, 1)), 5e-5);
  EXPECT_EQ(autotune_cache_size(), 1);
  EXPECT_TRUE(auto_pass_algorithms(x.sizes(), w.sizes(), options, c10::kFloat, true).measured);
  EXPECT_FALSE(auto_pass_algorithms(x.sizes(), w.sizes(), options, c10::kFloat, false).measured);
  EXPECT_NE(explain_conv(x.sizes(), w.sizes(), options, c10::kFloat, true).find("measured on this machine"),
            std::string::npos);
}

// What auto runs for channels-last calls is reported from their own record (explain,
// auto_pass_algorithms with channels_last), and a channels-last call with measuring off runs
// that record's choice, not the contiguous shape's model.
TEST_F(Autotune, ChannelsLastRecordsAreReportedAndUsedApart) {
  const at::Tensor x = at::randn({4, 6, 20, 18});
  const at::Tensor w = at::randn({8, 6, 5, 5});
  const Conv2dFuncOptions options = Conv2dFuncOptions().padding(2).algorithm(Algorithm::kAuto);
  const ConvGeometry g = make_conv_geometry(x, w, {}, options);
  // A hand-written channels-last record whose forward alone was measured: fft in every pass.
  std::ofstream(file_) << record_line("float32/channels_last", g, "fft fft fft", "1 0 0");
  load_autotune_cache(file_);

  const PassAlgorithms all_fft{Algorithm::kFft, Algorithm::kFft, Algorithm::kFft};
  const AutotuneRecord channels_last = auto_pass_algorithms(x.sizes(), w.sizes(), options, c10::kFloat, true);
  EXPECT_TRUE(channels_last.measured);
  EXPECT_EQ(channels_last.algorithms, all_fft);
  EXPECT_FALSE(auto_pass_algorithms(x.sizes(), w.sizes(), options).measured);
  const std::string told = explain_conv2d(x.sizes(), w.sizes(), options, c10::kFloat, true);
  EXPECT_NE(told.find("layout: channels-last"), std::string::npos) << told;
  EXPECT_NE(told.find("measured on this machine"), std::string::npos) << told;
  EXPECT_NE(told.find("forward fft, grad_input fft, grad_weight fft"), std::string::npos) << told;
  EXPECT_NE(explain_conv2d(x.sizes(), w.sizes(), options).find("layout: contiguous"), std::string::npos);

  // Measuring off: the training call's gradients are not in the record, so it runs the record's
  // choice as it stands (fft: spectral passes counted) where the contiguous call runs the model's.
  set_autotune(false);
  set_phase_timing(true);
  const auto training_call = [&](at::MemoryFormat format) {
    reset_phase_times();
    const at::Tensor xt = x.contiguous(format).requires_grad_(true);
    const at::Tensor wt = (w * 0.1).requires_grad_(true);
    const at::Tensor y = oaconv::conv2d(xt, wt, {}, options);
    y.sum().backward();
    EXPECT_LE(relative_error(y, at::conv2d(xt, wt, {}, 1, 2)), 5e-5);
    return phase_times().calls;
  };
  const int64_t contiguous_spectral = training_call(at::MemoryFormat::Contiguous);
  const int64_t channels_last_spectral = training_call(at::MemoryFormat::ChannelsLast);
  set_phase_timing(false);
  EXPECT_EQ(contiguous_spectral, 0) << "the model's choice for this shape is spectral: pick a shape it is not";
  EXPECT_GE(channels_last_spectral, 2);  // forward, and the gradients (one shared pass or two)
  EXPECT_EQ(autotune_cache_size(), 1);

  // 1-D convolutions have no channels-last layout.
  const auto expect_layout_error = [](const std::function<void()>& call) {
    try {
      call();
      ADD_FAILURE() << "no error for channels_last on a 1-D convolution";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what_without_backtrace()).find("no channels-last layout"), std::string::npos)
          << e.what_without_backtrace();
    }
  };
  expect_layout_error([] { explain_conv({2, 3, 50}, {4, 3, 5}, Conv1dFuncOptions(), c10::kFloat, true); });
  expect_layout_error([] { auto_pass_algorithms({2, 3, 50}, {4, 3, 5}, Conv1dFuncOptions(), c10::kFloat, true); });
}

TEST_F(Autotune, InferenceMeasuresTheForwardOnlyAndTrainingTheRest) {
  {
    at::NoGradGuard no_grad;
    step(false);
  }
  save_autotune_cache(file_);
  EXPECT_NE(read_file().find("| 1 0 0 |"), std::string::npos) << read_file();
  step(true);
  save_autotune_cache(file_);
  EXPECT_NE(read_file().find("| 1 1 1 |"), std::string::npos) << read_file();
}

TEST_F(Autotune, SaveLoadRoundTrip) {
  step(true);
  const AutotuneRecord before = auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2));
  save_autotune_cache(file_);
  clear_autotune_cache();
  EXPECT_FALSE(auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2)).measured);
  load_autotune_cache(file_);
  const AutotuneRecord after = auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2));
  EXPECT_TRUE(after.measured);
  EXPECT_EQ(after.algorithms, before.algorithms);
  for (int pass = 0; pass < 3; ++pass)
    for (int c = 0; c < autotune::kCandidates; ++c) EXPECT_NEAR(after.seconds[pass][c], before.seconds[pass][c], 1e-5 * std::abs(before.seconds[pass][c]) + 1e-12);
  for (int c = 0; c < autotune::kCandidates; ++c) EXPECT_NEAR(after.step_seconds[c], before.step_seconds[c], 1e-5 * std::abs(before.step_seconds[c]) + 1e-12);
  EXPECT_NEAR(after.mix_step_seconds, before.mix_step_seconds, 1e-5 * std::abs(before.mix_step_seconds) + 1e-12);
  EXPECT_FALSE(oaconv::testing::temporary_left_beside(file_));
}

TEST_F(Autotune, LoadedChoicesAreUsedAsIs) {
  // A hand-written record: forward by direct, gradients by fft and oaa. The calls use it (no
  // measuring: the cache stays at one entry) and stay correct.
  const at::Tensor x = at::randn({4, 6, 20, 18});
  const at::Tensor w = at::randn({8, 6, 5, 5});
  const ConvGeometry g = make_conv_geometry(x, w, {}, Conv2dFuncOptions().padding(2));
  std::ofstream(file_) << "# comment\n" << record_line("float32", g, "direct fft oaa", "1 1 1");
  load_autotune_cache(file_);
  const AutotuneRecord r = auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2));
  EXPECT_EQ(r.algorithms, (PassAlgorithms{Algorithm::kDirect, Algorithm::kFft, Algorithm::kOverlapAdd}));
  step(true);
  EXPECT_EQ(autotune_cache_size(), 1);
}

TEST_F(Autotune, FilesOfTheEarlierFormatAreIgnoredNotFatal) {
  const std::string path = ::testing::TempDir() + "oaconv_autotune_v1.txt";
  {
    std::ofstream out(path);
    out << "# oaconv autotune cache v1: dtype threads geometry(18: N C O groups H W kh kw sh sw dh dw pt pb pl pr "
           "Ho Wo) : ...\n"
        << "float32 2 4 6 8 1 20 18 5 5 1 1 1 1 2 2 2 2 20 18 : fft direct oaa | 1 1 1 | 0.001 0.002 0.0005 0.0006 "
           "0.001 0.0009 0.002 0.003 0.001 0.004 0.0007 0.0008 | 0.003 -1 0.002 -1 -1\n";
  }
  clear_autotune_cache();
  EXPECT_NO_THROW(load_autotune_cache(path));
  EXPECT_EQ(autotune_cache_size(), 0);
  std::remove(path.c_str());
}

// A file written when the registry had other candidates (its header names their columns) is
// measured again, like the v1 format, not misread column by column.
TEST_F(Autotune, FilesOfOtherCandidatesAreIgnoredNotFatal) {
  const std::string path = ::testing::TempDir() + "oaconv_autotune_four.txt";
  {
    std::ofstream out(path);
    out << "# oaconv autotune cache v2: dtype threads geometry(...) : forward grad_input grad_weight | measured(3) | "
           "seconds (pass x aten,direct,fft,oaa) | whole-step seconds (aten,direct,fft,oaa) mix\n"
        << "float32 2 2 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 : aten aten aten | 1 1 1 | "
           "1 2 3 4 1 2 3 4 1 2 3 4 | -1 -1 -1 -1 -1\n";
  }
  clear_autotune_cache();
  EXPECT_NO_THROW(load_autotune_cache(path));
  EXPECT_EQ(autotune_cache_size(), 0);
  std::remove(path.c_str());
}

TEST_F(Autotune, MalformedFilesNameThePathAndLine) {
  expect_load_error("float32 2 1 2 3 : aten aten aten | 1 1 1 | 1 1 1 1 1 1 1 1 1 1 1 1 | 1 1 1 1 1\n", "line 1: the key must be");
  expect_load_error("# ok\nfloat32 2 2 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 : aten tiled aten | 1 1 1 | 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 | 1 1 1 1 1 1\n",
                    "line 2: unknown algorithm");
  expect_load_error("float32 2 2 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 : aten aten aten | 1 1 1 | 1 1\n", "line 1: malformed record");
  expect_load_error("garbage\n", "line 1: expected 'KEY : forward grad_input grad_weight");
  try {
    load_autotune_cache("/no/such/oaconv_autotune.txt");
    ADD_FAILURE();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("cannot read '/no/such/oaconv_autotune.txt'"), std::string::npos);
  }
}

// On 8x8 with a 7x7 kernel oaa's best tiling is fft's single 15x15 tile: the same code, so it
// is timed once, as fft, in every pass (and the plan and product caches make the choice moot).
TEST_F(Autotune, OverlapAddWithFftsTilingIsTimedOnceAsFft) {
  const auto options = Conv2dFuncOptions().padding(3);
  const ConvGeometry g = make_conv_geometry(at::empty({2, 4, 8, 8}), at::empty({6, 4, 7, 7}), {}, options, "test");
  ASSERT_EQ(fft::choose_tiling(Algorithm::kOverlapAdd, g, at::get_num_threads()),
            fft::choose_tiling(Algorithm::kFft, g, at::get_num_threads()));
  const at::Tensor x = at::randn({2, 4, 8, 8}).requires_grad_(true);
  const at::Tensor w = at::randn({6, 4, 7, 7}).requires_grad_(true);
  oaconv::conv2d(x, w, {}, Conv2dFuncOptions(options).algorithm(Algorithm::kAuto)).sum().backward();
  const AutotuneRecord r = auto_pass_algorithms({2, 4, 8, 8}, {6, 4, 7, 7}, options);
  ASSERT_TRUE(r.measured);
  for (int pass = 0; pass < autotune::kPasses; ++pass) {
    EXPECT_LT(r.seconds[pass][autotune::candidate_index(Algorithm::kOverlapAdd)], 0) << "pass " << pass;
  }
  EXPECT_NE(r.algorithms.forward, Algorithm::kOverlapAdd);
  EXPECT_NE(explain_conv2d({2, 4, 8, 8}, {6, 4, 7, 7}, Conv2dFuncOptions(options).algorithm(Algorithm::kAuto))
                .find("oaa's tiling is fft's"),
            std::string::npos);
}

// When the cost model leaves one candidate in every pass (a dense k31 layer on 64x64: fft; aten
// over 10x, direct over 4x, oaa's tiling fft's one tile), timing it could not change the choice:
// it is taken untimed, and its record and explain say so. (k21 on 40x40 left direct within 4x
// where the vectors are 8 floats, AVX2.)
TEST_F(Autotune, TheOnlyCandidateIsChosenWithoutTiming) {
  const auto options = Conv2dFuncOptions().padding(15);
  const PassTimes model = modelled_pass_seconds({2, 4, 64, 64}, {4, 4, 31, 31}, options, at::get_num_threads());
  const int fft = autotune::candidate_index(Algorithm::kFft);
  const ConvGeometry g = make_conv_geometry(at::empty({2, 4, 64, 64}), at::empty({4, 4, 31, 31}), {}, options, "test");
  ASSERT_EQ(fft::choose_tiling(Algorithm::kOverlapAdd, g, at::get_num_threads()),
            fft::choose_tiling(Algorithm::kFft, g, at::get_num_threads()));
  for (int pass = 0; pass < autotune::kPasses; ++pass) {
    for (int c = 0; c < autotune::kCandidates; ++c) {
      if (c == fft || autotune::candidate(c) == Algorithm::kOverlapAdd || model[pass][c] < 0) continue;
      ASSERT_GT(model[pass][c], (autotune::candidate(c) == Algorithm::kAten ? 10 : 4) * model[pass][fft])
          << "the model leaves " << to_string(autotune::candidate(c)) << " in pass " << pass;
    }
  }
  const at::Tensor x = at::randn({2, 4, 64, 64}).requires_grad_(true);
  const at::Tensor w = at::randn({4, 4, 31, 31}).requires_grad_(true);
  const at::Tensor y = oaconv::conv2d(x, w, {}, Conv2dFuncOptions(options).algorithm(Algorithm::kAuto));
  EXPECT_LE(relative_error(y, at::conv2d(x, w, {}, 1, 15)), 5e-5);
  y.sum().backward();
  const AutotuneRecord r = auto_pass_algorithms({2, 4, 64, 64}, {4, 4, 31, 31}, options);
  ASSERT_TRUE(r.measured);
  EXPECT_EQ(r.algorithms, (PassAlgorithms{Algorithm::kFft, Algorithm::kFft, Algorithm::kFft}));
  for (int pass = 0; pass < autotune::kPasses; ++pass) {
    for (int c = 0; c < autotune::kCandidates; ++c) {
      EXPECT_EQ(r.seconds[pass][c], c == fft ? kOnlyCandidateNotTimed : -1) << "pass " << pass << " candidate " << c;
    }
  }
  for (double t : r.step_seconds) EXPECT_LT(t, 0);
  EXPECT_NE(explain_conv2d({2, 4, 64, 64}, {4, 4, 31, 31}, Conv2dFuncOptions(options).algorithm(Algorithm::kAuto))
                .find("     only"),
            std::string::npos);
  // A layer the model leaves several candidates for is timed as before.
  step(true);
  const AutotuneRecord timed = auto_pass_algorithms({4, 6, 20, 18}, {8, 6, 5, 5}, Conv2dFuncOptions().padding(2));
  for (const auto& pass : timed.seconds) {
    for (double t : pass) EXPECT_NE(t, kOnlyCandidateNotTimed);
  }
}

// Whenever whole steps decide, the algorithm fastest in every pass has its own step among them:
// else any timed step outranked it untimed (direct, fastest in every pass of a grouped k3 layer
// with 2 channels a group, lost to fft's slower step). Checked on every record, whatever the
// timings were: grouped, depthwise and dense layers.
TEST_F(Autotune, ThePerPassFastestAlgorithmHasItsStepWhenStepsDecide) {
  struct Layer {
    std::vector<int64_t> input, weight;
    int64_t padding, groups;
  };
  const std::vector<Layer> layers = {{{4, 128, 56, 56}, {128, 2, 3, 3}, 1, 64},
                                     {{4, 32, 28, 28}, {32, 2, 3, 3}, 1, 16},
                                     {{4, 16, 24, 24}, {16, 1, 7, 7}, 3, 16},
                                     {{2, 8, 32, 32}, {8, 8, 9, 9}, 4, 1},
                                     {{4, 16, 20, 20}, {16, 16, 3, 3}, 1, 1}};
  for (const Layer& l : layers) {
    const auto options = Conv2dFuncOptions().padding(l.padding).groups(l.groups);
    const at::Tensor x = at::randn(l.input).requires_grad_(true);
    const at::Tensor w = at::randn(l.weight).requires_grad_(true);
    oaconv::conv2d(x, w, {}, Conv2dFuncOptions(options).algorithm(Algorithm::kAuto)).sum().backward();
    const AutotuneRecord r = auto_pass_algorithms(l.input, l.weight, options);
    ASSERT_TRUE(r.measured);
    bool any_step = false;
    for (double t : r.step_seconds) any_step = any_step || t >= 0;
    const PassAlgorithms fastest = per_pass_fastest(r.seconds, 0.03);
    if (!any_step || !(fastest.forward == fastest.grad_input && fastest.forward == fastest.grad_weight)) continue;
    EXPECT_GE(r.step_seconds[autotune::candidate_index(fastest.forward)], 0)
        << to_string(fastest.forward) << " is fastest in every pass of groups " << l.groups << " k" << l.weight[2]
        << " but its step was not timed";
  }
}

TEST(SpectralTiling, NamesEachAlgorithmsTilingAndRejectsOthers) {
  const auto options = Conv2dFuncOptions().padding(3);
  EXPECT_EQ(spectral_tiling({2, 4, 8, 8}, {6, 4, 7, 7}, options, Algorithm::kFft), "1x1 tiles of 8x8 at FFT 15x15");
  EXPECT_EQ(spectral_tiling({2, 4, 8, 8}, {6, 4, 7, 7}, options, Algorithm::kOverlapAdd),
            spectral_tiling({2, 4, 8, 8}, {6, 4, 7, 7}, options, Algorithm::kFft));
  // A large image with a small kernel: oaa cuts it into tiles, fft does not.
  EXPECT_NE(spectral_tiling({1, 16, 512, 512}, {16, 16, 3, 3}, Conv2dFuncOptions().padding(1), Algorithm::kOverlapAdd)
                .rfind("1x1 tiles", 0),
            0u);
  try {
    spectral_tiling({2, 4, 8, 8}, {6, 4, 7, 7}, options, Algorithm::kAten);
    ADD_FAILURE() << "no error for aten";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what_without_backtrace()).find("oaconv::spectral_tiling: expected fft or oaa, but got aten"),
              std::string::npos)
        << e.what_without_backtrace();
  }
}

TEST_F(Autotune, OffMeansTheCostModelAndNoMeasuring) {
  set_autotune(false);
  EXPECT_FALSE(autotune_enabled());
  step(true);
  EXPECT_EQ(autotune_cache_size(), 0);
}

// Run by CTest a second time with OACONV_AUTOTUNE_CACHE set (test_autotune_cache_file).
TEST(AutotuneEnvironment, CacheFileIsWrittenAfterMeasuring) {
  const char* path = std::getenv("OACONV_AUTOTUNE_CACHE");
  if (path == nullptr) GTEST_SKIP() << "OACONV_AUTOTUNE_CACHE not set";
  std::filesystem::remove(path);
  oaconv::conv2d(at::randn({3, 5, 17, 19}), at::randn({7, 5, 3, 3}), {}, Conv2dFuncOptions().padding(1));
  std::ifstream in(path);
  std::string header, record;
  std::getline(in, header);
  std::getline(in, record);
  EXPECT_EQ(header.rfind("# oaconv autotune cache v2", 0), 0u) << header;
  EXPECT_EQ(record.rfind("float32 " + std::to_string(at::get_num_threads()) + " 2 0 3 5 7 1 17 3", 0), 0u) << record;
}

}  // namespace
}  // namespace oaconv
