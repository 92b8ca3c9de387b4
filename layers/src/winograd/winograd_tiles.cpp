// The F(4x4, 3x3) blocked tile pipeline (winograd_tiles.h), compiled per instruction set.
//
// A task is a block of whole tile rows: its input tiles are transformed for every channel, the
// 36 per-point products run on them against the packed transformed kernel while they are in L2,
// and the result is transformed back (the building blocks: winograd_kernels.h).

#include "winograd_kernels.h"
#include "../parallel_tasks.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace oaconv::winograd {
namespace {

using namespace detail;

// Transformed tiles one block holds: with the products' chunk below, within the 2 MiB L2 of the
// cores this was tuned on (Intel Xeon, AVX-512) and half of it on older ones.
constexpr int64_t kBlockBytes = int64_t{1} << 20;
constexpr int64_t kProductBytes = int64_t{512} << 10;

template <typename T>
void pack_kernel(const T* w, int64_t o, int64_t cg, int64_t groups, bool transposed, T* u) {
  const int64_t og = o / groups;
  // The correlation's channels a group: out_g outputs from in_g inputs.
  const int64_t out_g = transposed ? cg : og, in_g = transposed ? og : cg, blocks = kernel_row_blocks(out_g);
  const int64_t e = in_g * kKernelRows;  // values of one packed point
  parallel_tasks(groups * blocks, [&](int64_t task) {
    const int64_t g = task / blocks, b = task % blocks;
    transform_kernel_block(w, og, cg, g, transposed, b, 0, in_g, u + (g * kPoints * blocks + b) * e, blocks * e);
  });
}

// Tile rows a block: the block's tiles stay within kBlockBytes at bytes_per_tile (past it, the
// products' chunks of output channels would each re-read them from memory: N16 C128 28x28 with
// 392-tile blocks ran its forward at 0.66x aten's), and among those sizes the least modelled
// time of the pass: each block pays `block_seconds` (what it reads whole: the packed kernel, a
// thread's sums) besides `tile_seconds` per tile of whole SIMD vectors, and the blocks run on the
// threads in rounds. Few big blocks cut the whole reads (N8 C256 8x8: a kernel of 9.4 MB, 4
// tiles a block at 4 blocks a thread); many small ones waste fewer vector lanes and even out a
// slowed thread: a block size within 2 % of a bigger one's time is preferred.
int64_t rows_per_block(int64_t total_rows, int64_t tw, int64_t lanes, int64_t bytes_per_tile, double tile_seconds,
                       double block_seconds) {
  const int64_t threads = std::max(1, at::get_num_threads());
  const int64_t most = std::min(total_rows, std::max<int64_t>(1, kBlockBytes / (bytes_per_tile * tw)));
  int64_t best = 1;
  double best_seconds = 0;
  for (int64_t k = 1; k <= most; ++k) {
    const int64_t tiles = k * tw, blocks = (total_rows + k - 1) / k, rounds = (blocks + threads - 1) / threads;
    const double seconds =
        static_cast<double>(rounds) * (static_cast<double>(round_up(tiles, lanes)) * tile_seconds + block_seconds);
    if (k == 1 || seconds < 0.98 * best_seconds) {
      best = k;
      best_seconds = seconds;
    }
  }
  return best;
}

template <typename T>
void correlate(const T* src, int64_t n, int64_t c, int64_t h, int64_t w, const T* u, const T* bias, int64_t o,
               int64_t groups, int64_t top, int64_t left, T* y, int64_t out_h, int64_t out_w) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups, row_blocks = kernel_row_blocks(og);
  const double macs_per_tile = static_cast<double>(kPoints * cg * o);
  const int64_t k = rows_per_block(total_rows, tw, L, kPoints * c * static_cast<int64_t>(sizeof(T)),
                                   macs_per_tile / kMacsPerSecond + kPoints * (c + o) / kValuesPerSecond,
                                   macs_per_tile * sizeof(T) / kBytesPerSecond);
  const int64_t most_tiles = round_up(k * tw, L);
  // Output channels per product chunk (a multiple of 6): its points m (36 x chunk x tiles) fill
  // about kProductBytes beside the block's transformed input.
  const int64_t chunk =
      std::max<int64_t>(1, kProductBytes / (kPoints * most_tiles * static_cast<int64_t>(sizeof(T)) * kKernelRows)) *
      kKernelRows;
  parallel_tasks((total_rows + k - 1) / k, [&](int64_t block) {
    const int64_t row0 = block * k, rows = std::min(k, total_rows - row0);
    const int64_t tiles = rows * tw, padded = round_up(tiles, L);
    T* v = direct::placed_buffer<T, 2>(kPoints * c * padded);  // v[p][ch][tile]
    for (int64_t ch = 0; ch < c; ++ch) {
      input_tiles(src, c, ch, h, w, top, left, row0, rows, th_count, tw, padded, v + ch * padded, c * padded);
    }
    T* m = direct::placed_buffer<T, 3>(kPoints * chunk * padded);  // m[p][o in chunk][tile]
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t o0 = 0; o0 < og; o0 += chunk) {
        const int64_t count = std::min(chunk, og - o0), blocks = kernel_row_blocks(count);
        for (int64_t p = 0; p < kPoints; ++p) {
          const T* vp = v + (p * c + g * cg) * padded;
          const T* up = u + ((g * kPoints + p) * row_blocks + o0 / kKernelRows) * cg * kKernelRows;
          product_rows<T, false>(up, kKernelRows, cg * kKernelRows, blocks, vp, padded, cg, padded / L,
                                 m + p * chunk * padded, padded);
        }
        for (int64_t i = 0; i < count; ++i) {
          const int64_t oc = g * og + o0 + i;
          output_tiles(m + i * padded, chunk * padded, row0, rows, th_count, tw, padded, bias ? bias[oc] : T(0), y, o,
                       oc, out_h, out_w);
        }
      }
    }
  });
}

