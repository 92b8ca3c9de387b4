#include "kernel_transform_cache.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

namespace oaconv {

int64_t KernelTransformCache::entry_bytes(const Entry& e) {
  return static_cast<int64_t>(e.transform.nbytes() + e.weight_values.nbytes());
}

KernelTransformCache& KernelTransformCache::instance() {
  static KernelTransformCache* cache = new KernelTransformCache();  // never destroyed (static teardown)
  return *cache;
}

at::Tensor KernelTransformCache::get(const at::Tensor& weight, const KernelTransformKind& kind, const Make& make) {
  // A tensor made under at::InferenceMode has no version counter, so an in-place change to it
  // could not be seen: its transform is made every call, never cached.
  if (weight.is_inference()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.misses;
    }
    return make(weight, at::Tensor());
  }
  const Key key{weight.unsafeGetTensorImpl(), kind, weight.scalar_type()};
  const uint32_t version = weight._version();
  at::Tensor stale_transform, stale_values;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      const auto alive = it->second.owner.lock();
      if (alive.get() == weight.unsafeGetTensorImpl() && it->second.version == version &&
          it->second.weight_values.sizes() == weight.sizes() && it->second.weight_values.equal(weight.detach())) {
        ++stats_.hits;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.transform;
      }
      // Stale (weight updated in place) or a dead tensor's recycled address: drop it, keeping
      // its buffers for the new entry where nobody else holds them.
      if (it->second.transform.storage().use_count() == 1) stale_transform = it->second.transform;
      if (it->second.weight_values.sizes() == weight.sizes()) stale_values = it->second.weight_values;
      stats_.bytes -= entry_bytes(it->second);
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
    drop_dead_entries(weight, stale_transform, stale_values);
    ++stats_.misses;
  }
  // Made outside the lock: other layers keep hitting meanwhile.
  at::Tensor transform = make(weight, stale_transform);
  at::Tensor values;
  {
    // The kept copy outlives the call: made under at::InferenceMode it would be an inference
    // tensor, which a later call outside that mode could not copy a new weight into.
    c10::InferenceMode outside_inference_mode(false);
    values = stale_values.defined() ? stale_values.copy_(weight.detach()) : weight.detach().clone();
  }
  const int64_t bytes = static_cast<int64_t>(transform.nbytes() + values.nbytes());
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > budget_ || entries_.count(key)) return transform;  // too big to keep, or raced
  evict_to(budget_ - bytes);
  lru_.push_front(key);
  entries_.emplace(key, Entry{c10::weak_intrusive_ptr<c10::TensorImpl>(
                                  c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>::reclaim_copy(
                                      weight.unsafeGetTensorImpl())),
                              version, values, transform, lru_.begin()});
  stats_.bytes += bytes;
  return transform;
}

void KernelTransformCache::drop_dead_entries(const at::Tensor& weight, at::Tensor& spare_transform,
                                             at::Tensor& spare_values) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (!e.owner.expired()) {
      ++it;
      continue;
    }
    // Whether `make` can use the transform's buffer is its own check (its sizes).
    if (!spare_transform.defined() && e.transform.scalar_type() == weight.scalar_type() &&
        e.transform.storage().use_count() == 1) {
      spare_transform = e.transform;
    }
    if (!spare_values.defined() && e.weight_values.sizes() == weight.sizes() &&
        e.weight_values.scalar_type() == weight.scalar_type()) {
      spare_values = e.weight_values;
    }
    stats_.bytes -= entry_bytes(e);
    lru_.erase(e.lru);
    it = entries_.erase(it);
  }
}

void KernelTransformCache::evict_to(int64_t bytes) {
  while (stats_.bytes > bytes && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    stats_.bytes -= entry_bytes(it->second);
    entries_.erase(it);
    lru_.pop_back();
  }
}

KernelCacheStats KernelTransformCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  KernelCacheStats s = stats_;
  s.entries = static_cast<int64_t>(entries_.size());
  return s;
}

void KernelTransformCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
  lru_.clear();
  stats_ = KernelCacheStats{};
}

void KernelTransformCache::set_budget(int64_t bytes) {
  TORCH_CHECK(bytes >= 0, "oaconv::set_kernel_cache_budget: the budget must be non-negative, but got ", bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  budget_ = bytes;
  evict_to(budget_);
}

int64_t KernelTransformCache::budget() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return budget_;
}

}  // namespace oaconv
