#include "conv_geometry.h"

#include "variant_compat.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <sstream>

namespace oaconv {
namespace {

// a * b + c in int64, or a clear error naming the quantity when it does not fit (sizes that
// large cannot be allocated anyway; unchecked, they wrap and reach ATen as garbage).
int64_t checked_mul_add(int64_t a, int64_t b, int64_t c, const char* op, const std::string& what) {
  int64_t product = 0, sum = 0;
  TORCH_CHECK(!__builtin_mul_overflow(a, b, &product) && !__builtin_add_overflow(product, c, &sum), op, ": ", what,
              " (", a, " * ", b, " + ", c, ") overflows 64-bit sizes");
  return sum;
}

// "[a, b]" of the first `rank` entries.
std::string list(const std::vector<int64_t>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
  return s.str();
}

// An axis's name in error messages: length (1-D); height, width (2-D); depth, height, width.
std::string axis_name(int64_t rank, int axis) {
  static const char* names[] = {"depth", "height", "width"};
  if (rank == 1) return "length";
  return names[axis + (kMaxSpatialRank - rank)];
}

// "4x8".
std::string joined(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "x" : "") << v[i];
  return s.str();
}

const char* spatial_names(int64_t rank) {
  return rank == 1 ? "(N, C, L) or unbatched (C, L)" : rank == 2 ? "(N, C, H, W) or unbatched (C, H, W)"
                                                                 : "(N, C, D, H, W) or unbatched (C, D, H, W)";
}

template <size_t D>
std::vector<int64_t> to_list(const torch::ExpandingArray<D>& a) {
  return std::vector<int64_t>(a->begin(), a->end());
}

}  // namespace

bool ConvGeometry::adjoint_is_exact() const {
  for (int a = 0; a < rank; ++a) {
    if ((padded(a) - kernel_extent(a)) / stride[a] + 1 != out[a]) return false;
  }
  return true;
}

bool ConvGeometry::symmetric_padding() const {
  for (int a = 0; a < rank; ++a) {
    if (pad_before[a] != pad_after[a]) return false;
  }
  return true;
}

int64_t ConvGeometry::kernel_taps() const {
  int64_t taps = 1;
  for (int a = 0; a < rank; ++a) taps *= kernel[a];
  return taps;
}

int64_t ConvGeometry::out_positions() const {
  int64_t positions = 1;
  for (int a = 0; a < rank; ++a) positions *= out[a];
  return positions;
}

double ConvGeometry::forward_macs() const {
  return static_cast<double>(batch) * out_channels * in_per_group() * static_cast<double>(out_positions()) *
         static_cast<double>(kernel_taps());
}

std::vector<int64_t> ConvGeometry::input_sizes() const {
  std::vector<int64_t> s{batch, in_channels};
  for (int a = 0; a < rank; ++a) s.push_back(in[a]);
  return s;
}

std::vector<int64_t> ConvGeometry::output_sizes() const {
  std::vector<int64_t> s{batch, out_channels};
  for (int a = 0; a < rank; ++a) s.push_back(out[a]);
  return s;
}

std::vector<int64_t> ConvGeometry::weight_sizes() const {
  std::vector<int64_t> s{out_channels, in_per_group()};
  for (int a = 0; a < rank; ++a) s.push_back(kernel[a]);
  return s;
}

std::vector<int64_t> ConvGeometry::to_vector() const {
  std::vector<int64_t> v{rank, transposed ? 1 : 0, batch, in_channels, out_channels, groups};
  for (int a = 0; a < rank; ++a) {
    v.insert(v.end(), {in[a], kernel[a], stride[a], dilation[a], pad_before[a], pad_after[a], out[a],
                       output_padding[a]});
  }
  return v;
}

