#pragma once
// The separable fast path: a kernel written as sum_t columns[t] (outer) rows[t] is slid over an
// image as, per term, a vertical 1-D pass (kh taps) then a horizontal one (kw taps), so a pixel
// costs rank * (kh + kw) multiply-adds instead of kh * kw.
#include <ATen/core/Tensor.h>

namespace oaconv::filter {

// "Valid" cross-correlation of each plane of `padded` (C, Hp, Wp) with
// sum_t columns[t] (outer) rows[t]: returns (C, Hp - kh + 1, Wp - kw + 1) in padded's dtype.
// columns (rank, kh) and rows (rank, kw) are float64; the passes run in the image's precision.
at::Tensor separable_correlate_valid(const at::Tensor& padded, const at::Tensor& columns,
                                     const at::Tensor& rows);

}  // namespace oaconv::filter
