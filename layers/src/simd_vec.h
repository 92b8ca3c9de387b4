#pragma once
// A 64-byte SIMD vector through GCC/Clang vector extensions (16 floats or 8 doubles): portable
// across x86 and ARM, compiled to whatever the target's widest profitable registers are.
#include <cstring>

namespace oaconv {

template <typename T>
struct Simd {
  static constexpr int kLanes = 64 / sizeof(T);
  typedef T Vec __attribute__((vector_size(64)));

  static Vec load(const T* p) {
    Vec v;
    std::memcpy(&v, p, sizeof(Vec));  // unaligned load
    return v;
  }
  static Vec load_strided(const T* p, int64_t stride) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
    return v;
  }
  // Vector-scalar arithmetic broadcasts the scalar (one vbroadcastss), unlike a lane loop.
  static Vec broadcast(T x) { return Vec{} + x; }
  static T sum(const Vec& v) {
    T s = 0;
    for (int i = 0; i < kLanes; ++i) s += v[i];
    return s;
  }
};

}  // namespace oaconv
