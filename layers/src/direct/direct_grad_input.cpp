// Grad-input pass of the direct algorithm.
//
// gx[c, h] = sum_o sum_a gy[o, (h + pt - a*dh) / sh] * w[o, c, a]   (per axis; only where the
// division is exact and in range).
//
// Insert s - 1 zeros between grad-output samples along each axis, pad by (k - 1) * d minus the
// forward padding, and this is a stride-1 correlation with the kernel flipped in every axis and
// its in/out channels swapped (per group): the same spatial kernel as the forward pass,
// producing exactly D x H x W values, at s times the multiply-adds per axis (all but one in s of
// them by zero). That is how stride-1 layers run, the depthwise and channel-blocked kernels at
// every stride (they place a task's planes with the zeros on the fly), and layers with an axis
// both strided and dilated.
//
// Other strided layers run in polyphase: write h + pt = q s + r (0 <= r < s). Only the taps
// a = r + m s reach gx[h], each from gy[q - m], so the outputs of one phase r are a stride-1
// correlation of the grad-output with the sub-kernel of taps r, r + s, r + 2s, ... (ceil((k -
// r) / s) of them, flipped): one correlation per phase (s_d s_h s_w of them), together exactly
// the multiply-adds of the layer's forward, each written into its phase of gx.
#include "channel_layout.h"
#include "correlate_padded.h"
#include "depthwise_blocked.h"
#include "direct_passes.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

