// oaconv::Conv1d, Conv3d and ConvTranspose1d/2d/3d against their torch::nn twins: the same
// parameters for the same seed, ported modules sharing parameters and giving torch's results
// and gradients, padding modes, output_size, errors, and set_algorithm over every kind.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/conv.h>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

#include <sstream>

namespace oaconv::testing {
namespace {

class ConvNdModule : public SeededTest {};

// Output and every gradient of ours and torch's module on the same input (shared parameters).
template <typename Ours, typename Torch, typename... Extra>
void expect_same_training_step(Ours& ours, Torch& torch_module, const at::Tensor& input, Extra... extra) {
  const at::Tensor x1 = input.clone().requires_grad_(true), x2 = input.clone().requires_grad_(true);
  const at::Tensor expect = torch_module->forward(x2, extra...);
  const at::Tensor gy = at::randn(expect.sizes(), expect.options());
  expect.backward(gy);
  const at::Tensor w_grad = torch_module->weight.grad().clone(), b_grad = torch_module->bias.grad().clone();
  torch_module->weight.mutable_grad().zero_();
  torch_module->bias.mutable_grad().zero_();
  const at::Tensor got = ours->forward(x1, extra...);
  got.backward(gy);
  ASSERT_EQ(got.sizes(), expect.sizes());
  EXPECT_LE(relative_error(got, expect), 5e-5) << "output";
  EXPECT_LE(relative_error(x1.grad(), x2.grad()), 5e-5) << "grad input";
  EXPECT_LE(relative_error(ours->weight.grad(), w_grad), 5e-5) << "grad weight";
  EXPECT_LE(relative_error(ours->bias.grad(), b_grad), 5e-5) << "grad bias";
}

TEST_F(ConvNdModule, InitialisationEqualsTorchForTheSameSeed) {
  at::manual_seed(7);
  oaconv::Conv1d c1(Conv1dOptions(4, 6, 5).groups(2));
  at::manual_seed(7);
  torch::nn::Conv1d t1(torch::nn::Conv1dOptions(4, 6, 5).groups(2));
  EXPECT_TRUE(c1->weight.equal(t1->weight));
  EXPECT_TRUE(c1->bias.equal(t1->bias));
  at::manual_seed(8);
  oaconv::ConvTranspose3d c3(ConvTranspose3dOptions(4, 6, {3, 2, 3}).groups(2).stride(2));
  at::manual_seed(8);
  torch::nn::ConvTranspose3d t3(torch::nn::ConvTranspose3dOptions(4, 6, {3, 2, 3}).groups(2).stride(2));
  EXPECT_EQ(c3->weight.sizes(), t3->weight.sizes());
  EXPECT_TRUE(c3->weight.equal(t3->weight));
  EXPECT_TRUE(c3->bias.equal(t3->bias));
}

TEST_F(ConvNdModule, PortedModulesShareParametersAndTrainAsTorch) {
  for (Algorithm a : every_algorithm()) {
    SCOPED_TRACE(to_string(a));
    torch::nn::Conv1d t1(torch::nn::Conv1dOptions(3, 4, 9).padding(4).dilation(2));
    oaconv::Conv1d o1(t1, a);
    EXPECT_TRUE(o1->weight.is_same(t1->weight));
    expect_same_training_step(o1, t1, at::randn({2, 3, 40}));

    torch::nn::Conv3d t3(torch::nn::Conv3dOptions(2, 3, 3).padding(1).stride({1, 2, 1}));
    oaconv::Conv3d o3(t3, a);
    expect_same_training_step(o3, t3, at::randn({1, 2, 6, 7, 5}));

    torch::nn::ConvTranspose2d tt(torch::nn::ConvTranspose2dOptions(4, 2, 4).stride(2).padding(1));
    oaconv::ConvTranspose2d ot(tt, a);
    EXPECT_TRUE(ot->weight.is_same(tt->weight));
    expect_same_training_step(ot, tt, at::randn({2, 4, 7, 6}));

    torch::nn::ConvTranspose1d tt1(torch::nn::ConvTranspose1dOptions(3, 5, 7).stride(3).padding(2));
    oaconv::ConvTranspose1d ot1(tt1, a);
    // output_size picks output_padding (here 2): the same rule as torch's.
    const std::vector<int64_t> size{38};
    expect_same_training_step(ot1, tt1, at::randn({2, 3, 12}), c10::optional<at::IntArrayRef>(size));
  }
}

TEST_F(ConvNdModule, PaddingModesMatchTorch) {
  for (auto mode : {torch::nn::detail::conv_padding_mode_t(torch::kReflect),
                    torch::nn::detail::conv_padding_mode_t(torch::kReplicate),
                    torch::nn::detail::conv_padding_mode_t(torch::kCircular)}) {
    torch::nn::Conv1d t(torch::nn::Conv1dOptions(2, 3, 5).padding(2).padding_mode(mode));
    oaconv::Conv1d o(t, Algorithm::kOverlapAdd);
    expect_same_training_step(o, t, at::randn({2, 2, 30}));
    // 'same' with an even kernel pads one more at the end, in every mode.
    torch::nn::Conv1d ts(torch::nn::Conv1dOptions(2, 3, 4).padding(torch::kSame).padding_mode(mode));
    oaconv::Conv1d os(ts, Algorithm::kFft);
    expect_same_training_step(os, ts, at::randn({2, 2, 30}));
  }
}

std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST_F(ConvNdModule, BadOptionsAndOutputSizesNameTheModuleAndTheRule) {
  std::string msg = error_of([] { oaconv::Conv3d(Conv3dOptions(3, 4, 3).groups(2)); });
  EXPECT_NE(msg.find("oaconv::Conv3d: in_channels (3) must be divisible by groups (2)"), std::string::npos) << msg;
  msg = error_of([] { oaconv::ConvTranspose2d(ConvTranspose2dOptions(2, 2, 3).padding_mode(torch::kReflect)); });
  EXPECT_NE(msg.find("oaconv::ConvTranspose2d: only padding_mode=zeros"), std::string::npos) << msg;
  oaconv::ConvTranspose2d up(ConvTranspose2dOptions(2, 2, 3).stride(2).padding(1));
  const std::vector<int64_t> too_big{20, 20};
  msg = error_of([&] { up->forward(at::randn({1, 2, 8, 8}), c10::optional<at::IntArrayRef>(too_big)); });
  EXPECT_NE(msg.find("requested an output size of [20, 20], but valid sizes range from [15, 15] to [16, 16]"),
            std::string::npos)
      << msg;
  const std::vector<int64_t> wrong_rank{16};
  msg = error_of([&] { up->forward(at::randn({1, 2, 8, 8}), c10::optional<at::IntArrayRef>(wrong_rank)); });
  EXPECT_NE(msg.find("output_size must have 2 or 4 elements"), std::string::npos) << msg;
}

TEST_F(ConvNdModule, PrettyPrintNamesTheKindAndTheAlgorithm) {
  std::ostringstream s;
  oaconv::ConvTranspose1d(ConvTranspose1dOptions(3, 5, 7).stride(3).output_padding(1).algorithm(Algorithm::kOverlapAdd))
      ->pretty_print(s);
  EXPECT_EQ(s.str(), "oaconv::ConvTranspose1d(3, 5, kernel_size=7, stride=3, padding=0, output_padding=1, "
                     "algorithm=oaa)");
}

TEST_F(ConvNdModule, SetAlgorithmSwitchesEveryKindAndClonesStayDeep) {
  torch::nn::Sequential model(oaconv::Conv1d(Conv1dOptions(1, 2, 3)), oaconv::Conv2d(Conv2dOptions(2, 2, 3)),
                              oaconv::Conv3d(Conv3dOptions(2, 2, 3)), oaconv::ConvTranspose1d(ConvTranspose1dOptions(2, 2, 3)),
                              oaconv::ConvTranspose2d(ConvTranspose2dOptions(2, 2, 3)),
                              oaconv::ConvTranspose3d(ConvTranspose3dOptions(2, 2, 3)));
  EXPECT_EQ(set_algorithm(*model, Algorithm::kFft), 6);
  for (const auto& m : model->modules(/*include_self=*/false)) {
    auto* layer = dynamic_cast<ConvLayer*>(m.get());
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->algorithm(), Algorithm::kFft);
  }
  oaconv::ConvTranspose2d t(ConvTranspose2dOptions(2, 3, 3));
  auto copy = std::dynamic_pointer_cast<ConvTranspose2dImpl>(t->clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(copy->weight.equal(t->weight));
  EXPECT_FALSE(copy->weight.is_same(t->weight));
}

}  // namespace
}  // namespace oaconv::testing
