#pragma once
// The box fast path: a kh x kw kernel whose entries are all `value` is slid over an image as a
// running sum down the columns (add the row entering the window, subtract the one leaving) and
// then along each row, so a pixel costs about four additions whatever the kernel size. Sums are
// kept in float64 so that the adds and subtracts do not drift over long rows.
#include <ATen/core/Tensor.h>

namespace oaconv::filter {

// "Valid" cross-correlation of each plane of `padded` (C, Hp, Wp) with a constant kh x kw kernel:
// returns (C, Hp - kh + 1, Wp - kw + 1) in padded's dtype.
at::Tensor box_correlate_valid(const at::Tensor& padded, int64_t kh, int64_t kw, double value);

}  // namespace oaconv::filter
