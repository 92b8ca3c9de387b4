// oaconv::Conv2d against torch::nn::Conv2d: defaults, parameter shapes, initialisation,
// porting an existing conv (shared parameters), padding modes, and set_algorithm on a model.
#include "conv_cases.h"
#include "test_support.h"

#include <oaconv/conv2d.h>

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/module.h>

#include <sstream>

namespace oaconv::testing {
namespace {

class ConvModule : public SeededTest {};

TEST_F(ConvModule, DefaultsAndParameterShapesMatchTorch) {
  oaconv::Conv2d ours(Conv2dOptions(6, 8, {3, 5}).groups(2));
  torch::nn::Conv2d theirs(torch::nn::Conv2dOptions(6, 8, {3, 5}).groups(2));
  EXPECT_EQ(ours->weight.sizes(), theirs->weight.sizes());
  EXPECT_EQ(ours->bias.sizes(), theirs->bias.sizes());
  EXPECT_EQ(*ours->options.stride(), *theirs->options.stride());
  EXPECT_EQ(*ours->options.dilation(), *theirs->options.dilation());
  EXPECT_TRUE(ours->options.bias());
  EXPECT_EQ(ours->options.algorithm(), Algorithm::kAuto);
  EXPECT_EQ(ours->named_parameters().size(), theirs->named_parameters().size());
  EXPECT_TRUE(ours->named_parameters().contains("weight"));
  EXPECT_TRUE(ours->named_parameters().contains("bias"));

  oaconv::Conv2d no_bias(Conv2dOptions(2, 3, 3).bias(false));
  EXPECT_FALSE(no_bias->bias.defined());
  EXPECT_EQ(no_bias->parameters().size(), 1u);
}

TEST_F(ConvModule, InitialisationEqualsTorchForTheSameSeed) {
  at::manual_seed(123);
  torch::nn::Conv2d theirs(torch::nn::Conv2dOptions(4, 7, 5));
  at::manual_seed(123);
  oaconv::Conv2d ours(Conv2dOptions(4, 7, 5));
  EXPECT_TRUE(ours->weight.equal(theirs->weight));
  EXPECT_TRUE(ours->bias.equal(theirs->bias));
}

TEST_F(ConvModule, MadeFromTorchConvSharesParametersAndGivesTheSameResults) {
  torch::nn::Conv2d theirs(torch::nn::Conv2dOptions(3, 5, {3, 4}).stride(2).padding(1).dilation({1, 2}));
  theirs->to(at::kDouble);
  oaconv::Conv2d ours(theirs, Algorithm::kDirect);
  EXPECT_EQ(ours->algorithm(), Algorithm::kDirect);
  EXPECT_TRUE(ours->weight.is_same(theirs->weight));
  EXPECT_TRUE(ours->bias.is_same(theirs->bias));

  const at::Tensor x = at::randn({2, 3, 15, 14}, at::kDouble);
  const at::Tensor y_ours = ours->forward(x);
  const at::Tensor y_theirs = theirs->forward(x);
  EXPECT_LE(relative_error(y_ours, y_theirs), 1e-10);
  const at::Tensor gy = at::randn(y_ours.sizes(), y_ours.options());
  y_ours.backward(gy);
  const at::Tensor gw_ours = theirs->weight.grad().clone();
  const at::Tensor gb_ours = theirs->bias.grad().clone();
  theirs->zero_grad();
  y_theirs.backward(gy);
  EXPECT_LE(relative_error(gw_ours, theirs->weight.grad()), 1e-10);
  EXPECT_LE(relative_error(gb_ours, theirs->bias.grad()), 1e-10);

  // An in-place update through one is seen by the other.
  {
    at::NoGradGuard no_grad;
    theirs->weight.add_(1.0);
  }
  EXPECT_LE(relative_error(ours->forward(x), theirs->forward(x)), 1e-10);
}

TEST_F(ConvModule, PaddingModesMatchTorch) {
  for (auto mode : {torch::nn::detail::conv_padding_mode_t(torch::kReflect),
                    torch::nn::detail::conv_padding_mode_t(torch::kReplicate),
                    torch::nn::detail::conv_padding_mode_t(torch::kCircular)}) {
    torch::nn::Conv2d theirs(torch::nn::Conv2dOptions(2, 3, 3).padding({1, 2}).padding_mode(mode));
    theirs->to(at::kDouble);
    oaconv::Conv2d ours(theirs, Algorithm::kDirect);
    const at::Tensor x = at::randn({2, 2, 9, 10}, at::kDouble);
    EXPECT_LE(relative_error(ours->forward(x), theirs->forward(x)), 1e-10)
        << torch::enumtype::get_enum_name(mode);
  }
}

TEST_F(ConvModule, PrettyPrintShowsTheAlgorithm) {
  oaconv::Conv2d conv(Conv2dOptions(3, 16, 7).padding(3).algorithm(Algorithm::kOverlapAdd));
  std::ostringstream s;
  s << *conv;
  EXPECT_NE(s.str().find("oaconv::Conv2d(3, 16, kernel_size=[7, 7]"), std::string::npos) << s.str();
  EXPECT_NE(s.str().find("algorithm=oaa"), std::string::npos) << s.str();
}

TEST_F(ConvModule, CloneIsADeepCopy) {
  oaconv::Conv2d conv(Conv2dOptions(2, 3, 3).algorithm(Algorithm::kDirect));
  auto copy = std::dynamic_pointer_cast<Conv2dImpl>(conv->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(copy->weight.equal(conv->weight));
  EXPECT_FALSE(copy->weight.is_same(conv->weight));
  EXPECT_EQ(copy->algorithm(), Algorithm::kDirect);
}

TEST_F(ConvModule, BadOptionsNameTheModule) {
  try {
    oaconv::Conv2d(Conv2dOptions(3, 4, 3).groups(2));
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    EXPECT_NE(msg.find("oaconv::Conv2d"), std::string::npos) << msg;
    EXPECT_NE(msg.find("in_channels (3) must be divisible by groups (2)"), std::string::npos) << msg;
  }
}

struct Block : torch::nn::Module {
  Block() {
    a = register_module("a", oaconv::Conv2d(Conv2dOptions(4, 4, 3).padding(1)));
    inner = register_module("inner", torch::nn::Sequential(oaconv::Conv2d(Conv2dOptions(4, 4, 5).padding(2)),
                                                           torch::nn::ReLU()));
    plain = register_module("plain", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 4, 1)));
  }
  oaconv::Conv2d a{nullptr};
  torch::nn::Sequential inner{nullptr};
  torch::nn::Conv2d plain{nullptr};
};

TEST_F(ConvModule, SetAlgorithmSwitchesEveryOaconvConvAtAnyDepth) {
  auto model = std::make_shared<torch::nn::Module>();
  model->register_module("first", oaconv::Conv2d(Conv2dOptions(3, 4, 3).padding(1)));
  model->register_module("block", std::make_shared<Block>());
  EXPECT_EQ(set_algorithm(*model, Algorithm::kDirect), 3);
  int direct = 0;
  for (const auto& m : model->modules(/*include_self=*/false)) {
    if (auto* conv = dynamic_cast<Conv2dImpl*>(m.get())) {
      EXPECT_EQ(conv->algorithm(), Algorithm::kDirect);
      ++direct;
    }
  }
  EXPECT_EQ(direct, 3);
  // A lone layer switches itself.
  oaconv::Conv2d lone(Conv2dOptions(1, 1, 1));
  EXPECT_EQ(set_algorithm(*lone, Algorithm::kAten), 1);
  EXPECT_EQ(lone->algorithm(), Algorithm::kAten);
}

}  // namespace
}  // namespace oaconv::testing
