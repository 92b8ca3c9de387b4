#include "boundary_padding.h"

#include <ATen/ATen.h>

namespace oaconv::filter {

int64_t boundary_source_index(int64_t p, int64_t n, int64_t before, Boundary boundary) {
  const int64_t i = p - before;
  if (i >= 0 && i < n) return i;
  switch (boundary) {
    case Boundary::kZero: return -1;
    case Boundary::kReplicate: return i < 0 ? 0 : n - 1;
    case Boundary::kCircular: return ((i % n) + n) % n;
    case Boundary::kReflect: {
      // Mirror about the pixel edges: ... b a | a b ... d | d c ...; period 2n.
      const int64_t m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
  }
  return -1;
}

namespace {

// Index vector of an axis for index_select (only for the non-zero modes).
at::Tensor axis_indices(int64_t n, int64_t before, int64_t after, Boundary boundary) {
  at::Tensor index = at::empty({n + before + after}, at::kLong);
  int64_t* data = index.data_ptr<int64_t>();
  for (int64_t p = 0; p < n + before + after; ++p) data[p] = boundary_source_index(p, n, before, boundary);
  return index;
}

}  // namespace

at::Tensor pad_with_boundary(const at::Tensor& images, int64_t top, int64_t bottom, int64_t left,
                             int64_t right, Boundary boundary) {
  const int64_t h = images.size(1), w = images.size(2);
  TORCH_CHECK(top <= h && bottom <= h && left <= w && right <= w,
              "oaconv::filter2d: border of (", top, ", ", bottom, ", ", left, ", ", right,
              ") pixels is wider than the ", h, "x", w, " image");
  if (boundary == Boundary::kZero) return at::constant_pad_nd(images, {left, right, top, bottom}, 0.0);
  return images.index_select(1, axis_indices(h, top, bottom, boundary))
      .index_select(2, axis_indices(w, left, right, boundary));
}

}  // namespace oaconv::filter