ConvGeometry ConvGeometry::from_vector(const std::vector<int64_t>& v) {
  TORCH_INTERNAL_ASSERT(!v.empty() && v[0] >= 1 && v[0] <= kMaxSpatialRank && v.size() == vector_size(v[0]),
                        "ConvGeometry::from_vector: malformed list of ", v.size(), " values");
  ConvGeometry g;
  g.rank = v[0];
  g.transposed = v[1] != 0;
  g.batch = v[2]; g.in_channels = v[3]; g.out_channels = v[4]; g.groups = v[5];
  for (int a = 0; a < g.rank; ++a) {
    const int64_t* axis = v.data() + 6 + 8 * a;
    g.in[a] = axis[0]; g.kernel[a] = axis[1]; g.stride[a] = axis[2]; g.dilation[a] = axis[3];
    g.pad_before[a] = axis[4]; g.pad_after[a] = axis[5]; g.out[a] = axis[6]; g.output_padding[a] = axis[7];
  }
  return g;
}

std::string ConvGeometry::to_string() const {
  std::ostringstream s;
  const auto axes_of = [&](const AxisSizes& v) {
    std::ostringstream t;
    for (int a = 0; a < rank; ++a) t << (a ? "x" : "") << v[a];
    return t.str();
  };
  if (transposed) {
    // As the transposed convolution: its input is this convolution's output.
    s << "transposed N" << batch << " C" << out_channels << "->" << in_channels << " " << axes_of(out) << "->"
      << axes_of(in) << " k" << axes_of(kernel) << " s" << axes_of(stride) << " d" << axes_of(dilation) << " p"
      << axes_of(pad_before) << " op" << axes_of(output_padding) << " g" << groups;
    return s.str();
  }
  s << "N" << batch << " C" << in_channels << "->" << out_channels << " " << axes_of(in) << " k" << axes_of(kernel)
    << " s" << axes_of(stride) << " d" << axes_of(dilation) << " p";
  for (int a = 0; a < rank; ++a) s << (a ? "," : "") << pad_before[a] << "," << pad_after[a];
  s << " g" << groups;
  return s.str();
}

at::Tensor bias_gradient(const at::Tensor& gy) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < gy.dim(); ++d) dims.push_back(d);
  return gy.sum(dims);
}

ConvGeometry with_leading_unit_axes(const ConvGeometry& g, int64_t rank) {
  TORCH_INTERNAL_ASSERT(rank >= g.rank && rank <= kMaxSpatialRank);
  if (rank == g.rank) return g;
  ConvGeometry lifted = g;
  lifted.rank = rank;
  const int64_t shift = rank - g.rank;
  const auto move = [&](AxisSizes& v, int64_t unit) {
    for (int64_t a = rank - 1; a >= 0; --a) v[a] = a >= shift ? v[a - shift] : unit;
  };
  move(lifted.in, 1);
  move(lifted.kernel, 1);
  move(lifted.stride, 1);
  move(lifted.dilation, 1);
  move(lifted.pad_before, 0);
  move(lifted.pad_after, 0);
  move(lifted.out, 1);
  move(lifted.output_padding, 0);
  return lifted;
}

at::Tensor unsqueeze_to_rank(const at::Tensor& t, const ConvGeometry& g, int64_t rank) {
  if (!t.defined()) return t;
  at::Tensor lifted = t;
  for (int64_t a = g.rank; a < rank; ++a) lifted = lifted.unsqueeze(2);
  return lifted;
}

at::Tensor squeeze_from_rank(const at::Tensor& t, const ConvGeometry& g, int64_t rank) {
  if (!t.defined()) return t;
  at::Tensor dropped = t;
  for (int64_t a = g.rank; a < rank; ++a) dropped = dropped.squeeze(2);
  return dropped;
}

template <size_t D>
ConvRequest conv_request(const ConvFuncOptions<D>& options) {
  ConvRequest r;
  r.rank = D;
  r.stride = to_list<D>(options.stride());
  r.dilation = to_list<D>(options.dilation());
  r.output_padding.assign(D, 0);
  r.groups = options.groups();
  const auto& padding = options.padding();
  if (const auto* explicit_padding = variant_get_if<torch::ExpandingArray<D>>(padding)) {
    r.padding = to_list<D>(*explicit_padding);
  } else if (variant_get_if<torch::enumtype::kSame>(padding) != nullptr) {
    r.padding_kind = ConvRequest::Padding::kSame;
  } else {
    r.padding_kind = ConvRequest::Padding::kValid;
  }
  return r;
}

