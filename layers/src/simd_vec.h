#pragma once
// A SIMD vector through GCC/Clang vector extensions, as wide as the target's registers: 64 bytes
// with AVX-512 (16 floats or 8 doubles), 32 with AVX/AVX2, else 16 (SSE2, NEON). Portable across
// x86 and ARM. The width must follow the target: a 64-byte vector on AVX2 is split into pairs of
// 32-byte registers, doubling every kernel's register blocking into spills (on an AVX2 EPYC,
// bench_layers' N8 C64->64 64x64 k7 with oaa ran its spectral product at 6.9 instead of
// 54-62 GFLOP/s, and its pruned kernel DFTs about 8x slower). The files that include this header
// are compiled once per instruction set (isa/instruction_set.h).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace oaconv {

#if defined(__AVX512F__)
constexpr int kSimdBytes = 64;
constexpr int kSimdRegisters = 32;
#elif defined(__AVX__)
constexpr int kSimdBytes = 32;
constexpr int kSimdRegisters = 16;
#elif defined(__aarch64__)
constexpr int kSimdBytes = 16;
constexpr int kSimdRegisters = 32;
#else
constexpr int kSimdBytes = 16;
constexpr int kSimdRegisters = 16;
#endif

namespace simd_detail {
// An integer vector of lane indices i -> index(i), built at compile time.
template <typename Mask, typename Index, size_t... I>
constexpr Mask lane_indices(Index index, std::index_sequence<I...>) {
  return Mask{index(static_cast<int>(I))...};
}
}  // namespace simd_detail

// Integer lane-index vectors of the same lane count, for shuffles.
template <typename T>
struct IntVec;
template <>
struct IntVec<float> {
  typedef int32_t Vec __attribute__((vector_size(kSimdBytes)));
};
template <>
struct IntVec<double> {
  typedef int64_t Vec __attribute__((vector_size(kSimdBytes)));
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

// Lanes of the concatenation (a, b) chosen by mask (index < lanes: a's lane, else b's lane -
// lanes).
template <typename V, typename M>
inline V shuffle2(const V& a, const V& b, const M& mask) {
#if defined(__clang__)
  constexpr int kCount = static_cast<int>(sizeof(V) / sizeof(a[0]));
  V out;
  for (int i = 0; i < kCount; ++i) out[i] = mask[i] < kCount ? a[mask[i]] : b[mask[i] - kCount];
  return out;
#else
  return __builtin_shuffle(a, b, mask);
#endif
}

template <typename T>
struct Simd {
  static constexpr int kLanes = kSimdBytes / sizeof(T);
  typedef T Vec __attribute__((vector_size(kSimdBytes)));

  // Unaligned loads and stores through a vector type aligned to one lane (and allowed to alias
  // T). A memcpy from a vector's address made GCC keep register-blocked accumulators in memory
  // at a kernel's end and copy them out in 16-byte halves, the upper half read back before its
  // 32-byte store had reached the cache (a stall that took 45 % of a depthwise forward).
  typedef T Unaligned __attribute__((vector_size(kSimdBytes), aligned(sizeof(T)), may_alias));
  static Vec load(const T* p) { return *reinterpret_cast<const Unaligned*>(p); }
  static void store(T* p, const Vec& v) { *reinterpret_cast<Unaligned*>(p) = v; }
  // The first n (0 <= n <= kLanes) lanes from or to p, nothing past them touched (the load's
  // other lanes zero): a row's last values where a whole vector would read past the tensor's end
  // or write over another thread's values. One masked instruction with AVX-512; elsewhere lane
  // by lane (AVX2's masked stores are slow on the AMD cores of this project's machines).
  static Vec load_first(const T* p, int64_t n) {
#if defined(__AVX512F__)
    if constexpr (sizeof(T) == 4) {
      return reinterpret_cast<Vec>(_mm512_maskz_loadu_ps(first_lanes(n), p));
    } else {
      return reinterpret_cast<Vec>(_mm512_maskz_loadu_pd(first_lanes(n), p));
    }
#else
    Vec v{};
    for (int64_t i = 0; i < n; ++i) v[i] = p[i];
    return v;
#endif
  }
  static void store_first(T* p, const Vec& v, int64_t n) {
#if defined(__AVX512F__)
    if constexpr (sizeof(T) == 4) {
      _mm512_mask_storeu_ps(p, first_lanes(n), reinterpret_cast<__m512>(v));
    } else {
      _mm512_mask_storeu_pd(p, first_lanes(n), reinterpret_cast<__m512d>(v));
    }
#else
    for (int64_t i = 0; i < n; ++i) p[i] = v[i];
#endif
  }
  // The first n values of the K vectors v, to p.
  template <int K>
  static void store_values(T* p, const Vec (&v)[K], int64_t n) {
    for (int k = 0; k < K && n > 0; ++k, p += kLanes, n -= kLanes) {
      if (n >= kLanes) {
        store(p, v[k]);
      } else {
        store_first(p, v[k], n);
      }
    }
  }
  static Vec load_strided(const T* p, int64_t stride) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = p[i * stride];
    return v;
  }
  // Vector-scalar arithmetic broadcasts the scalar (one vbroadcastss), unlike a lane loop. x - 0
  // is x for every x, so the subtraction folds away; 0 + x would not (it is +0 for x = -0), and
  // GCC keeps a scalar add before the broadcast.
  static Vec broadcast(T x) { return x - Vec{}; }
  // Interleaved complex helpers: (re, im) pairs in adjacent lanes.
  using Mask = typename IntVec<T>::Vec;
  static constexpr Mask lanes(int (*index)(int)) {
    return simd_detail::lane_indices<Mask>(index, std::make_index_sequence<kLanes>());
  }
  static Vec dup_even(const Vec& v) {  // (re, re)
    constexpr Mask m = lanes([](int i) { return i & ~1; });
    return shuffle(v, m);
  }
  static Vec dup_odd(const Vec& v) {  // (im, im)
    constexpr Mask m = lanes([](int i) { return i | 1; });
    return shuffle(v, m);
  }
  static Vec swap_pairs(const Vec& v) {  // (im, re)
    constexpr Mask m = lanes([](int i) { return i ^ 1; });
    return shuffle(v, m);
  }
  // (s_even, s_odd) repeated: a per-lane sign for combining complex partial products.
  static Vec pair(T even, T odd) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = (i % 2 == 0) ? even : odd;
    return v;
  }

#if defined(__AVX512F__)
  // The mask of lanes [0, n).
  static auto first_lanes(int64_t n) {
    if constexpr (sizeof(T) == 4) {
      return static_cast<__mmask16>((uint32_t{1} << n) - 1);
    } else {
      return static_cast<__mmask8>((uint32_t{1} << n) - 1);
    }
  }
#endif

  static T sum(const Vec& v) {
    T s = 0;
    for (int i = 0; i < kLanes; ++i) s += v[i];
    return s;
  }
};

}  // namespace oaconv
