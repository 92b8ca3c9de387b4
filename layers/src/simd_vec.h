#pragma once
// A 64-byte SIMD vector through GCC/Clang vector extensions (16 floats or 8 doubles): portable
// across x86 and ARM, compiled to whatever the target's widest profitable registers are.
#include <cstring>

namespace oaconv {

// Integer lane-index vectors of the same lane count, for shuffles.
template <typename T>
struct IntVec;
template <>
struct IntVec<float> {
  typedef int Vec __attribute__((vector_size(64)));
  static Vec even() { return Vec{0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14}; }
  static Vec odd() { return Vec{1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15}; }
  static Vec swap() { return Vec{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}; }
};
template <>
struct IntVec<double> {
  typedef long long Vec __attribute__((vector_size(64)));
  static Vec even() { return Vec{0, 0, 2, 2, 4, 4, 6, 6}; }
  static Vec odd() { return Vec{1, 1, 3, 3, 5, 5, 7, 7}; }
  static Vec swap() { return Vec{1, 0, 3, 2, 5, 4, 7, 6}; }
};

template <typename V, typename M>
inline V shuffle(const V& v, const M& mask) {
#if defined(__clang__)
  V out;
  for (int i = 0; i < static_cast<int>(sizeof(V) / sizeof(v[0])); ++i) out[i] = v[mask[i]];
  return out;
#else
  return __builtin_shuffle(v, mask);
#endif
}

template <typename T>
struct Simd {
  static constexpr int kLanes = 64 / sizeof(T);
  typedef T Vec __attribute__((vector_size(64)));

  static Vec load(const T* p) {
    Vec v;
    std::memcpy(&v, p, sizeof(Vec));  // unaligned load
    return v;
  }
  static void store(T* p, const Vec& v) { std::memcpy(p, &v, sizeof(Vec)); }  // unaligned store
  static Vec load_strided(const T* p, int64_t stride) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
    return v;
  }
  // Vector-scalar arithmetic broadcasts the scalar (one vbroadcastss), unlike a lane loop.
  static Vec broadcast(T x) { return Vec{} + x; }
  // Interleaved complex helpers: (re, im) pairs in adjacent lanes.
  using Mask = typename IntVec<T>::Vec;
  static Vec dup_even(const Vec& v) { return shuffle(v, IntVec<T>::even()); }  // (re, re)
  static Vec dup_odd(const Vec& v) { return shuffle(v, IntVec<T>::odd()); }    // (im, im)
  static Vec swap_pairs(const Vec& v) { return shuffle(v, IntVec<T>::swap()); }  // (im, re)
  // (s_even, s_odd) repeated: a per-lane sign for combining complex partial products.
  static Vec pair(T even, T odd) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = (i % 2 == 0) ? even : odd;
    return v;
  }

  static T sum(const Vec& v) {
    T s = 0;
    for (int i = 0; i < kLanes; ++i) s += v[i];
    return s;
  }
};

}  // namespace oaconv
