#include "max_pool_2x2.h"

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>


namespace oaconv::training {
namespace {

// One input plane (H x W, row-major) -> one output plane (H/2 x W/2) and its indices, with
// LibTorch's rule: the window is visited row by row and a value is taken if it is greater than
// the best so far or NaN; so the first of tied maxima wins and the last NaN wins.
//
// Written as two branch-free loops the compiler vectorizes (values, then the index of the
// first element equal to the maximum): on real activations "is this the maximum" is a coin
// toss, and a one-loop version with the index in it compiled to branches that mispredicted
// (7 ms for a 64x16x64x64 batch, as slow as LibTorch's own).
template <typename T>
void pool_plane(const T* in, T* out, int64_t* indices, int64_t h, int64_t w) {
  const int64_t oh = h / 2, ow = w / 2;
  for (int64_t i = 0; i < oh; ++i) {
    const T* row0 = in + (2 * i) * w;
    const T* row1 = row0 + w;
    T* out_row = out + i * ow;
    int64_t* index_row = indices + i * ow;
    for (int64_t j = 0; j < ow; ++j) {
      T best = row0[2 * j];
      const T rest[3] = {row0[2 * j + 1], row1[2 * j], row1[2 * j + 1]};
      for (T v : rest) best = (v > best || v != v) ? v : best;  // v != v: NaN
      out_row[j] = best;
    }
    const int64_t top = 2 * i * w;
    int nans = 0;
    for (int64_t j = 0; j < ow; ++j) {
      const T best = out_row[j];
      // Window slot 0..3 of the first element equal to the maximum (3 when none is: NaN).
      const int slot = (row0[2 * j] != best) * (1 + (row0[2 * j + 1] != best) * (1 + (row1[2 * j] != best)));
      index_row[j] = top + 2 * j + (slot >> 1) * w + (slot & 1);
      nans += best != best;
    }
    if (nans > 0) {  // rare: the index of a NaN maximum is that of the window's last NaN
      for (int64_t j = 0; j < ow; ++j) {
        if (out_row[j] == out_row[j]) continue;
        const T window[4] = {row0[2 * j], row0[2 * j + 1], row1[2 * j], row1[2 * j + 1]};
        for (int slot = 0; slot < 4; ++slot) {
          if (window[slot] != window[slot]) index_row[j] = (2 * i + slot / 2) * w + 2 * j + slot % 2;
        }
      }
    }
  }
}

class MaxPool2x2Function : public torch::autograd::Function<MaxPool2x2Function> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    auto [out, indices] = max_pool_2x2_with_indices(x);
    ctx->save_for_backward({x, indices});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    return {at::max_pool2d_with_indices_backward(grads[0], saved[0], {2, 2}, {2, 2}, {0, 0}, {1, 1},
                                                 /*ceil_mode=*/false, saved[1])};
  }
};

}  // namespace

std::tuple<at::Tensor, at::Tensor> max_pool_2x2_with_indices(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 3 || x.dim() == 4, "oaconv::training::max_pool_2x2: expected a (N, C, H, W) or (C, H, W) tensor, but got ",
              x.dim(), " dimensions");
  TORCH_CHECK(at::isFloatingType(x.scalar_type()), "oaconv::training::max_pool_2x2: expected a floating-point tensor, but got ",
              x.scalar_type());
  const int64_t h = x.size(-2), w = x.size(-1);
  TORCH_CHECK(h >= 2 && w >= 2, "oaconv::training::max_pool_2x2: a 2x2 window needs H and W >= 2, but the input is ", h, "x", w);
  const at::Tensor input = x.contiguous();
  std::vector<int64_t> out_sizes = input.sizes().vec();
  out_sizes[out_sizes.size() - 2] = h / 2;
  out_sizes.back() = w / 2;
  at::Tensor out = at::empty(out_sizes, input.options());
  at::Tensor indices = at::empty(out_sizes, input.options().dtype(at::kLong));
  const int64_t planes = input.numel() / (h * w);
  const int64_t plane_out = (h / 2) * (w / 2);
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "oaconv::training::max_pool_2x2", [&] {
    const scalar_t* in = input.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    int64_t* idx = indices.data_ptr<int64_t>();
    at::parallel_for(0, planes, std::max<int64_t>(1, 16384 / (h * w)), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        pool_plane<scalar_t>(in + p * h * w, o + p * plane_out, idx + p * plane_out, h, w);
      }
    });
  });
  return {out, indices};
}

at::Tensor max_pool_2x2(const at::Tensor& x) { return MaxPool2x2Function::apply(x); }

}  // namespace oaconv::training