// gw[oc][j] = G^T Q G of the 36 point sums of Q = the sum of the `slots` sums (each
// [g][p][ogp][cgp]); the slots are added into the first. Tasks of chunks of a group's (ogp x
// cgp) plane, kernels_from_points a vector at a time (cgp is whole vectors: a vector's kernels
// are consecutive input channels of one output channel).
template <typename T>
void weights_from_point_sums(T* sums, int64_t slots, int64_t slot_size, int64_t o, int64_t cg, int64_t og,
                             int64_t ogp, int64_t cgp, T* gw) {
  for (int64_t s = 1; s < slots; ++s) {
    const T* from = sums + s * slot_size;
    parallel_range(slot_size, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) sums[i] += from[i];
    });
  }
  constexpr int64_t L = Simd<T>::kLanes;
  constexpr int64_t kChunk = 512;
  const int64_t plane = ogp * cgp, chunks = (plane + kChunk - 1) / kChunk;
  parallel_tasks(o / og * chunks, [&](int64_t task) {
    const int64_t g = task / chunks, x0 = task % chunks * kChunk, end = std::min(x0 + kChunk, plane);
    for (int64_t x = x0; x < end; x += L) {
      const int64_t i = x / cgp, j = x % cgp;
      if (i >= og || j >= cg) continue;
      kernels_from_points(sums + g * kPoints * plane + x, plane, std::min(L, cg - j), gw + ((g * og + i) * cg + j) * 9);
    }
  });
}

// One point's product of grad-weight: sums (ogp x cgp; kAccumulate: +=) = the point's
// grad-output tiles times its input tiles, reduced over `tiles`, from the point-major planes xp
// (cg channels) and dp (og channels) of `padded` tiles, as the transforms lay them out: each
// L x L block (a vector of channels by a vector of tiles) is transposed tile-major first, since
// the product runs along input channels. Without kAccumulate the padding rows past the
// products' whole panels are zeroed.
template <typename T, bool kAccumulate>
void point_product(const T* xp, const T* dp, int64_t padded, int64_t tiles, int64_t cg, int64_t og, T* sums) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  T* v = direct::placed_buffer<T, 5>(padded * cgp);  // v[t][cgp]
  T* d = direct::placed_buffer<T, 6>(padded * ogp);  // d[t][ogp]
  tile_major(xp, padded, cg, v, cgp);
  tile_major(dp, padded, og, d, ogp);
  const int64_t panels = kernel_row_blocks(og);
  product_rows<T, kAccumulate>(d, ogp, kKernelRows, panels, v, cgp, tiles, cgp / L, sums, cgp);
  if (!kAccumulate) std::fill(sums + panels * kKernelRows * cgp, sums + ogp * cgp, T(0));
}

