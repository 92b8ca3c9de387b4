#include "kernel_spectrum_cache.h"

#include "profiling_internal.h"
#include "pruned_dft.h"

#include <ATen/ATen.h>

namespace oaconv::fft {

at::Tensor compute_kernel_spectrum(const SpectralProblem& p, const at::Tensor& weight) {
  PhaseTimer timer(&PhaseTimes::kernel_transform);
  // k x k taps in a P_h x P_w plane: a pruned DFT by matrix products beats a full FFT.
  // The weight's taps are read in order, whatever its rank (the unit leading axes hold none).
  return kernel_spectrum_by_dft(p, weight);
}

int64_t KernelSpectrumCache::entry_bytes(const Entry& e) {
  return static_cast<int64_t>(e.spectrum.nbytes() + e.weight_values.nbytes());
}

KernelSpectrumCache& KernelSpectrumCache::instance() {
  static KernelSpectrumCache* cache = new KernelSpectrumCache();  // never destroyed (static teardown)
  return *cache;
}

at::Tensor KernelSpectrumCache::get(const SpectralProblem& p, const at::Tensor& weight) {
  // A tensor made under at::InferenceMode has no version counter, so an in-place change to it
  // could not be seen: its spectrum is computed every call, never cached.
  if (weight.is_inference()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.misses;
    }
    return compute_kernel_spectrum(p, weight);
  }
  const Key key{weight.unsafeGetTensorImpl(),
                {p.tiling.depth.fft, p.tiling.rows.fft, p.tiling.cols.fft},
                {p.g.dilation[0], p.g.dilation[1], p.g.dilation[2]},
                p.dtype};
  const uint32_t version = weight._version();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      const auto alive = it->second.owner.lock();
      if (alive.get() == weight.unsafeGetTensorImpl() && it->second.version == version &&
          it->second.spectrum.size(0) == p.g.out_channels * p.g.in_per_group() &&
          it->second.weight_values.equal(weight.detach())) {
        ++stats_.hits;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.spectrum;
      }
      // Stale (weight updated in place) or a dead tensor's recycled address: drop it.
      stats_.bytes -= entry_bytes(it->second);
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
    ++stats_.misses;
  }
  // Computed outside the lock: other layers keep hitting meanwhile.
  at::Tensor spectrum = compute_kernel_spectrum(p, weight);
  at::Tensor values = weight.detach().clone();
  const int64_t bytes = static_cast<int64_t>(spectrum.nbytes() + values.nbytes());
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > budget_ || entries_.count(key)) return spectrum;  // too big to keep, or raced
  evict_to(budget_ - bytes);
  lru_.push_front(key);
  entries_.emplace(key, Entry{c10::weak_intrusive_ptr<c10::TensorImpl>(
                                  c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>::reclaim_copy(
                                      weight.unsafeGetTensorImpl())),
                              version, values, spectrum, lru_.begin()});
  stats_.bytes += bytes;
  return spectrum;
}

void KernelSpectrumCache::evict_to(int64_t bytes) {
  while (stats_.bytes > bytes && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    stats_.bytes -= entry_bytes(it->second);
    entries_.erase(it);
    lru_.pop_back();
  }
}

KernelCacheStats KernelSpectrumCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  KernelCacheStats s = stats_;
  s.entries = static_cast<int64_t>(entries_.size());
  return s;
}

void KernelSpectrumCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.clear();
  lru_.clear();
  stats_ = KernelCacheStats{};
}

void KernelSpectrumCache::set_budget(int64_t bytes) {
  TORCH_CHECK(bytes >= 0, "oaconv::set_kernel_cache_budget: the budget must be non-negative, but got ", bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  budget_ = bytes;
  evict_to(budget_);
}

int64_t KernelSpectrumCache::budget() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return budget_;
}

}  // namespace oaconv::fft
