// cache_stats() / clear_caches(): the public view of the process-wide caches (FFT plans, kernel transforms, workspaces).
#include <oaconv/cache.h>

#include "kernel_transform_cache.h"
#include "fft/plan_cache.h"
#include "fft/workspace_pool.h"

namespace oaconv {

CacheStats cache_stats() {
  CacheStats stats;
  const auto plans = fft::PlanCache::instance().stats();
  stats.plan_hits = plans.hits;
  stats.plan_misses = plans.misses;
  const auto kernels = KernelTransformCache::instance().stats();
  stats.kernel_hits = kernels.hits;
  stats.kernel_misses = kernels.misses;
  stats.kernel_bytes = kernels.bytes;
  return stats;
}

void clear_caches() {
  fft::PlanCache::instance().clear();
  KernelTransformCache::instance().clear();
  fft::clear_workspace_pool();
}

void set_kernel_cache_budget(int64_t bytes) { KernelTransformCache::instance().set_budget(bytes); }

void set_plan_cache_capacity(int64_t plans) { fft::PlanCache::instance().set_capacity(plans); }

std::string export_fft_wisdom() { return fft::export_wisdom(); }

bool import_fft_wisdom(const std::string& wisdom) { return fft::import_wisdom(wisdom); }

}  // namespace oaconv
