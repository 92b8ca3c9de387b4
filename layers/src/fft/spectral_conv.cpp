// Scheduling of the spectral passes.
//
// The batch is cut into blocks of whole images (all tiles of an image in one block, so the
// overlap-add of one image is done by one thread). With enough images, blocks run in parallel,
// each on one thread from gather to overlap-add with single-threaded FFTW plans, so a block's
// tiles, spectra and products stay in that core's cache ("fused"). With fewer images than
// threads, blocks run one after another and each step is multithreaded instead (FFTW threads,
// parallel product). Blocks write their input and grad-output spectra into whole-batch tensors:
// the input spectra are kept for the weight gradient when they fit the workspace limit, the
// grad-output spectrum serves both gradients, and the weight gradient — a reduction over every
// image and tile — is one product over all rows, parallel over frequencies.
#include "spectral_conv.h"
#include "../memory_format_copy.h"
#include "../parallel_tasks.h"

#include "../non_finite_fallback.h"
#include "kernel_spectrum.h"
#include "overlap_add_passes.h"
#include "profiling_internal.h"
#include "workspace_pool.h"

#include <oaconv/profiling.h>

#include <ATen/ATen.h>

namespace oaconv::fft {
namespace {

// Per-image working set a block should stay within to run from a core's L2.
constexpr int64_t kBlockBytes = int64_t(2) << 20;
// ... but a block needs this many product rows (images x tiles): every block streams the whole
// kernel spectrum through the product once, so one row per block would re-read W per image.
constexpr int64_t kMinBlockRows = 16;

struct Schedule {
  SpectralProblem block_problem;  // threads = 1 when blocks run in parallel
  int64_t images_per_block = 1;
  int64_t blocks = 0;
  bool parallel_blocks = false;
};

Schedule make_schedule(const SpectralProblem& p) {
  Schedule s;
  s.block_problem = p;
  const int64_t per_image = std::max<int64_t>(1, p.bytes_per_batch_item());
  const int64_t threads = std::max(1, p.threads);
  s.parallel_blocks = threads > 1 && p.g.batch >= threads;
  if (s.parallel_blocks) {
    s.block_problem.threads = 1;
    // Small enough for L2 but with enough rows to reuse W; at least one block per thread.
    const int64_t fit = std::max<int64_t>(1, kBlockBytes / per_image);
    const int64_t reuse = (kMinBlockRows + p.tiles() - 1) / p.tiles();
    s.images_per_block = std::min(std::max(fit, reuse), (p.g.batch + threads - 1) / threads);
  } else {
    // One multithreaded block per chunk that fits the workspace limit.
    s.images_per_block = p.batch_chunk(workspace_limit());
  }
  s.images_per_block = std::max<int64_t>(1, std::min(s.images_per_block, p.g.batch));
  s.blocks = p.g.batch == 0 ? 0 : (p.g.batch + s.images_per_block - 1) / s.images_per_block;
  return s;
}

// Runs fn(block, first_image, images) for every block: in parallel (each call on one thread)
// or one after another, as the schedule says.
template <typename F>
void for_each_block(const Schedule& s, int64_t batch, F&& fn) {
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const int64_t n0 = b * s.images_per_block;
      fn(b, n0, std::min(s.images_per_block, batch - n0));
    }
  };
  if (s.parallel_blocks) {
    parallel_range(s.blocks, run);
  } else {
    run(0, s.blocks);
  }
}

}  // namespace

SpectralForward spectral_forward(const ConvGeometry& geometry, Algorithm algorithm, const at::Tensor& x,
                                 const at::Tensor& w, const at::Tensor& bias, bool keep_input_spectra) {
  // Every rank runs at rank 3 (unit leading axes); the kernel cache is keyed by the caller's weight.
  const SpectralProblem p = make_spectral_problem(geometry, algorithm, x.scalar_type(), at::get_num_threads());
  const ConvGeometry& g = p.g;
  const Schedule s = make_schedule(p);
  const at::Tensor xc = unsqueeze_to_rank(contiguous_nchw(x), geometry, kMaxSpatialRank).contiguous();
  const at::Tensor b = bias.defined() ? bias.contiguous() : at::Tensor();
  SpectralForward out;
  // The result has the caller's rank (not a view: autograd forbids in-place ops on views made
  // inside a custom function); the passes write through its rank-3 view.
  const at::Tensor y = at::empty(geometry.output_sizes(), x.options());
  out.y = unsqueeze_to_rank(y, geometry, kMaxSpatialRank);
  out.kernel_spectrum = cached_kernel_spectrum(p, w);

  // Input spectra are kept for the weight gradient only if they fit the workspace limit.
  const bool keep = keep_input_spectra && p.input_spectrum_bytes_per_item() * g.batch <= workspace_limit();
  const int64_t planes_per_image = p.tiles() * g.in_channels;
  if (keep) out.input_spectra = new_spectrum(p, g.batch * planes_per_image, x.options());
  for_each_block(s, g.batch, [&](int64_t, int64_t n0, int64_t n) {
    at::Tensor y_block = out.y.narrow(0, n0, n);
    const at::Tensor x_spectrum = keep ? out.input_spectra.narrow(0, n0 * planes_per_image, n * planes_per_image)
                                       : new_spectrum(p, n * planes_per_image, x.options());
    transform_input(s.block_problem, xc.narrow(0, n0, n), x_spectrum);
    forward_chunk(s.block_problem, x_spectrum, out.kernel_spectrum, b, y_block);
  });
  record_pass(workspace_pool_bytes());
  out.y = finite_or_aten_forward(y, x, w, bias, geometry);
  return out;
}

