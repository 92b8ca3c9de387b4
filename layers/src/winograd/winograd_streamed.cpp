// The kernel-streaming F(4x4, 3x3) pipeline (winograd_streamed.h), compiled per instruction set.

#include "winograd_streamed.h"

#include "winograd_kernels.h"
#include "../parallel_tasks.h"

#include <ATen/Dispatch.h>
#include <c10/core/TensorOptions.h>
#include <c10/util/Exception.h>

#include <algorithm>

namespace oaconv::winograd {
namespace {

using namespace detail;

// A task's chunk of transformed kernel (36 points x 24 output channels x some input channels).
constexpr int64_t kKernelChunkBytes = int64_t{256} << 10;
// Output channels a task: 4 blocks of 6, the products' register blocks of one vector of tiles.
constexpr int64_t kTaskBlocks = 4;
// grad-weight: input channels a task.
constexpr int64_t kGradColumnVectors = 4;

template <typename T>
void correlate(const T* src, int64_t n, int64_t c, int64_t h, int64_t w, const T* wt, int64_t wo, int64_t wcg,
               bool transposed, const T* bias, int64_t groups, int64_t top, int64_t left, WorkspaceAllocator workspace,
               T* y, int64_t o, int64_t out_h, int64_t out_w) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  if (total_rows == 0) return;  // an empty batch (or image): y is empty
  // Tile rows a block: as many as kStreamedBlockBytes holds (whole vectors of tiles), in blocks of
  // about equal size.
  const int64_t tiles_held = kStreamedBlockBytes / (kPoints * c * static_cast<int64_t>(sizeof(T)));
  const int64_t most_rows = std::max<int64_t>(1, (tiles_held >= L ? tiles_held / L * L : tiles_held) / tw);
  const int64_t blocks_of_rows = (total_rows + most_rows - 1) / most_rows;
  const int64_t k = (total_rows + blocks_of_rows - 1) / blocks_of_rows, most = round_up(k * tw, L);
  const int64_t og_w = wo / groups, in_g = transposed ? og_w : wcg, out_g = transposed ? wcg : og_w;
  const int64_t blocks = kernel_row_blocks(out_g), tasks_g = (blocks + kTaskBlocks - 1) / kTaskBlocks;
  // Input channels a chunk: a multiple of L / 2, so that each block's 6 rows of them are whole
  // vectors (the transform's stores aligned).
  const int64_t per_chunk = kKernelChunkBytes / (kPoints * kTaskBlocks * kKernelRows * static_cast<int64_t>(sizeof(T)));
  const int64_t chunk = std::min(in_g, std::max<int64_t>(1, per_chunk / (L / 2)) * std::max<int64_t>(1, L / 2));
  const at::Tensor v_owner = workspace_of<T>(workspace, kPoints * c * most);
  T* const v = v_owner.data_ptr<T>();  // v[p][ch][tile]
  for (int64_t row0 = 0; row0 < total_rows; row0 += k) {
    const int64_t rows = std::min(k, total_rows - row0), padded = round_up(rows * tw, L), vectors = padded / L;
    parallel_tasks(c, [&](int64_t ch) {
      input_tiles(src, c, ch, h, w, top, left, row0, rows, th_count, tw, padded, v + ch * padded, c * padded);
    });
    parallel_tasks(groups * tasks_g, [&](int64_t task) {
      const int64_t g = task / tasks_g, b0 = task % tasks_g * kTaskBlocks, nb = std::min(kTaskBlocks, blocks - b0);
      const int64_t out_rows = nb * kKernelRows;
      T* u = direct::placed_buffer<T, 2>(kPoints * nb * chunk * kKernelRows);  // u[p][block][ch][row]
      T* m = direct::placed_buffer<T, 3>(kPoints * out_rows * padded);          // m[p][row][tile]
      for (int64_t c0 = 0; c0 < in_g; c0 += chunk) {
        const int64_t count = std::min(chunk, in_g - c0), e = count * kKernelRows, point_stride = nb * e;
        for (int64_t i = 0; i < nb; ++i) {
          transform_kernel_block(wt, og_w, wcg, g, transposed, b0 + i, c0, count, u + i * e, point_stride);
        }
        for (int64_t p = 0; p < kPoints; ++p) {
          const T* vp = v + (p * c + g * in_g + c0) * padded;
          T* mp = m + p * out_rows * padded;
          if (c0 == 0) {
            product_rows<T, false>(u + p * point_stride, kKernelRows, e, nb, vp, padded, count, vectors, mp, padded);
          } else {
            product_rows<T, true>(u + p * point_stride, kKernelRows, e, nb, vp, padded, count, vectors, mp, padded);
          }
        }
      }
      for (int64_t i = 0; i < out_rows && b0 * kKernelRows + i < out_g; ++i) {
        const int64_t oc = g * out_g + b0 * kKernelRows + i;
        output_tiles(m + i * padded, out_rows * padded, row0, rows, th_count, tw, padded, bias ? bias[oc] : T(0), y, o,
                     oc, out_h, out_w);
      }
    });
  }
}

template <typename T>
bool grad_weight(const T* x, int64_t n, int64_t c, int64_t h, int64_t w, const T* gy, int64_t o, int64_t out_h,
                 int64_t out_w, int64_t groups, int64_t top, int64_t left, int64_t workspace_bytes,
                 WorkspaceAllocator workspace, T* gw) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t tiles = total_rows * tw, padded = round_up(tiles, L);
  const int64_t cg = c / groups, og = o / groups;
  if (tiles == 0) {  // an empty batch (or image): no sums, and no workspaces to index
    std::fill_n(gw, o * cg * 9, T(0));
    return true;
  }
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  // Point-major planes as the transforms make them, then tile-major (the products run along channels).
  const int64_t planes = kPoints * (c + o) * padded, transposed = groups * kPoints * padded * (cgp + ogp);
  if ((planes + transposed) * static_cast<int64_t>(sizeof(T)) > workspace_bytes) return false;
  const at::Tensor xt_owner = workspace_of<T>(workspace, kPoints * c * padded);
  const at::Tensor dt_owner = workspace_of<T>(workspace, kPoints * o * padded);
  T* const xt = xt_owner.data_ptr<T>();  // xt[p][ch][tile]
  T* const dt = dt_owner.data_ptr<T>();  // dt[p][oc][tile]
  parallel_tasks(c + o, [&](int64_t ch) {
    if (ch < c) {
      input_tiles(x, c, ch, h, w, top, left, 0, total_rows, th_count, tw, padded, xt + ch * padded, c * padded);
    } else {
      grad_output_tiles(gy, o, ch - c, out_h, out_w, 0, total_rows, th_count, tw, padded, dt + (ch - c) * padded,
                        o * padded);
    }
  });
  const at::Tensor xs_owner = workspace_of<T>(workspace, groups * kPoints * padded * cgp);
  const at::Tensor ds_owner = workspace_of<T>(workspace, groups * kPoints * padded * ogp);
  T* const xs = xs_owner.data_ptr<T>();  // xs[g][p][tile][cgp]
  T* const ds = ds_owner.data_ptr<T>();  // ds[g][p][tile][ogp]
  parallel_tasks(groups * kPoints, [&](int64_t task) {
    const int64_t g = task / kPoints, p = task % kPoints;
    tile_major(xt + (p * c + g * cg) * padded, padded, cg, xs + task * padded * cgp, cgp);
    tile_major(dt + (p * o + g * og) * padded, padded, og, ds + task * padded * ogp, ogp);
  });
  // Tasks of 24 output by 64 input channels, input-channel chunk major: a thread's next task
  // mostly reads the same input tiles.
  const int64_t blocks = kernel_row_blocks(og), row_tasks = (blocks + kTaskBlocks - 1) / kTaskBlocks;
  const int64_t column_vectors = cgp / L, column_tasks = (column_vectors + kGradColumnVectors - 1) / kGradColumnVectors;
  parallel_tasks(groups * column_tasks * row_tasks, [&](int64_t task) {
    const int64_t g = task / (column_tasks * row_tasks), rest = task % (column_tasks * row_tasks);
    const int64_t b0 = rest % row_tasks * kTaskBlocks, nb = std::min(kTaskBlocks, blocks - b0), rows = nb * kKernelRows;
    const int64_t v0 = rest / row_tasks * kGradColumnVectors, nv = std::min(kGradColumnVectors, column_vectors - v0);
    const int64_t cols = nv * L, plane = rows * cols;
    T* q = direct::placed_buffer<T, 3>(kPoints * plane);  // q[p][row][col]
    for (int64_t p = 0; p < kPoints; ++p) {
      const int64_t gp = g * kPoints + p;
      product_rows<T, false>(ds + gp * padded * ogp + b0 * kKernelRows, ogp, kKernelRows, nb,
                             xs + gp * padded * cgp + v0 * L, cgp, tiles, nv, q + p * plane, cols);
    }
    for (int64_t i = 0; i < rows && b0 * kKernelRows + i < og; ++i) {
      const int64_t oc = b0 * kKernelRows + i;
      for (int64_t v = 0; v < nv && (v0 + v) * L < cg; ++v) {
        const int64_t j = (v0 + v) * L;
        kernels_from_points(q + i * cols + v * L, plane, std::min(L, cg - j), gw + ((g * og + oc) * cg + j) * 9);
      }
    }
  });
  return true;
}

}  // namespace

