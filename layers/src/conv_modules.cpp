// oaconv's convolution modules, mirroring torch::nn::ConvNdImpl and ConvTransposeNdImpl
// (torch/csrc/api/src/nn/modules/conv.cpp): same checks, same parameter registration and
// initialisation, same padding modes and output_size rule.
#include <oaconv/conv.h>

#include "variant_compat.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/init.h>

#include <cmath>
#include <string>
#include <vector>

namespace oaconv {
namespace {

template <size_t D>
std::string module_name(bool transposed) {
  return std::string("oaconv::") + (transposed ? "ConvTranspose" : "Conv") + std::to_string(D) + "d";
}

template <size_t D>
at::Tensor call_conv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvFuncOptions<D>& o) {
  if constexpr (D == 1) return conv1d(x, w, b, o);
  if constexpr (D == 2) return conv2d(x, w, b, o);
  if constexpr (D == 3) return conv3d(x, w, b, o);
}

template <size_t D>
at::Tensor call_conv_transpose(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                               const ConvTransposeFuncOptions<D>& o) {
  if constexpr (D == 1) return conv_transpose1d(x, w, b, o);
  if constexpr (D == 2) return conv_transpose2d(x, w, b, o);
  if constexpr (D == 3) return conv_transpose3d(x, w, b, o);
}

// Checks shared by both kinds (torch's ConvNdImpl::reset).
template <size_t D>
void check_channels_and_kernel(const std::string& name, int64_t in_channels, int64_t out_channels, int64_t groups,
                               const torch::ExpandingArray<D>& kernel_size) {
  TORCH_CHECK(in_channels > 0 && groups > 0 && out_channels > 0, name,
              ": in_channels, groups and out_channels must be positive, but got in_channels=", in_channels,
              ", out_channels=", out_channels, ", groups=", groups);
  TORCH_CHECK(in_channels % groups == 0, name, ": in_channels (", in_channels, ") must be divisible by groups (",
              groups, ")");
  TORCH_CHECK(out_channels % groups == 0, name, ": out_channels (", out_channels, ") must be divisible by groups (",
              groups, ")");
  for (int64_t k : *kernel_size) {
    TORCH_CHECK(k > 0, name, ": kernel_size must be positive, but got ", kernel_size);
  }
}

// Kaiming-uniform(a = sqrt(5)) weight and uniform(+-1/sqrt(fan_in)) bias, as torch::nn.
void initialise(at::Tensor& weight, at::Tensor& bias) {
  torch::nn::init::kaiming_uniform_(weight, /*a=*/std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = 1.0 / std::sqrt(static_cast<double>(std::get<0>(fans)));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

template <size_t D>
std::vector<int64_t> parameter_sizes(int64_t first, int64_t second, const torch::ExpandingArray<D>& kernel_size) {
  std::vector<int64_t> sizes{first, second};
  sizes.insert(sizes.end(), kernel_size->begin(), kernel_size->end());
  return sizes;
}

// Registers `w` as the module's "weight" and `b` as its "bias" (an undefined `b`: no bias, as
// torch::nn registers it), keeping the registered tensors in weight and bias.
void register_weight_and_bias(torch::nn::Module& module, at::Tensor& weight, at::Tensor& bias, const at::Tensor& w,
                              const at::Tensor& b) {
  weight = module.register_parameter("weight", w);
  bias = b.defined() ? module.register_parameter("bias", b)
                     : module.register_parameter("bias", at::Tensor(), /*requires_grad=*/false);
}

}  // namespace

// ---------------------------------------------------------------- Conv1d, Conv2d, Conv3d

template <size_t D, typename Derived, typename TorchImpl>
ConvNdImpl<D, Derived, TorchImpl>::ConvNdImpl(ConvOptions<D> options_) : options(std::move(options_)) {
  reset();
}

template <size_t D, typename Derived, typename TorchImpl>
ConvNdImpl<D, Derived, TorchImpl>::ConvNdImpl(const torch::nn::ModuleHolder<TorchImpl>& from, Algorithm algorithm)
    : options(ConvOptions<D>(from->options.in_channels(), from->options.out_channels(), from->options.kernel_size())
                  .stride(from->options.stride())
                  .padding(from->options.padding())
                  .dilation(from->options.dilation())
                  .groups(from->options.groups())
                  .bias(from->options.bias())
                  .padding_mode(from->options.padding_mode())
                  .algorithm(algorithm)) {
  register_weight_and_bias(*this, weight, bias, from->weight, from->bias);
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvNdImpl<D, Derived, TorchImpl>::reset() {
  const auto& o = options;
  const std::string name = module_name<D>(false);
  check_channels_and_kernel<D>(name, o.in_channels(), o.out_channels(), o.groups(), o.kernel_size());
  if (variant_holds<torch::enumtype::kSame>(o.padding())) {
    for (int64_t s : *o.stride()) {
      TORCH_CHECK(s == 1, name, ": padding='same' is not supported for strided convolutions (stride=", o.stride(),
                  ")");
    }
  }
  register_weight_and_bias(
      *this, weight, bias,
      torch::empty(parameter_sizes<D>(o.out_channels(), o.in_channels() / o.groups(), o.kernel_size())),
      o.bias() ? torch::empty({o.out_channels()}) : at::Tensor());
  reset_parameters();
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvNdImpl<D, Derived, TorchImpl>::reset_parameters() {
  initialise(weight, bias);
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvNdImpl<D, Derived, TorchImpl>::pretty_print(std::ostream& stream) const {
  stream << module_name<D>(false) << "(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride();
  if (variant_holds<torch::enumtype::kSame>(options.padding())) {
    stream << ", padding='same'";
  } else if (variant_holds<torch::enumtype::kValid>(options.padding())) {
    stream << ", padding='valid'";
  } else {
    stream << ", padding=" << *variant_get_if<torch::ExpandingArray<D>>(options.padding());
  }
  if (*options.dilation() != *torch::ExpandingArray<D>(1)) stream << ", dilation=" << options.dilation();
  if (options.groups() != 1) stream << ", groups=" << options.groups();
  if (!options.bias()) stream << ", bias=false";
  if (!variant_holds<torch::enumtype::kZeros>(options.padding_mode())) {
    stream << ", padding_mode=" << torch::enumtype::get_enum_name(options.padding_mode());
  }
  stream << ", algorithm=" << to_string(options.algorithm()) << ")";
}

template <size_t D, typename Derived, typename TorchImpl>
at::Tensor ConvNdImpl<D, Derived, TorchImpl>::forward(const at::Tensor& input) {
  ConvFuncOptions<D> f;
  f.stride(options.stride()).dilation(options.dilation()).groups(options.groups()).algorithm(options.algorithm());
  if (variant_holds<torch::enumtype::kZeros>(options.padding_mode())) {
    f.padding(options.padding());
    return call_conv<D>(input, weight, bias, f);
  }
  // reflect / replicate / circular: pad explicitly (last axis first, each side its own amount,
  // 'same' split as torch splits it), then a convolution without padding, as torch::nn does.
  TORCH_CHECK(!variant_holds<torch::enumtype::kValid>(options.padding()), module_name<D>(false),
              ": padding='valid' pads nothing, so it takes padding_mode=zeros");
  std::vector<int64_t> pad;
  for (int a = static_cast<int>(D) - 1; a >= 0; --a) {
    if (const auto* p = variant_get_if<torch::ExpandingArray<D>>(options.padding())) {
      pad.insert(pad.end(), {(**p)[a], (**p)[a]});
    } else {  // 'same': d (k - 1) in all, the smaller half first
      const int64_t total = (*options.dilation())[a] * ((*options.kernel_size())[a] - 1);
      pad.insert(pad.end(), {total / 2, total - total / 2});
    }
  }
  namespace F = torch::nn::functional;
  F::PadFuncOptions::mode_t mode;
  if (variant_holds<torch::enumtype::kReflect>(options.padding_mode())) mode = torch::kReflect;
  else if (variant_holds<torch::enumtype::kReplicate>(options.padding_mode())) mode = torch::kReplicate;
  else mode = torch::kCircular;
  const at::Tensor padded = F::pad(input, F::PadFuncOptions(pad).mode(mode));
  f.padding(0);
  return call_conv<D>(padded, weight, bias, f);
}

// ------------------------------------------- ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

template <size_t D, typename Derived, typename TorchImpl>
ConvTransposeNdImpl<D, Derived, TorchImpl>::ConvTransposeNdImpl(ConvTransposeOptions<D> options_)
    : options(std::move(options_)) {
  reset();
}

template <size_t D, typename Derived, typename TorchImpl>
ConvTransposeNdImpl<D, Derived, TorchImpl>::ConvTransposeNdImpl(const torch::nn::ModuleHolder<TorchImpl>& from,
                                                                Algorithm algorithm)
    : options(ConvTransposeOptions<D>(from->options.in_channels(), from->options.out_channels(),
                                      from->options.kernel_size())
                  .stride(from->options.stride())
                  .padding(*variant_get_if<torch::ExpandingArray<D>>(from->options.padding()))
                  .output_padding(from->options.output_padding())
                  .groups(from->options.groups())
                  .bias(from->options.bias())
                  .dilation(from->options.dilation())
                  .padding_mode(from->options.padding_mode())
                  .algorithm(algorithm)) {
  register_weight_and_bias(*this, weight, bias, from->weight, from->bias);
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvTransposeNdImpl<D, Derived, TorchImpl>::reset() {
  const auto& o = options;
  const std::string name = module_name<D>(true);
  check_channels_and_kernel<D>(name, o.in_channels(), o.out_channels(), o.groups(), o.kernel_size());
  TORCH_CHECK(variant_holds<torch::enumtype::kZeros>(o.padding_mode()), name,
              ": only padding_mode=zeros is supported for transposed convolutions (as in torch), but got ",
              torch::enumtype::get_enum_name(o.padding_mode()));
  register_weight_and_bias(
      *this, weight, bias,
      torch::empty(parameter_sizes<D>(o.in_channels(), o.out_channels() / o.groups(), o.kernel_size())),
      o.bias() ? torch::empty({o.out_channels()}) : at::Tensor());
  reset_parameters();
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvTransposeNdImpl<D, Derived, TorchImpl>::reset_parameters() {
  initialise(weight, bias);
}

template <size_t D, typename Derived, typename TorchImpl>
void ConvTransposeNdImpl<D, Derived, TorchImpl>::pretty_print(std::ostream& stream) const {
  stream << module_name<D>(true) << "(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride()
         << ", padding=" << options.padding();
  if (*options.output_padding() != *torch::ExpandingArray<D>(0)) {
    stream << ", output_padding=" << options.output_padding();
  }
  if (*options.dilation() != *torch::ExpandingArray<D>(1)) stream << ", dilation=" << options.dilation();
  if (options.groups() != 1) stream << ", groups=" << options.groups();
  if (!options.bias()) stream << ", bias=false";
  stream << ", algorithm=" << to_string(options.algorithm()) << ")";
}

template <size_t D, typename Derived, typename TorchImpl>
at::Tensor ConvTransposeNdImpl<D, Derived, TorchImpl>::forward(const at::Tensor& input,
                                                               const c10::optional<at::IntArrayRef>& output_size) {
  const std::string name = module_name<D>(true);
  std::vector<int64_t> output_padding(options.output_padding()->begin(), options.output_padding()->end());
  if (output_size.has_value()) {
    // torch's _output_padding: the output_padding that gives the requested size, which must lie
    // between the smallest output (output_padding 0) and that plus stride - 1.
    TORCH_CHECK(input.dim() == int64_t(D) + 1 || input.dim() == int64_t(D) + 2, name, ": expected a ", D + 1,
                "-D or ", D + 2, "-D input, but got a ", input.dim(), "-D input of size ", input.sizes());
    std::vector<int64_t> wanted(output_size->begin(), output_size->end());
    if (wanted.size() == D + 2) wanted.erase(wanted.begin(), wanted.begin() + 2);
    TORCH_CHECK(wanted.size() == D, name, ": output_size must have ", D, " or ", D + 2, " elements, but got ",
                *output_size);
    const int64_t first_spatial = input.dim() - int64_t(D);
    std::vector<int64_t> smallest(D), largest(D);
    for (size_t a = 0; a < D; ++a) {
      smallest[a] = (input.size(first_spatial + a) - 1) * (*options.stride())[a] - 2 * (*options.padding())[a] +
                    (*options.dilation())[a] * ((*options.kernel_size())[a] - 1) + 1;
      largest[a] = smallest[a] + (*options.stride())[a] - 1;
    }
    for (size_t a = 0; a < D; ++a) {
      TORCH_CHECK(wanted[a] >= smallest[a] && wanted[a] <= largest[a], name, ": requested an output size of ",
                  at::IntArrayRef(wanted), ", but valid sizes range from ", at::IntArrayRef(smallest), " to ",
                  at::IntArrayRef(largest), " (for an input of ", input.sizes().slice(first_spatial), ")");
      output_padding[a] = wanted[a] - smallest[a];
    }
  }
  ConvTransposeFuncOptions<D> f;
  f.stride(options.stride())
      .padding(options.padding())
      .output_padding(torch::ExpandingArray<D>(at::IntArrayRef(output_padding)))
      .groups(options.groups())
      .dilation(options.dilation())
      .algorithm(options.algorithm());
  return call_conv_transpose<D>(input, weight, bias, f);
}

template class ConvNdImpl<1, Conv1dImpl, torch::nn::Conv1dImpl>;
template class ConvNdImpl<2, Conv2dImpl, torch::nn::Conv2dImpl>;
template class ConvNdImpl<3, Conv3dImpl, torch::nn::Conv3dImpl>;
template class ConvTransposeNdImpl<1, ConvTranspose1dImpl, torch::nn::ConvTranspose1dImpl>;
template class ConvTransposeNdImpl<2, ConvTranspose2dImpl, torch::nn::ConvTranspose2dImpl>;
template class ConvTransposeNdImpl<3, ConvTranspose3dImpl, torch::nn::ConvTranspose3dImpl>;

int set_algorithm(torch::nn::Module& model, Algorithm algorithm) {
  int switched = 0;
  if (auto* self = dynamic_cast<ConvLayer*>(&model)) {
    self->set_algorithm(algorithm);
    ++switched;
  }
  for (const auto& child : model.modules(/*include_self=*/false)) {
    if (auto* conv = dynamic_cast<ConvLayer*>(child.get())) {
      conv->set_algorithm(algorithm);
      ++switched;
    }
  }
  return switched;
}

}  // namespace oaconv