namespace oaconv::direct {

namespace {

// The per-axis geometry of one phase of the grad-input (above): the outputs h = first + q s for
// q < count, each the correlation of `taps` kernel values (dilated by `dilation`) over the
// grad-output placed with its sample 0 at index `offset` of `extent` (zeros elsewhere).
struct AxisPhase {
  int64_t first = 0, count = 0;
  int64_t taps = 0, dilation = 1;
  int64_t offset = 0, extent = 0;
  std::vector<int64_t> tap_index;  // the kernel tap of each sub-kernel position, flipped
};

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The kernel taps first + (taps - 1) step, ..., first + step, first: a sub-kernel, flipped.
std::vector<int64_t> flipped_taps(int64_t first, int64_t taps, int64_t step) {
  std::vector<int64_t> index;
  for (int64_t j = 0; j < taps; ++j) index.push_back(first + (taps - 1 - j) * step);
  return index;
}

// Phase r of axis a (r = 0 on an axis with stride 1).
AxisPhase axis_phase(const ConvGeometry& g, int a, int64_t r) {
  const int64_t s = g.stride[a], k = g.kernel[a], pt = g.pad_before[a];
  AxisPhase p;
  // h + pt = q s + r with h >= 0: the first q is ceil((pt - r) / s).
  const int64_t q0 = -floor_div(r - pt, s);
  p.first = q0 * s + r - pt;
  p.count = p.first < g.in[a] ? (g.in[a] - 1 - p.first) / s + 1 : 0;
  p.dilation = s > 1 ? 1 : g.dilation[a];
  p.taps = s > 1 ? (r < k ? (k - r + s - 1) / s : 0) : k;
  // Output q (from q0) sums gy[q0 + q - m d] w[tap m] over m < taps: position j = taps - 1 - m
  // of the flipped sub-kernel reads the placed grad-output at q + j d, so gy's sample 0 sits at
  // (taps - 1) d - q0.
  p.offset = (p.taps - 1) * p.dilation - q0;
  p.extent = p.count + (p.taps - 1) * p.dilation;
  p.tap_index = flipped_taps(r, p.taps, s > 1 ? s : 1);
  return p;
}

// w (O, Cg, k...) -> per group (G, Cg, Og, ...) -> (C, Og, taps...): the kernel taps `tap_index`
// names on each axis (a sub-kernel, flipped), in and out channels swapped.
at::Tensor swapped_kernel(const at::Tensor& w, const ConvGeometry& g, const std::vector<int64_t> (&tap_index)[3]) {
  at::Tensor sub = w;
  for (int a = 0; a < 3; ++a) {
    sub = sub.index_select(2 + a, at::tensor(tap_index[a], w.options().dtype(at::kLong)));
  }
  const int64_t og = g.out_per_group(), cg = g.in_per_group();
  const int64_t taps[3] = {sub.size(2), sub.size(3), sub.size(4)};
  return sub.reshape({g.groups, og, cg, taps[0], taps[1], taps[2]})
      .transpose(1, 2)
      .reshape({g.in_channels, og, taps[0], taps[1], taps[2]})
      .contiguous();
}

// Index range [first, last) of grad-output samples i with 0 <= offset + i*stride < extent.
std::pair<int64_t, int64_t> placed_range(int64_t count, int64_t offset, int64_t stride, int64_t extent) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = offset >= extent ? 0 : std::min<int64_t>(count, (extent - 1 - offset) / stride + 1);
  return {first, std::max(first, last)};
}

// gx (or, polyphase, one phase of it: `out`) = the stride-1 correlation of gy placed as `axes`
// say (spacing: zeros inserted) with the flipped, channel-swapped kernel w_t; on the depthwise
// or channel-blocked kernels where `placed_kernels` (placed_kernels_apply) says so.
void correlate_placed_grad_output(const at::Tensor& gy, const PlacedAxis (&axes)[3], const at::Tensor& w_t,
                                  const ConvGeometry& g, const int64_t (&taps)[3], const int64_t (&dilation)[3],
                                  bool placed_kernels, at::Tensor& out) {
  const int64_t cols = std::max(axes[2].padded, required_padded_width(out.size(4), taps[2], 1, dilation[2],
                                                                      gy.scalar_type()));
  const CorrelateShape shape{g.batch,     g.out_channels, g.in_channels, g.groups,    axes[0].padded,
                             axes[1].padded, cols,        taps[0],       taps[1],     taps[2],
                             1,           1,              1,             dilation[0], dilation[1],
                             dilation[2], out.size(2),    out.size(3),   out.size(4)};
  if (placed_kernels) {
    // One input channel per group (depthwise), or groups of 2-4 channels in the channel-blocked
    // kernel: each task places its own grad-output planes into its buffer (placed_planes.h)
    // instead of the whole placed tensor.
    const PlacedAxis placed[3] = {axes[0], axes[1], {axes[2].size, axes[2].offset, axes[2].spacing, cols}};
    correlate_placed_out(gy, placed, w_t, at::Tensor(), shape, out);
    return;
  }
  at::Tensor placed = at::zeros({g.batch, g.out_channels, axes[0].padded, axes[1].padded, cols}, gy.options());
  at::Tensor target = placed, source = gy;
  for (int a = 0; a < 3; ++a) {
    const auto [first, last] = placed_range(axes[a].size, axes[a].offset, axes[a].spacing, axes[a].padded);
    if (last <= first) {
      correlate_padded_out(placed, w_t, at::Tensor(), shape, out);
      return;
    }
    target = target.slice(2 + a, axes[a].offset + first * axes[a].spacing,
                          axes[a].offset + (last - 1) * axes[a].spacing + 1, axes[a].spacing);
    source = source.slice(2 + a, first, last);
  }
  target.copy_(source);
  correlate_padded_out(placed, w_t, at::Tensor(), shape, out);
}

// Whether the grad-input's correlation runs on the channel-blocked or depthwise kernels (which
// place their own planes) rather than correlate_padded_out: it depends on the batch, the
// channels and the groups only.
bool placed_kernels_apply(const ConvGeometry& g, at::ScalarType dtype) {
  return g.in_per_group() == 1 || grad_input_takes_channels_last(g, dtype);
}

}  // namespace

bool grad_input_takes_channels_last(const ConvGeometry& g, at::ScalarType dtype) {
  // The grad-input's correlation has the layer's in and out channels swapped.
  CorrelateShape channels{};
  channels.batch = g.batch;
  channels.in_channels = g.out_channels;
  channels.out_channels = g.in_channels;
  channels.groups = g.groups;
  return depthwise_blocked_applies(channels, dtype);
}

