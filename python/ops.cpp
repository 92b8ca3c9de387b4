// oaconv's operators in the dispatcher (namespace `oaconv`: torch.ops.oaconv.* in Python and
// TorchScript, c10::Dispatcher in C++), loaded by the Python package with
// torch.ops.load_library. The convolutions run oaconv's functional API, whose autograd nodes are
// in C++: one operator serves every language, and a scripted model that calls it runs anywhere
// this library is loaded.
//
//   conv(input, weight, bias, stride, padding_kind, padding, dilation, groups, algorithm)
//     conv1d/2d/3d by the weight's rank; padding_kind "explicit" (padding per axis), "same" or
//     "valid" (padding ignored);
//   conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, algorithm)
//     conv_transpose1d/2d/3d, torch's argument order;
//   explain(...), algorithms(), version(), cache_stats(), clear_caches(), set_autotune(on),
//   autotune_enabled().
// Lists of one value are repeated for every axis (as torch's int arguments are).
#include <oaconv/oaconv.h>

#include <torch/library.h>

#include <string>
#include <vector>

namespace oaconv::python_ops {
namespace {

int64_t rank_of_weight(const at::Tensor& weight, const char* op) {
  const int64_t rank = weight.dim() - 2;
  TORCH_CHECK(rank >= 1 && rank <= 3, op, ": expected a weight of 3, 4 or 5 dimensions (rank 1, 2 or 3), but got ",
              weight.dim(), "-D weight of sizes ", weight.sizes());
  return rank;
}

// A list of `rank` values from one value or `rank` of them.
template <size_t D>
torch::ExpandingArray<D> per_axis(c10::IntArrayRef values, const char* op, const char* name) {
  TORCH_CHECK(values.size() == 1 || values.size() == D, op, ": ", name, " must have 1 or ", D,
              " values for a rank-", D, " convolution, but got ", values);
  std::vector<int64_t> v(D, values[0]);
  if (values.size() == D) v.assign(values.begin(), values.end());
  return torch::ExpandingArray<D>(v);
}

Algorithm algorithm_of(c10::string_view name) { return algorithm_from_string(std::string(name)); }

template <size_t D>
ConvFuncOptions<D> conv_options(c10::IntArrayRef stride, c10::string_view padding_kind, c10::IntArrayRef padding,
                                c10::IntArrayRef dilation, int64_t groups, c10::string_view algorithm) {
  const char* op = "oaconv::conv";
  ConvFuncOptions<D> o;
  o.stride(per_axis<D>(stride, op, "stride")).dilation(per_axis<D>(dilation, op, "dilation")).groups(groups);
  if (padding_kind == "same") {
    o.padding(torch::kSame);
  } else if (padding_kind == "valid") {
    o.padding(torch::kValid);
  } else {
    TORCH_CHECK(padding_kind == "explicit", op, ": padding_kind must be 'explicit', 'same' or 'valid', but got '",
                std::string(padding_kind), "'");
    o.padding(per_axis<D>(padding, op, "padding"));
  }
  return o.algorithm(algorithm_of(algorithm));
}

template <size_t D>
ConvTransposeFuncOptions<D> conv_transpose_options(c10::IntArrayRef stride, c10::IntArrayRef padding,
                                                   c10::IntArrayRef output_padding, int64_t groups,
                                                   c10::IntArrayRef dilation, c10::string_view algorithm) {
  const char* op = "oaconv::conv_transpose";
  return ConvTransposeFuncOptions<D>()
      .stride(per_axis<D>(stride, op, "stride"))
      .padding(per_axis<D>(padding, op, "padding"))
      .output_padding(per_axis<D>(output_padding, op, "output_padding"))
      .groups(groups)
      .dilation(per_axis<D>(dilation, op, "dilation"))
      .algorithm(algorithm_of(algorithm));
}

at::Tensor conv(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                c10::IntArrayRef stride, c10::string_view padding_kind, c10::IntArrayRef padding,
                c10::IntArrayRef dilation, int64_t groups, c10::string_view algorithm) {
  const at::Tensor b = bias.value_or(at::Tensor());
  switch (rank_of_weight(weight, "oaconv::conv")) {
    case 1: return conv1d(input, weight, b, conv_options<1>(stride, padding_kind, padding, dilation, groups, algorithm));
    case 2: return conv2d(input, weight, b, conv_options<2>(stride, padding_kind, padding, dilation, groups, algorithm));
    default: return conv3d(input, weight, b, conv_options<3>(stride, padding_kind, padding, dilation, groups, algorithm));
  }
}

at::Tensor conv_transpose(const at::Tensor& input, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                          c10::IntArrayRef stride, c10::IntArrayRef padding, c10::IntArrayRef output_padding,
                          int64_t groups, c10::IntArrayRef dilation, c10::string_view algorithm) {
  const at::Tensor b = bias.value_or(at::Tensor());
  switch (rank_of_weight(weight, "oaconv::conv_transpose")) {
    case 1:
      return conv_transpose1d(input, weight, b,
                              conv_transpose_options<1>(stride, padding, output_padding, groups, dilation, algorithm));
    case 2:
      return conv_transpose2d(input, weight, b,
                              conv_transpose_options<2>(stride, padding, output_padding, groups, dilation, algorithm));
    default:
      return conv_transpose3d(input, weight, b,
                              conv_transpose_options<3>(stride, padding, output_padding, groups, dilation, algorithm));
  }
}

// explain_conv for a convolution (transposed: false) or a transposed one of these sizes.
std::string explain(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, c10::IntArrayRef stride,
                    c10::string_view padding_kind, c10::IntArrayRef padding, c10::IntArrayRef dilation, int64_t groups,
                    bool transposed, c10::IntArrayRef output_padding, c10::string_view algorithm,
                    bool channels_last) {
  const int64_t rank = static_cast<int64_t>(weight_sizes.size()) - 2;
  TORCH_CHECK(rank >= 1 && rank <= 3, "oaconv::explain: expected weight sizes of 3, 4 or 5 values, but got ",
              weight_sizes);
  if (transposed) {
    TORCH_CHECK(padding_kind == "explicit", "oaconv::explain: a transposed convolution takes explicit padding");
    switch (rank) {
      case 1: return explain_conv(input_sizes, weight_sizes, conv_transpose_options<1>(stride, padding, output_padding, groups, dilation, algorithm), c10::kFloat, channels_last);
      case 2: return explain_conv(input_sizes, weight_sizes, conv_transpose_options<2>(stride, padding, output_padding, groups, dilation, algorithm), c10::kFloat, channels_last);
      default: return explain_conv(input_sizes, weight_sizes, conv_transpose_options<3>(stride, padding, output_padding, groups, dilation, algorithm), c10::kFloat, channels_last);
    }
  }
  switch (rank) {
    case 1: return explain_conv(input_sizes, weight_sizes, conv_options<1>(stride, padding_kind, padding, dilation, groups, algorithm), c10::kFloat, channels_last);
    case 2: return explain_conv(input_sizes, weight_sizes, conv_options<2>(stride, padding_kind, padding, dilation, groups, algorithm), c10::kFloat, channels_last);
    default: return explain_conv(input_sizes, weight_sizes, conv_options<3>(stride, padding_kind, padding, dilation, groups, algorithm), c10::kFloat, channels_last);
  }
}

std::vector<std::string> algorithms() {
  std::vector<std::string> names;
  for (Algorithm a : all_algorithms()) names.push_back(to_string(a));
  return names;
}

std::string version() { return OACONV_VERSION; }

// plan_hits, plan_misses, kernel_hits, kernel_misses, kernel_bytes.
std::vector<int64_t> cache_stats_list() {
  const CacheStats s = cache_stats();
  return {s.plan_hits, s.plan_misses, s.kernel_hits, s.kernel_misses, s.kernel_bytes};
}

}  // namespace

TORCH_LIBRARY(oaconv, m) {
  // Functions with only a catch-all kernel run at every dispatch key (CompositeImplicitAutograd):
  // oaconv's functions record their own autograd nodes.
  m.def("conv(Tensor input, Tensor weight, Tensor? bias, int[] stride, str padding_kind, int[] padding, "
        "int[] dilation, int groups, str algorithm) -> Tensor",
        &conv);
  m.def("conv_transpose(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, "
        "int[] output_padding, int groups, int[] dilation, str algorithm) -> Tensor",
        &conv_transpose);
  m.def("explain(int[] input_sizes, int[] weight_sizes, int[] stride, str padding_kind, int[] padding, "
        "int[] dilation, int groups, bool transposed, int[] output_padding, str algorithm, "
        "bool channels_last=False) -> str",
        &explain);
  m.def("algorithms() -> str[]", &algorithms);
  m.def("version() -> str", &version);
  m.def("cache_stats() -> int[]", &cache_stats_list);
  m.def("clear_caches() -> ()", [] { clear_caches(); });
  m.def("set_autotune(bool enabled) -> ()", [](bool enabled) { set_autotune(enabled); });
  m.def("autotune_enabled() -> bool", [] { return autotune_enabled(); });
}

}  // namespace oaconv::python_ops
