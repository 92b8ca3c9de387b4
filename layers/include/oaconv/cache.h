#pragma once
// Process-wide caches of the FFT algorithms: FFTW plans and kernel spectra.
#include <cstdint>

namespace oaconv {

struct CacheStats {
  int64_t plan_hits = 0;      // FFTW plan looked up and found
  int64_t plan_misses = 0;    // FFTW plan created (planning is the slow, serialised part)
  int64_t kernel_hits = 0;    // kernel spectrum reused (same weight, same version, same geometry)
  int64_t kernel_misses = 0;  // kernel spectrum computed
  int64_t kernel_bytes = 0;   // bytes held by cached kernel spectra now
};

CacheStats cache_stats();
// Drops every cached plan and kernel spectrum and zeroes the counters.
void clear_caches();

}  // namespace oaconv
