#pragma once
// Extends an image stack (C, H, W) by made-up border pixels, per oaconv::Boundary, so that a
// "valid" sliding-window pass over the result gives the "same"-sized filtered image.
#include <oaconv/image_filter.h>

#include <ATen/core/Tensor.h>

namespace oaconv::filter {

// Source index of padded position `p` (0 <= p < n + before + after) along an axis of length n,
// or -1 for a zero pixel. Reflect is half-sample symmetric (period 2n), circular has period n.
int64_t boundary_source_index(int64_t p, int64_t n, int64_t before, Boundary boundary);

// (C, H, W) -> (C, H + top + bottom, W + left + right). Every pad must be <= the axis length.
at::Tensor pad_with_boundary(const at::Tensor& images, int64_t top, int64_t bottom, int64_t left,
                             int64_t right, Boundary boundary);

}  // namespace oaconv::filter
