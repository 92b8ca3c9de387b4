#pragma once
// Kernel spectra W = FFT(w) and the process-wide cache of them.
//
// A cached spectrum is keyed by the weight tensor's identity (its TensorImpl, checked alive
// through a weak reference so a new tensor at a recycled address never matches) and the FFT
// geometry and dtype. A hit needs the same version counter (bumped by add_, copy_, ...) AND
// the same values: the entry keeps a copy of the weight (k*k*O*Cg numbers, small beside its
// spectrum) and compares it, because updates through `weight.data()` — which LibTorch's C++
// optimizers use — do not bump the parameter's version counter. A stale spectrum is never
// returned. Entries are bounded by a byte budget, least recently used evicted first.
#include "spectral_problem.h"

#include <ATen/core/Tensor.h>
#include <c10/util/intrusive_ptr.h>

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <tuple>

namespace oaconv::fft {

// W[o * Cg + c] = FFT of w[o, c] dilated and zero-padded to the transform size, scaled by 1/P
// (so forward and grad-input results come out of the inverse FFT already normalised).
// Layout [O * Cg, stride, 2].
at::Tensor compute_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight);

struct KernelCacheStats {
  int64_t hits = 0, misses = 0, bytes = 0, entries = 0;
};

class KernelSpectrumCache {
 public:
  static KernelSpectrumCache& instance();
  // The spectrum of `weight` for this problem, computed on a miss.
  at::Tensor get(const SpectralProblem& p, const at::Tensor& weight);
  KernelCacheStats stats() const;
  void clear();
  void set_budget(int64_t bytes);
  int64_t budget() const;

 private:
  struct Key {
    const void* impl;
    std::array<int64_t, 3> fft;       // P_d, P_h, P_w
    std::array<int64_t, 3> dilation;  // per axis, unit leading axes included
    c10::ScalarType dtype;
    bool operator<(const Key& o) const {
      return std::tie(impl, fft, dilation, dtype) < std::tie(o.impl, o.fft, o.dilation, o.dtype);
    }
  };
  struct Entry {
    c10::weak_intrusive_ptr<c10::TensorImpl> owner;
    uint32_t version;
    at::Tensor weight_values;  // the weight the spectrum was computed from
    at::Tensor spectrum;
    std::list<Key>::iterator lru;
  };
  KernelSpectrumCache() = default;
  static int64_t entry_bytes(const Entry& e);
  void evict_to(int64_t bytes);  // with mutex_ held

  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;  // front = most recently used
  int64_t budget_ = int64_t(256) << 20;
  KernelCacheStats stats_;
};

}  // namespace oaconv::fft