void grad_input_out(const at::Tensor& gy, const at::Tensor& w, const ConvGeometry& g,
                    at::Tensor& gx) {
  TORCH_INTERNAL_ASSERT(g.rank == 3 && gy.dim() == 5);
  TORCH_INTERNAL_ASSERT(grad_input_takes_channels_last(g, gy.scalar_type())
                            ? packed_nchw_or_channels_last(gy) && packed_nchw_or_channels_last(gx)
                            : gy.is_contiguous() && gx.is_contiguous());
  // Polyphase where a stride is above 1, unless a strided axis is also dilated, or the
  // depthwise and channel-blocked kernels run it: they place a task's planes with the zeros
  // inserted on the fly and skip most of them, and measured 1.5-2.5x faster that way than in
  // polyphase (whose phases each cost a launch and a strided copy into gx) at strides 2-16.
  const bool placed_kernels = placed_kernels_apply(g, gy.scalar_type());
  bool polyphase = !placed_kernels;
  bool strided = false;
  for (int a = 0; a < 3; ++a) {
    strided = strided || g.stride[a] > 1;
    polyphase = polyphase && !(g.stride[a] > 1 && g.dilation[a] > 1);
  }
  if (!strided || !polyphase) {
    // One correlation over the grad-output with stride - 1 zeros inserted (none at stride 1).
    std::vector<int64_t> flipped[3];
    PlacedAxis axes[3];
    int64_t taps[3], dilation[3];
    for (int a = 0; a < 3; ++a) {
      axes[a] = {g.out[a], (g.kernel[a] - 1) * g.dilation[a] - g.pad_before[a], g.stride[a],
                 g.in[a] + (g.kernel[a] - 1) * g.dilation[a]};
      taps[a] = g.kernel[a];
      dilation[a] = g.dilation[a];
      flipped[a] = flipped_taps(0, g.kernel[a], 1);
    }
    correlate_placed_grad_output(gy, axes, swapped_kernel(w, g, flipped), g, taps, dilation, placed_kernels, gx);
    return;
  }
  // Polyphase: every phase (r_d, r_h, r_w) of the strided axes.
  for (int64_t rd = 0; rd < g.stride[0]; ++rd) {
    for (int64_t rh = 0; rh < g.stride[1]; ++rh) {
      for (int64_t rw = 0; rw < g.stride[2]; ++rw) {
        const AxisPhase phase[3] = {axis_phase(g, 0, rd), axis_phase(g, 1, rh), axis_phase(g, 2, rw)};
        if (phase[0].count == 0 || phase[1].count == 0 || phase[2].count == 0) continue;
        at::Tensor target = gx;
        for (int a = 0; a < 3; ++a) target = target.slice(2 + a, phase[a].first, g.in[a], g.stride[a]);
        if (phase[0].taps == 0 || phase[1].taps == 0 || phase[2].taps == 0) {
          target.zero_();  // a phase no tap reaches (kernel smaller than the stride)
          continue;
        }
        PlacedAxis axes[3];
        int64_t taps[3], dilation[3];
        std::vector<int64_t> tap_index[3];
        for (int a = 0; a < 3; ++a) {
          axes[a] = {g.out[a], phase[a].offset, 1, phase[a].extent};
          taps[a] = phase[a].taps;
          dilation[a] = phase[a].dilation;
          tap_index[a] = phase[a].tap_index;
        }
        at::Tensor out = at::empty({g.batch, g.in_channels, phase[0].count, phase[1].count, phase[2].count},
                                   gx.options());
        correlate_placed_grad_output(gy, axes, swapped_kernel(w, g, tap_index), g, taps, dilation,
                                     /*placed_kernels=*/false, out);
        target.copy_(out);
      }
    }
  }
}

}  // namespace oaconv::direct