void correlate_streamed(const at::Tensor& src, const at::Tensor& w, const at::Tensor& bias, int64_t groups,
                        bool transposed, int64_t top, int64_t left, WorkspaceAllocator workspace, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(src.dim() == 4 && src.is_contiguous() && y.dim() == 4 && y.is_contiguous() && w.dim() == 4 &&
                        w.is_contiguous() && w.size(2) == 3 && w.size(3) == 3);
  const int64_t og_w = w.size(0) / groups;
  TORCH_INTERNAL_ASSERT(src.size(0) == y.size(0) && w.size(0) % groups == 0 &&
                        src.size(1) == groups * (transposed ? og_w : w.size(1)) &&
                        y.size(1) == groups * (transposed ? w.size(1) : og_w));
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "oaconv::winograd::correlate_streamed", [&] {
    correlate<scalar_t>(src.data_ptr<scalar_t>(), src.size(0), src.size(1), src.size(2), src.size(3),
                              w.data_ptr<scalar_t>(), w.size(0), w.size(1), transposed,
                              b.defined() ? b.data_ptr<scalar_t>() : nullptr, groups, top, left, workspace,
                              y.data_ptr<scalar_t>(), y.size(1), y.size(2), y.size(3));
  });
}

bool grad_weight_streamed(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                          int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(x.dim() == 4 && x.is_contiguous() && gy.dim() == 4 && gy.is_contiguous() && gw.is_contiguous());
  bool ran = false;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::winograd::grad_weight_streamed", [&] {
    ran = grad_weight<scalar_t>(x.data_ptr<scalar_t>(), x.size(0), x.size(1), x.size(2), x.size(3),
                                gy.data_ptr<scalar_t>(), gy.size(1), gy.size(2), gy.size(3), groups, top, left,
                                workspace_bytes, workspace, gw.data_ptr<scalar_t>());
  });
  return ran;
}

}  // namespace oaconv::winograd
