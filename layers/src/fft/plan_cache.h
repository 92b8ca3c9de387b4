#pragma once
// FFTW plans: a move-only RAII plan and the process-wide cache of them.
//
// Every plan here is a batched ("howmany") 2-D or 3-D real<->complex transform between a real
// buffer of planes [howmany][Pd][Ph][Pw] (2-D when Pd = 1) and an interleaved complex half spectrum [howmany][spectrum_stride]
// (FFTW's fastest output format; spectrum_stride is padded to whole SIMD vectors). Planning is serialised by a mutex and done on scratch buffers; execute
// (new-array execute on the caller's buffers) is thread-safe and runs concurrently.
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace oaconv::fft {

enum class Direction { kRealToComplex, kComplexToReal };

struct PlanKey {
  int64_t depth = 1, rows = 0, cols = 0;  // Pd, Ph, Pw
  int64_t howmany = 0;              // planes transformed by one execute
  int64_t real_stride = 0;          // distance between real planes (elements)
  int64_t spectrum_stride = 0;      // distance between spectra (complex elements, padded for SIMD)
  Direction direction = Direction::kRealToComplex;
  c10::ScalarType dtype = c10::kFloat;
  int threads = 1;
  unsigned flags = 0;
  bool columns_outer = false;       // spectrum stored [P_w/2+1][P_h] (see SpectralProblem)
  bool any_alignment = false;       // FFTW_UNALIGNED: executed at any address, not only 64-byte aligned ones
  auto tie() const {
    return std::tie(depth, rows, cols, howmany, real_stride, spectrum_stride, direction, dtype, threads, flags,
                    columns_outer, any_alignment);
  }
  bool operator<(const PlanKey& o) const { return tie() < o.tie(); }
};

// A move-only owner of one fftw(f)_plan.
class FftPlan {
 public:
  FftPlan(const PlanKey& key);  // plans on scratch buffers; call with the planner mutex held
  ~FftPlan();
  FftPlan(FftPlan&& other) noexcept;
  FftPlan& operator=(FftPlan&& other) noexcept;
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  // real (howmany planes) -> spectrum. Buffers must be 64-byte aligned (at::empty's are).
  void execute_r2c(void* real, void* spectrum) const;
  // spectrum -> real; destroys the spectrum (FFTW's multi-dimensional c2r does).
  void execute_c2r(void* spectrum, void* real) const;
  const PlanKey& key() const { return key_; }

 private:
  void release();
  PlanKey key_;
  void* plan_ = nullptr;  // fftwf_plan or fftw_plan, by key_.dtype
};

struct PlanCacheStats {
  int64_t hits = 0, misses = 0, size = 0;
  double planning_seconds = 0;  // spent making the plans of the misses
};

class PlanCache {
 public:
  static PlanCache& instance();
  // The plan for `key`, created (under the planner mutex) on the first request.
  std::shared_ptr<const FftPlan> get(const PlanKey& key);
  PlanCacheStats stats() const;
  void clear();
  // At most this many plans are kept (least recently used dropped first). Default 512.
  void set_capacity(int64_t plans);

 private:
  PlanCache();
  mutable std::mutex mutex_;
  std::map<PlanKey, std::pair<std::shared_ptr<const FftPlan>, std::list<PlanKey>::iterator>> plans_;
  std::list<PlanKey> lru_;  // front = most recently used
  int64_t capacity_ = 512;
  PlanCacheStats stats_;
};

// FFTW planner effort: FFTW_MEASURE by default; OACONV_FFTW_EFFORT=estimate|measure|patient
// overrides it (estimate plans instantly, for test suites that see hundreds of shapes).
unsigned planner_flags();

// While one is alive, plans requested on this thread are made with FFTW_ESTIMATE (instant to
// make): auto's audition of a spectral candidate (auto/measuring.cpp). Plans are keyed by their
// flags, so these never stand in for the measured ones.
class ScopedEstimatePlans {
 public:
  ScopedEstimatePlans();
  ~ScopedEstimatePlans();
  ScopedEstimatePlans(const ScopedEstimatePlans&) = delete;
  ScopedEstimatePlans& operator=(const ScopedEstimatePlans&) = delete;

 private:
  bool previous_;
};

// Wisdom (accumulated planning knowledge) for the apps: the library never touches files.
std::string export_wisdom();
bool import_wisdom(const std::string& wisdom);

}  // namespace oaconv::fft