// grad_weight's point sums q[g][p][ogp][cgp] (below) in three phases over the whole batch: every
// tile's points of the input and of the grad-output, then per point and group point_product
// over all tiles, written once (no sum per thread).
template <typename T>
void grad_weight_points_whole_batch(const T* x, int64_t c, int64_t h, int64_t w, const T* gy, int64_t o, int64_t n,
                                    int64_t out_h, int64_t out_w, int64_t groups, int64_t top, int64_t left,
                                    WorkspaceAllocator workspace, T* q) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups;
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  const int64_t tiles = total_rows * tw, padded = round_up(tiles, L);
  const at::Tensor xt_owner = workspace_of<T>(workspace, kPoints * c * padded);
  const at::Tensor dt_owner = workspace_of<T>(workspace, kPoints * o * padded);
  T* xt = xt_owner.data_ptr<T>();
  T* dt = dt_owner.data_ptr<T>();
  parallel_tasks(c, [&](int64_t ch) {
    input_tiles(x, c, ch, h, w, top, left, 0, total_rows, th_count, tw, padded, xt + ch * padded, c * padded);
  });
  parallel_tasks(o, [&](int64_t oc) {
    grad_output_tiles(gy, o, oc, out_h, out_w, 0, total_rows, th_count, tw, padded, dt + oc * padded, o * padded);
  });
  parallel_tasks(groups * kPoints, [&](int64_t task) {
    const int64_t g = task / kPoints, p = task % kPoints;
    point_product<T, false>(xt + (p * c + g * cg) * padded, dt + (p * o + g * og) * padded, padded, tiles, cg, og,
                            q + (g * kPoints + p) * ogp * cgp);
  });
}

template <typename T>
void grad_weight(const T* x, int64_t n, int64_t c, int64_t h, int64_t w, const T* gy, int64_t o, int64_t out_h,
                 int64_t out_w, int64_t groups, int64_t top, int64_t left, int64_t workspace_bytes,
                 WorkspaceAllocator workspace, T* gw) {
  constexpr int64_t L = Simd<T>::kLanes;
  const int64_t th_count = (out_h + kTile - 1) / kTile, tw = (out_w + kTile - 1) / kTile, total_rows = n * th_count;
  const int64_t cg = c / groups, og = o / groups;
  // Per block, the points of the input's and the grad-output's tiles as forward makes them,
  // xt[p][ch][t] and dt[p][oc][t], then per point and group point_product; a sum Q holds each
  // group's channels padded to whole vectors, the output channels also to register blocks of 6.
  const int64_t cgp = round_up(cg, L), ogp = round_up(round_up(og, kKernelRows), L);
  const int64_t slot_size = groups * kPoints * ogp * cgp;
  // Per tile: the products, both transforms and the transposes; per block: its sum read and written.
  const double macs_per_tile = static_cast<double>(kPoints * cg * o);
  const int64_t k = rows_per_block(total_rows, tw, L, kPoints * (c + o) * static_cast<int64_t>(sizeof(T)),
                                   macs_per_tile / kMacsPerSecond + 2 * kPoints * (c + o) / kValuesPerSecond,
                                   2.0 * slot_size * sizeof(T) / kBytesPerSecond);
  const int64_t blocks = (total_rows + k - 1) / k;
  // Each block adds into a whole sum Q (a thread's); with few tiles and many channels that
  // traffic outgrows making every tile's points once and reducing per point over all tiles.
  const int64_t all_tiles = round_up(total_rows * tw, L);
  const double planes_bytes = 2.0 * kPoints * static_cast<double>(c + o) * all_tiles * sizeof(T);
  const double sums_bytes = 2.0 * static_cast<double>(blocks) * slot_size * sizeof(T);
  if (planes_bytes < sums_bytes && planes_bytes / 2 <= static_cast<double>(workspace_bytes)) {
    // Every value written below.
    const at::Tensor q = workspace_of<T>(workspace, slot_size);
    grad_weight_points_whole_batch(x, c, h, w, gy, o, n, out_h, out_w, groups, top, left, workspace, q.data_ptr<T>());
    weights_from_point_sums(q.data_ptr<T>(), 1, slot_size, o, cg, og, ogp, cgp, gw);
    return;
  }
  // One sum a thread (the task counter hands blocks to any thread), added up at the end.
  const int64_t slots = std::max(1, at::get_num_threads());
  const at::Tensor partial_owner = workspace_of<T>(workspace, slots * slot_size);
  T* const partial = partial_owner.data_ptr<T>();
  std::fill_n(partial, slots * slot_size, T(0));
  parallel_tasks(blocks, [&](int64_t block) {
    // Inside another parallel region the tasks run one after another on one thread: any slot.
    T* acc = partial + std::min<int64_t>(at::get_thread_num(), slots - 1) * slot_size;
    const int64_t row0 = block * k, rows = std::min(k, total_rows - row0), tiles = rows * tw;
    const int64_t padded = round_up(tiles, L);
    T* xt = direct::placed_buffer<T, 2>(kPoints * c * padded);
    T* dt = direct::placed_buffer<T, 3>(kPoints * o * padded);
    for (int64_t ch = 0; ch < c; ++ch) {
      input_tiles(x, c, ch, h, w, top, left, row0, rows, th_count, tw, padded, xt + ch * padded, c * padded);
    }
    for (int64_t oc = 0; oc < o; ++oc) {
      grad_output_tiles(gy, o, oc, out_h, out_w, row0, rows, th_count, tw, padded, dt + oc * padded, o * padded);
    }
    for (int64_t p = 0; p < kPoints; ++p) {
      for (int64_t g = 0; g < groups; ++g) {
        point_product<T, true>(xt + (p * c + g * cg) * padded, dt + (p * o + g * og) * padded, padded, tiles, cg, og,
                               acc + (g * kPoints + p) * ogp * cgp);
      }
    }
  });
  weights_from_point_sums(partial, slots, slot_size, o, cg, og, ogp, cgp, gw);
}

}  // namespace

