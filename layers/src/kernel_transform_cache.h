#pragma once
// The process-wide cache of kernel transforms: the spectral algorithms' kernel spectra W =
// FFT(w) and winograd's packed G g G^T, each keyed by the weight it was made from and which
// transform of it (the algorithm's tag and parameters, the dtype).
//
// An entry is keyed by the weight tensor's identity (its TensorImpl, checked alive through a weak
// reference so a new tensor at a recycled address never matches). A hit needs the same version
// counter (bumped by add_, copy_, ...) AND the same values: the entry keeps a copy of the weight
// (small beside its transform) and compares it, because updates through `weight.data()` — which
// LibTorch's C++ optimizers use — do not bump the parameter's version counter. A stale transform
// is never returned. Entries are bounded by a byte budget, least recently used evicted first.
#include <ATen/core/Tensor.h>
#include <c10/util/intrusive_ptr.h>

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <tuple>

namespace oaconv {

// Which transform of a weight: the algorithm's tag (one per kind of transform) and the
// parameters it depends on besides the weight (unused ones 0).
struct KernelTransformKind {
  enum Tag : int { kSpectrum, kWinograd };
  Tag tag;
  std::array<int64_t, 6> params;
  bool operator<(const KernelTransformKind& o) const { return std::tie(tag, params) < std::tie(o.tag, o.params); }
};

struct KernelCacheStats {
  int64_t hits = 0, misses = 0, bytes = 0, entries = 0;
};

class KernelTransformCache {
 public:
  static KernelTransformCache& instance();
  // Makes the transform of `weight`, into `reuse` where that is defined and fits (checked by
  // `make`: the stale transform of this weight's entry, or a dead weight's, that nobody else
  // holds; a weight updated every training step then needs no fresh buffer, which would be
  // page-faulted in), else into a new tensor.
  using Make = std::function<at::Tensor(const at::Tensor& weight, const at::Tensor& reuse)>;
  // The `kind` transform of `weight`, made by `make` on a miss.
  at::Tensor get(const at::Tensor& weight, const KernelTransformKind& kind, const Make& make);
  KernelCacheStats stats() const;
  void clear();
  void set_budget(int64_t bytes);
  int64_t budget() const;

 private:
  struct Key {
    const void* impl;
    KernelTransformKind kind;
    c10::ScalarType dtype;
    bool operator<(const Key& o) const { return std::tie(impl, kind, dtype) < std::tie(o.impl, o.kind, o.dtype); }
  };
  struct Entry {
    c10::weak_intrusive_ptr<c10::TensorImpl> owner;
    uint32_t version;
    at::Tensor weight_values;  // the weight the transform was made from
    at::Tensor transform;
    std::list<Key>::iterator lru;
  };
  KernelTransformCache() = default;
  static int64_t entry_bytes(const Entry& e);
  void evict_to(int64_t bytes);  // with mutex_ held
  // Drops the entries of weights that no longer exist (a weight made anew every call, e.g. a
  // reparametrised one, leaves one a call), handing one's buffers out as spares for `weight`'s
  // new entry where nobody else holds them. With mutex_ held.
  void drop_dead_entries(const at::Tensor& weight, at::Tensor& spare_transform, at::Tensor& spare_values);

  mutable std::mutex mutex_;
  std::map<Key, Entry> entries_;
  std::list<Key> lru_;  // front = most recently used
  int64_t budget_ = int64_t(256) << 20;
  KernelCacheStats stats_;
};

}  // namespace oaconv
