#pragma once
// Shared by the convolution fuzz targets: decoding sizes and options from the fuzzer's bytes,
// and comparing results with torch's (shape, NaN/Inf positions, finite values).
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace oaconv::fuzz {

struct Bytes {
  const uint8_t* data;
  size_t size, at = 0;
  uint8_t next() { return at < size ? data[at++] : 0; }
  int64_t in(int64_t lo, int64_t hi) { return lo + next() % (hi - lo + 1); }
  // Mostly small, sometimes one of the values that break arithmetic.
  int64_t step_value() {
    static const int64_t special[] = {0, -1, 1000000000, int64_t{1} << 62, std::numeric_limits<int64_t>::max()};
    const uint8_t b = next();
    return b < 230 ? 1 + b % 3 : special[b % 5];
  }
  int64_t pad_value() {
    static const int64_t special[] = {-1, int64_t{1} << 62, std::numeric_limits<int64_t>::max() - 3, 40};
    const uint8_t b = next();
    return b < 230 ? b % 4 : special[b % 4];
  }
};

inline bool same_values(const at::Tensor& a, const at::Tensor& b, double tolerance) {
  if (a.sizes() != b.sizes()) return false;
  if (a.numel() == 0) return true;
  if (!at::isnan(a).equal(at::isnan(b)) || !at::isinf(a).equal(at::isinf(b))) return false;
  const at::Tensor finite = at::isfinite(b);
  if (!finite.any().item<bool>()) return true;
  const at::Tensor da = a.masked_select(finite), db = b.masked_select(finite);
  return (da - db).norm().item<double>() <= tolerance * std::max(1.0, db.norm().item<double>());
}

}  // namespace oaconv::fuzz
