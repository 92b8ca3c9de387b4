// oaconv::Conv2d, mirroring torch::nn::Conv2dImpl (torch/csrc/api/src/nn/modules/conv.cpp):
// same checks, same parameter registration and initialisation, same padding modes.
#include <oaconv/conv2d.h>

#include "variant_compat.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/init.h>

#include <cmath>

namespace oaconv {
namespace {

Conv2dOptions options_from(const torch::nn::detail::ConvNdOptions<2>& o, Algorithm algorithm) {
  return Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
      .stride(o.stride())
      .padding(o.padding())
      .dilation(o.dilation())
      .groups(o.groups())
      .bias(o.bias())
      .padding_mode(o.padding_mode())
      .algorithm(algorithm);
}

}  // namespace

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(std::move(options_)) { reset(); }

Conv2dImpl::Conv2dImpl(const torch::nn::Conv2d& from, Algorithm algorithm)
    : options(options_from(from->options, algorithm)) {
  TORCH_CHECK(!from->options.transposed(), "oaconv::Conv2d: cannot be made from a transposed convolution");
  weight = register_parameter("weight", from->weight);
  if (from->bias.defined()) {
    bias = register_parameter("bias", from->bias);
  } else {
    bias = register_parameter("bias", at::Tensor(), /*requires_grad=*/false);
  }
}

void Conv2dImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.in_channels() > 0 && o.groups() > 0 && o.out_channels() > 0,
              "oaconv::Conv2d: in_channels, groups and out_channels must be positive, but got in_channels=",
              o.in_channels(), ", out_channels=", o.out_channels(), ", groups=", o.groups());
  TORCH_CHECK(o.in_channels() % o.groups() == 0, "oaconv::Conv2d: in_channels (", o.in_channels(),
              ") must be divisible by groups (", o.groups(), ")");
  TORCH_CHECK(o.out_channels() % o.groups() == 0, "oaconv::Conv2d: out_channels (", o.out_channels(),
              ") must be divisible by groups (", o.groups(), ")");
  for (int64_t k : *o.kernel_size()) {
    TORCH_CHECK(k > 0, "oaconv::Conv2d: kernel_size must be positive, but got ", o.kernel_size());
  }
  if (variant_holds<torch::enumtype::kSame>(o.padding())) {
    for (int64_t s : *o.stride()) {
      TORCH_CHECK(s == 1, "oaconv::Conv2d: padding='same' is not supported for strided convolutions (stride=",
                  o.stride(), ")");
    }
  }
  weight = register_parameter(
      "weight", torch::empty({o.out_channels(), o.in_channels() / o.groups(), (*o.kernel_size())[0],
                              (*o.kernel_size())[1]}));
  if (o.bias()) {
    bias = register_parameter("bias", torch::empty({o.out_channels()}));
  } else {
    bias = register_parameter("bias", at::Tensor(), /*requires_grad=*/false);
  }
  reset_parameters();
}

void Conv2dImpl::reset_parameters() {
  torch::nn::init::kaiming_uniform_(weight, /*a=*/std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::get<0>(fans)));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  stream << "oaconv::Conv2d(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride();
  if (variant_holds<torch::enumtype::kSame>(options.padding())) {
    stream << ", padding='same'";
  } else if (variant_holds<torch::enumtype::kValid>(options.padding())) {
    stream << ", padding='valid'";
  } else {
    stream << ", padding=" << *variant_get_if<torch::ExpandingArray<2>>(options.padding());
  }
  if (*options.dilation() != *torch::ExpandingArray<2>(1)) stream << ", dilation=" << options.dilation();
  if (options.groups() != 1) stream << ", groups=" << options.groups();
  if (!options.bias()) stream << ", bias=false";
  if (!variant_holds<torch::enumtype::kZeros>(options.padding_mode())) {
    stream << ", padding_mode=" << torch::enumtype::get_enum_name(options.padding_mode());
  }
  stream << ", algorithm=" << to_string(options.algorithm()) << ")";
}

at::Tensor Conv2dImpl::forward(const at::Tensor& input) {
  Conv2dFuncOptions f;
  f.stride(options.stride()).dilation(options.dilation()).groups(options.groups()).algorithm(options.algorithm());
  if (variant_holds<torch::enumtype::kZeros>(options.padding_mode())) {
    f.padding(options.padding());
    return conv2d(input, weight, bias, f);
  }
  // reflect / replicate / circular: pad explicitly, then a convolution without padding,
  // exactly as torch::nn::Conv2d does.
  TORCH_CHECK(!variant_holds<torch::enumtype::kSame>(options.padding()) &&
                  !variant_holds<torch::enumtype::kValid>(options.padding()),
              "oaconv::Conv2d: padding_mode other than zeros needs explicit integer padding");
  const auto& p = **variant_get_if<torch::ExpandingArray<2>>(options.padding());
  namespace F = torch::nn::functional;
  F::PadFuncOptions::mode_t mode;
  if (variant_holds<torch::enumtype::kReflect>(options.padding_mode())) mode = torch::kReflect;
  else if (variant_holds<torch::enumtype::kReplicate>(options.padding_mode())) mode = torch::kReplicate;
  else mode = torch::kCircular;
  const at::Tensor padded = F::pad(input, F::PadFuncOptions({p[1], p[1], p[0], p[0]}).mode(mode));
  f.padding(0);
  return conv2d(padded, weight, bias, f);
}

int set_algorithm(torch::nn::Module& model, Algorithm algorithm) {
  int switched = 0;
  if (auto* self = dynamic_cast<Conv2dImpl*>(&model)) {
    self->set_algorithm(algorithm);
    ++switched;
  }
  for (const auto& child : model.modules(/*include_self=*/false)) {
    if (auto* conv = dynamic_cast<Conv2dImpl*>(child.get())) {
      conv->set_algorithm(algorithm);
      ++switched;
    }
  }
  return switched;
}

}  // namespace oaconv