template <size_t D>
ConvRequest conv_request(const ConvTransposeFuncOptions<D>& options) {
  ConvRequest r;
  r.rank = D;
  r.transposed = true;
  r.stride = to_list<D>(options.stride());
  r.dilation = to_list<D>(options.dilation());
  r.output_padding = to_list<D>(options.output_padding());
  r.padding = to_list<D>(options.padding());
  r.groups = options.groups();
  return r;
}

ConvGeometry geometry_of_sizes(c10::IntArrayRef input_sizes, c10::IntArrayRef weight_sizes, const ConvRequest& request,
                               const char* op, c10::ScalarType dtype) {
  const auto meta = at::TensorOptions().device(at::kMeta).dtype(dtype);
  return make_conv_geometry(at::empty(input_sizes, meta), at::empty(weight_sizes, meta), at::Tensor(), request, op);
}

template ConvRequest conv_request<1>(const ConvFuncOptions<1>&);
template ConvRequest conv_request<2>(const ConvFuncOptions<2>&);
template ConvRequest conv_request<3>(const ConvFuncOptions<3>&);
template ConvRequest conv_request<1>(const ConvTransposeFuncOptions<1>&);
template ConvRequest conv_request<2>(const ConvTransposeFuncOptions<2>&);
template ConvRequest conv_request<3>(const ConvTransposeFuncOptions<3>&);

ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                const ConvRequest& r, const char* op) {
  const int64_t rank = r.rank;
  TORCH_INTERNAL_ASSERT(rank >= 1 && rank <= kMaxSpatialRank && r.stride.size() == size_t(rank) &&
                        r.dilation.size() == size_t(rank) && r.output_padding.size() == size_t(rank));
  TORCH_CHECK(input.defined(), op, ": the input is an undefined tensor");
  TORCH_CHECK(weight.defined(), op, ": the weight is an undefined tensor");
  TORCH_CHECK(input.dim() == rank + 2, op, ": expected a ", rank + 2, "-D input ", spatial_names(rank),
              ", but got a ", input.dim(), "-D input of size ", input.sizes());
  TORCH_CHECK(weight.dim() == rank + 2, op, ": expected a ", rank + 2, "-D weight ",
              r.transposed ? "(in_channels, out_channels / groups, kernel...)" : "(out_channels, in_channels / groups, kernel...)",
              ", but got a ", weight.dim(), "-D weight of size ", weight.sizes());
  TORCH_CHECK(at::isFloatingType(input.scalar_type()), op,
              ": expected a floating-point input (float32 or float64; float16/bfloat16 run with aten), but got ",
              input.scalar_type());
  TORCH_CHECK(input.scalar_type() == weight.scalar_type(), op,
              ": input and weight must have the same dtype, but the input is ",
              input.scalar_type(), " and the weight is ", weight.scalar_type());
  TORCH_CHECK(input.device() == weight.device(), op,
              ": input and weight must be on the same device, but the input is on ",
              input.device(), " and the weight on ", weight.device());

  ConvGeometry g;
  g.rank = rank;
  g.transposed = r.transposed;
  g.groups = r.groups;
  g.batch = input.size(0);
  const int64_t channels = input.size(1);  // the caller's input channels
  TORCH_CHECK(g.groups > 0, op, ": groups must be positive, but got groups=", g.groups);
  for (int a = 0; a < rank; ++a) g.kernel[a] = weight.size(2 + a);
  TORCH_CHECK(g.kernel_taps() > 0, op, ": every kernel size must be at least 1, but the weight has size ",
              weight.sizes());
  TORCH_CHECK(input.numel() > 0 || g.batch == 0 || channels == 0, op,
              ": only an empty batch or zero input channels may make the input empty (as in torch), but got "
              "an input of size ", input.sizes());

  for (int a = 0; a < rank; ++a) {
    g.stride[a] = r.stride[a];
    g.dilation[a] = r.dilation[a];
  }
  TORCH_CHECK(std::all_of(r.stride.begin(), r.stride.end(), [](int64_t s) { return s > 0; }), op,
              ": stride must be positive, but got stride=", list(r.stride));
  TORCH_CHECK(std::all_of(r.dilation.begin(), r.dilation.end(), [](int64_t d) { return d > 0; }), op,
              ": dilation must be positive, but got dilation=", list(r.dilation));
  if (r.padding_kind == ConvRequest::Padding::kExplicit) {
    TORCH_INTERNAL_ASSERT(r.padding.size() == size_t(rank));
    TORCH_CHECK(std::all_of(r.padding.begin(), r.padding.end(), [](int64_t p) { return p >= 0; }), op,
                ": padding must be non-negative, but got padding=", list(r.padding));
    for (int a = 0; a < rank; ++a) g.pad_before[a] = g.pad_after[a] = r.padding[a];
  } else if (r.padding_kind == ConvRequest::Padding::kSame) {
    TORCH_CHECK(std::all_of(r.stride.begin(), r.stride.end(), [](int64_t s) { return s == 1; }), op,
                ": padding='same' is not supported for strided convolutions (stride=", list(r.stride),
                "), as in torch");
    // Total padding d*(k-1), the smaller half first: output size equals input size.
    for (int a = 0; a < rank; ++a) {
      const int64_t total =
          checked_mul_add(g.dilation[a], g.kernel[a] - 1, 0, op, "the dilated kernel's " + axis_name(rank, a));
      g.pad_before[a] = total / 2;
      g.pad_after[a] = total - g.pad_before[a];
    }
  }  // kValid: no padding.
  for (int a = 0; a < rank; ++a) {
    checked_mul_add(g.dilation[a], g.kernel[a] - 1, 1, op, "the dilated kernel's " + axis_name(rank, a));
  }

  if (!r.transposed) {
    g.in_channels = channels;
    g.out_channels = weight.size(0);
    TORCH_CHECK(g.out_channels > 0, op, ": the weight must have at least one output channel, but has size ",
                weight.sizes());
    TORCH_CHECK(g.in_channels % g.groups == 0, op, ": in_channels (", g.in_channels,
                ") must be divisible by groups (", g.groups, ")");
    TORCH_CHECK(g.out_channels % g.groups == 0, op, ": out_channels (", g.out_channels,
                ") must be divisible by groups (", g.groups, ")");
    TORCH_CHECK(weight.size(1) * g.groups == g.in_channels, op, ": expected the input to have ",
                weight.size(1) * g.groups, " channels (weight.size(1) = ", weight.size(1),
                " times groups = ", g.groups, "), but got an input of size ", input.sizes(),
                " with ", g.in_channels, " channels");
    for (int a = 0; a < rank; ++a) g.in[a] = input.size(2 + a);
    for (int a = 0; a < rank; ++a) {
      // Every size derived below (padded input, output) must fit in int64.
      const std::string what = "the padded input's " + axis_name(rank, a);
      checked_mul_add(1, checked_mul_add(1, g.in[a], g.pad_before[a], op, what), g.pad_after[a], op, what);
    }
    bool fits = true;
    for (int a = 0; a < rank; ++a) fits = fits && g.padded(a) >= g.kernel_extent(a);
    if (!fits) {
      std::vector<int64_t> padded, extent;
      for (int a = 0; a < rank; ++a) padded.push_back(g.padded(a)), extent.push_back(g.kernel_extent(a));
      TORCH_CHECK(false, op, ": the padded input (", joined(padded), ") is smaller than the dilated kernel (",
                  joined(extent), "); the kernel can't be greater than the padded input");
    }
    for (int a = 0; a < rank; ++a) {
      g.out[a] = (g.padded(a) - g.kernel_extent(a)) / g.stride[a] + 1;
      // With one output along an axis, only the window at offset 0 is used and the stride's
      // value changes nothing but the index arithmetic: clamp it to the smallest stride with that
      // output, so no algorithm multiplies by a stride of 2^62 (LibTorch's oneDNN path refuses one).
      if (g.out[a] == 1) g.stride[a] = std::min(g.stride[a], g.padded(a) - g.kernel_extent(a) + 1);
    }
  } else {
    // Transposed: the weight is (C_in, C_out / groups, k...); the geometry is the adjoint
    // convolution's, whose input is this call's output.
    g.out_channels = channels;
    g.in_channels = weight.size(1) * g.groups;
    TORCH_CHECK(weight.size(0) == channels, op, ": expected the input to have ", weight.size(0),
                " channels (weight.size(0)), but got an input of size ", input.sizes(), " with ", channels, " channels");
    TORCH_CHECK(channels % g.groups == 0, op, ": in_channels (", channels, ") must be divisible by groups (", g.groups,
                ")");
    TORCH_CHECK(g.in_channels > 0, op, ": the weight must have at least one output channel, but has size ",
                weight.sizes());
    std::vector<int64_t> output;
    for (int a = 0; a < rank; ++a) {
      const int64_t op_a = r.output_padding[a];
      TORCH_CHECK(op_a >= 0 && (op_a < g.stride[a] || op_a < g.dilation[a]), op,
                  ": output_padding must be non-negative and smaller than either stride or dilation, but got "
                  "output_padding=", list(r.output_padding), ", stride=", list(r.stride), ", dilation=",
                  list(r.dilation));
      g.out[a] = input.size(2 + a);
      g.output_padding[a] = op_a;
      // (in - 1) * s - 2 p + d (k - 1) + output_padding + 1, as torch's conv_transpose.
      const std::string what = "the transposed convolution's output " + axis_name(rank, a);
      const int64_t grown =
          checked_mul_add(g.out[a] - 1, g.stride[a], checked_mul_add(1, g.kernel_extent(a), op_a, op, what), op, what);
      // grown - p - p, each step checked: a padding near the int64 range overflows it.
      TORCH_CHECK(!__builtin_sub_overflow(grown, g.pad_before[a], &g.in[a]) &&
                      !__builtin_sub_overflow(g.in[a], g.pad_after[a], &g.in[a]),
                  op, ": the padding ", list(r.padding), " overflows 64-bit sizes in ", what);
      output.push_back(g.in[a]);
      // One input along an axis: as for a convolution with one output, only offset 0 is used.
      // The stride is clamped to the smallest with the same output (output_padding + 1, which
      // keeps output_padding < stride true where it was).
      if (g.out[a] == 1 && g.in[a] > 0) g.stride[a] = std::min(g.stride[a], g.padded(a) - g.kernel_extent(a) + 1);
    }
    const bool positive = std::all_of(output.begin(), output.end(), [](int64_t s) { return s > 0; });
    std::vector<int64_t> given(input.sizes().begin() + 2, input.sizes().end());
    TORCH_CHECK(positive, op, ": the output size ", list(output), " computed for an input of size ", list(given),
                " (stride ", list(r.stride), ", padding ", list(r.padding), ", dilation ", list(r.dilation),
                ", output_padding ", list(r.output_padding), ") is too small: every size must be positive");
  }
  int64_t elements =
      checked_mul_add(g.batch, g.transposed ? g.in_channels : g.out_channels, 0, op, "the output's size");
  for (int a = 0; a < rank; ++a) {
    elements = checked_mul_add(elements, g.transposed ? g.in[a] : g.out[a], 0, op, "the output's size");
  }

  if (bias.defined()) {
    const int64_t bias_channels = g.transposed ? g.in_channels : g.out_channels;
    TORCH_CHECK(bias.dim() == 1 && bias.size(0) == bias_channels, op, ": expected a bias of size [", bias_channels,
                "] (one per output channel), but got ", bias.sizes());
    TORCH_CHECK(bias.scalar_type() == input.scalar_type(), op,
                ": bias must have the input's dtype ", input.scalar_type(), ", but is ",
                bias.scalar_type());
    TORCH_CHECK(bias.device() == input.device(), op,
                ": bias must be on the input's device ", input.device(), ", but is on ",
                bias.device());
  }
  return g;
}

ConvGeometry make_conv_geometry(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                const Conv2dFuncOptions& options, const char* op) {
  return make_conv_geometry(input, weight, bias, conv_request(options), op);
}

}  // namespace oaconv