SpectralGradients spectral_backward(const ConvGeometry& geometry, Algorithm algorithm, const at::Tensor& input,
                                    const at::Tensor& w, const at::Tensor& grad_output, bool want_gx, bool want_gw,
                                    at::Tensor kernel_spectrum, const at::Tensor& saved_input_spectra) {
  // Every rank runs at rank 3 (unit leading axes); the kernel cache is keyed by the caller's weight.
  const at::Tensor x = unsqueeze_to_rank(contiguous_nchw(input), geometry, kMaxSpatialRank).contiguous();
  const SpectralProblem p = make_spectral_problem(geometry, algorithm, x.scalar_type(), at::get_num_threads());
  const ConvGeometry& g = p.g;
  const Schedule s = make_schedule(p);  // the same blocks as forward (same problem, threads)
  const at::Tensor gy = unsqueeze_to_rank(contiguous_nchw(grad_output), geometry, kMaxSpatialRank).contiguous();
  if (want_gx && !kernel_spectrum.defined()) kernel_spectrum = cached_kernel_spectrum(p, w);
  const int64_t in_planes = p.tiles() * g.in_channels, out_planes = p.tiles() * g.out_channels;

  SpectralGradients out;
  // gx has the caller's rank; the passes write through its rank-3 view.
  const at::Tensor gx = want_gx ? at::empty(geometry.input_sizes(), input.options().memory_format(at::MemoryFormat::Contiguous))
                                : at::Tensor();
  if (g.batch == 0) {  // nothing to transform: the weight gradient is an empty sum
    out.gx = gx;
    if (want_gw) out.gw = at::zeros_like(w, at::MemoryFormat::Contiguous);
    return out;
  }
  if (want_gx) out.gx = unsqueeze_to_rank(gx, geometry, kMaxSpatialRank);
  // The weight gradient needs every row's G and X at once; the input gradient only a block's.
  at::Tensor gy_spectra, x_spectra = saved_input_spectra;
  if (want_gw) {
    gy_spectra = new_spectrum(p, g.batch * out_planes, x.options());
    if (!x_spectra.defined()) x_spectra = new_spectrum(p, g.batch * in_planes, x.options());
  }
  if (want_gx || want_gw) {
    for_each_block(s, g.batch, [&](int64_t, int64_t n0, int64_t n) {
      // One transform of the grad-output serves both gradients.
      const at::Tensor gy_spectrum = want_gw ? gy_spectra.narrow(0, n0 * out_planes, n * out_planes)
                                             : new_spectrum(p, n * out_planes, x.options());
      transform_grad_output(s.block_problem, gy.narrow(0, n0, n), gy_spectrum);
      if (want_gx) {
        at::Tensor gx_block = out.gx.narrow(0, n0, n);
        grad_input_chunk(s.block_problem, gy_spectrum, kernel_spectrum, gx_block);
      }
      if (want_gw && !saved_input_spectra.defined()) {
        transform_input(s.block_problem, x.narrow(0, n0, n), x_spectra.narrow(0, n0 * in_planes, n * in_planes));
      }
    });
  }
  if (want_gw) {
    // Overwritten by the product (no zero fill), from the pool (no fresh pages each step).
    at::Tensor gw_spectrum = new_spectrum(p, g.out_channels * g.in_per_group(), x.options());
    grad_weight_spectrum(p, gy_spectra, x_spectra, gw_spectrum);
    out.gw = at::empty(w.sizes(), w.options().memory_format(at::MemoryFormat::Contiguous));
    grad_weight_from_spectrum(p, gw_spectrum, out.gw);
  }
  record_pass(workspace_pool_bytes());
  if (want_gx) {
    out.gx = finite_or_aten_grad_input(gx, grad_output, input, w, geometry);
  }
  if (want_gw) out.gw = finite_or_aten_grad_weight(out.gw, grad_output, input, w, geometry);
  return out;
}

}  // namespace oaconv::fft