void correlate_tiles(const at::Tensor& src, const at::Tensor& u, const at::Tensor& bias, int64_t groups, int64_t top,
                     int64_t left, at::Tensor& y) {
  TORCH_INTERNAL_ASSERT(src.dim() == 4 && src.is_contiguous() && y.dim() == 4 && y.is_contiguous() && u.is_contiguous());
  const int64_t o = y.size(1), cg = src.size(1) / groups;
  TORCH_INTERNAL_ASSERT(u.dim() == 5 && u.size(0) == groups && u.size(1) == kPoints &&
                        u.size(2) == kernel_row_blocks(o / groups) && u.size(3) == cg && u.size(4) == kKernelRows);
  TORCH_INTERNAL_ASSERT(y.size(0) == src.size(0) && src.size(1) % groups == 0 && o % groups == 0);
  const at::Tensor b = bias.defined() ? bias.contiguous() : bias;
  AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "oaconv::winograd::correlate_tiles", [&] {
    correlate<scalar_t>(src.data_ptr<scalar_t>(), src.size(0), src.size(1), src.size(2), src.size(3),
                        u.data_ptr<scalar_t>(), b.defined() ? b.data_ptr<scalar_t>() : nullptr, o, groups, top, left,
                        y.data_ptr<scalar_t>(), y.size(2), y.size(3));
  });
}

void pack_kernel_transform(const at::Tensor& w, int64_t groups, bool transposed, at::Tensor& u) {
  TORCH_INTERNAL_ASSERT(w.dim() == 4 && w.is_contiguous() && u.is_contiguous() && w.size(2) == 3 && w.size(3) == 3);
  const int64_t og = w.size(0) / groups, cg = w.size(1);
  const int64_t out_g = transposed ? cg : og, in_g = transposed ? og : cg;
  TORCH_INTERNAL_ASSERT(u.dim() == 5 && u.size(0) == groups && u.size(1) == kPoints &&
                        u.size(2) == kernel_row_blocks(out_g) && u.size(3) == in_g && u.size(4) == kKernelRows);
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "oaconv::winograd::pack_kernel_transform", [&] {
    pack_kernel<scalar_t>(w.data_ptr<scalar_t>(), w.size(0), cg, groups, transposed, u.data_ptr<scalar_t>());
  });
}

void grad_weight_tiles(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                       int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw) {
  TORCH_INTERNAL_ASSERT(x.dim() == 4 && x.is_contiguous() && gy.dim() == 4 && gy.is_contiguous() && gw.is_contiguous());
  TORCH_INTERNAL_ASSERT(x.size(0) == gy.size(0) && x.size(1) % groups == 0 && gy.size(1) % groups == 0);
  TORCH_INTERNAL_ASSERT(gw.dim() == 4 && gw.size(0) == gy.size(1) && gw.size(1) == x.size(1) / groups &&
                        gw.size(2) == 3 && gw.size(3) == 3);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "oaconv::winograd::grad_weight_tiles", [&] {
    grad_weight<scalar_t>(x.data_ptr<scalar_t>(), x.size(0), x.size(1), x.size(2), x.size(3), gy.data_ptr<scalar_t>(),
                          gy.size(1), gy.size(2), gy.size(3), groups, top, left, workspace_bytes, workspace,
                          gw.data_ptr<scalar_t>());
  });
}

}  // namespace oaconv::winograd
