#pragma once
// Process-wide caches of the FFT algorithms: FFTW plans and kernel spectra.
#include <cstdint>
#include <string>

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

// Kernel spectra are kept up to this many bytes (default 256 MiB), least recently used dropped
// first; FFTW plans up to `plans` plans (default 512).
void set_kernel_cache_budget(int64_t bytes);
void set_plan_cache_capacity(int64_t plans);

// FFTW wisdom (planning results) as text, for apps that keep it in a file between runs.
std::string export_fft_wisdom();
bool import_fft_wisdom(const std::string& wisdom);

}  // namespace oaconv
