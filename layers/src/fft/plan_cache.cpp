#include "plan_cache.h"

#include "fftw_traits.h"

#include <c10/util/Exception.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

namespace oaconv::fft {
namespace {

// FFTW's planner is not thread-safe (only execute is): every plan creation and destruction,
// and the planner's thread-count setting, happen under this mutex.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <typename T>
void* make_plan(const PlanKey& k) {
  using F = FftwTraits<T>;
  static const bool threads_ready = [] {
    return F::init_threads() != 0;
  }();
  TORCH_INTERNAL_ASSERT(threads_ready, "oaconv: fftw init_threads failed");
  F::plan_with_nthreads(k.threads);

  const int64_t half = k.cols / 2 + 1;
  // Transform dims: depth (real stride Ph Pw), rows (real stride Pw), columns (real stride 1).
  // The spectrum element (s, u, v) sits at (s * Ph + u) * (Pw/2+1) + v (row-major), or, in a 2-D
  // transform with columns outer, at v * Ph + u. Unit leading axes are left out: a 1-D
  // convolution's plan is a rank-1 transform, a 2-D one's rank 2.
  TORCH_INTERNAL_ASSERT(k.depth == 1 || !k.columns_outer);
  const int64_t spec_row = k.columns_outer ? 1 : half, spec_col = k.columns_outer ? k.rows : 1;
  const int rank = k.depth > 1 ? 3 : k.rows > 1 ? 2 : 1;
  const typename F::IoDim forward_dims[3] = {
      {k.depth, k.rows * k.cols, k.rows * half}, {k.rows, k.cols, spec_row}, {k.cols, 1, spec_col}};
  // c2r: the input is the spectrum, so each dim reads with the spectrum's stride.
  const typename F::IoDim inverse_dims[3] = {
      {k.depth, k.rows * half, k.rows * k.cols}, {k.rows, spec_row, k.cols}, {k.cols, spec_col, 1}};
  const typename F::IoDim* const first = forward_dims + (3 - rank);
  const typename F::IoDim* const inverse_first = inverse_dims + (3 - rank);
  typename F::IoDim batch[1];
  const int64_t real_elems = k.howmany * k.real_stride;
  const int64_t spec_elems = k.howmany * k.spectrum_stride;
  // Scratch buffers for planning (FFTW_MEASURE overwrites them); execution later runs on the
  // caller's buffers with the same strides and alignment (new-array execute).
  T* real = static_cast<T*>(F::malloc(sizeof(T) * std::max<int64_t>(real_elems, 1)));
  T* spec = static_cast<T*>(F::malloc(sizeof(T) * std::max<int64_t>(2 * spec_elems, 1)));
  TORCH_CHECK(real && spec, "oaconv: out of memory allocating FFTW planning buffers (",
              real_elems + 2 * spec_elems, " elements)");
  std::memset(real, 0, sizeof(T) * real_elems);
  std::memset(spec, 0, sizeof(T) * 2 * spec_elems);
  const unsigned flags = k.flags | (k.any_alignment ? unsigned(FFTW_UNALIGNED) : 0u);
  typename F::Plan plan;
  if (k.direction == Direction::kRealToComplex) {
    batch[0] = {k.howmany, k.real_stride, k.spectrum_stride};
    plan = F::plan_r2c(rank, first, 1, batch, real, spec, flags);
  } else {
    batch[0] = {k.howmany, k.spectrum_stride, k.real_stride};
    plan = F::plan_c2r(rank, inverse_first, 1, batch, spec, real, flags);
  }
  F::free(real);
  F::free(spec);
  TORCH_CHECK(plan != nullptr, "oaconv: FFTW could not plan a ", k.depth, "x", k.rows, "x", k.cols, " transform of ",
              k.howmany, " planes");
  return reinterpret_cast<void*>(plan);
}

}  // namespace

thread_local bool estimate_plans_on_this_thread = false;

ScopedEstimatePlans::ScopedEstimatePlans() : previous_(estimate_plans_on_this_thread) {
  estimate_plans_on_this_thread = true;
}
ScopedEstimatePlans::~ScopedEstimatePlans() { estimate_plans_on_this_thread = previous_; }

unsigned planner_flags() {
  if (estimate_plans_on_this_thread) return unsigned(FFTW_ESTIMATE);
  static const unsigned flags = [] {
    const char* env = std::getenv("OACONV_FFTW_EFFORT");
    const std::string effort = env ? env : "measure";
    if (effort == "estimate") return unsigned(FFTW_ESTIMATE);
    if (effort == "patient") return unsigned(FFTW_PATIENT);
    TORCH_CHECK(effort == "measure", "OACONV_FFTW_EFFORT: expected estimate, measure or patient, but got '",
                effort, "'");
    return unsigned(FFTW_MEASURE);
  }();
  return flags;
}

FftPlan::FftPlan(const PlanKey& key) : key_(key) {
  plan_ = key.dtype == c10::kFloat ? make_plan<float>(key) : make_plan<double>(key);
}

FftPlan::~FftPlan() { release(); }

FftPlan::FftPlan(FftPlan&& other) noexcept : key_(other.key_), plan_(other.plan_) { other.plan_ = nullptr; }

FftPlan& FftPlan::operator=(FftPlan&& other) noexcept {
  if (this != &other) {
    release();
    key_ = other.key_;
    plan_ = other.plan_;
    other.plan_ = nullptr;
  }
  return *this;
}

void FftPlan::release() {
  if (!plan_) return;
  std::lock_guard<std::mutex> lock(planner_mutex());
  if (key_.dtype == c10::kFloat) {
    FftwTraits<float>::destroy(reinterpret_cast<fftwf_plan>(plan_));
  } else {
    FftwTraits<double>::destroy(reinterpret_cast<fftw_plan>(plan_));
  }
  plan_ = nullptr;
}

void FftPlan::execute_r2c(void* real, void* spectrum) const {
  TORCH_INTERNAL_ASSERT(key_.direction == Direction::kRealToComplex);
  if (key_.dtype == c10::kFloat) {
    FftwTraits<float>::execute_r2c(reinterpret_cast<fftwf_plan>(plan_), static_cast<float*>(real),
                                   static_cast<float*>(spectrum));
  } else {
    FftwTraits<double>::execute_r2c(reinterpret_cast<fftw_plan>(plan_), static_cast<double*>(real),
                                    static_cast<double*>(spectrum));
  }
}

void FftPlan::execute_c2r(void* spectrum, void* real) const {
  TORCH_INTERNAL_ASSERT(key_.direction == Direction::kComplexToReal);
  if (key_.dtype == c10::kFloat) {
    FftwTraits<float>::execute_c2r(reinterpret_cast<fftwf_plan>(plan_), static_cast<float*>(spectrum),
                                   static_cast<float*>(real));
  } else {
    FftwTraits<double>::execute_c2r(reinterpret_cast<fftw_plan>(plan_), static_cast<double*>(spectrum),
                                    static_cast<double*>(real));
  }
}

PlanCache::PlanCache() = default;

PlanCache& PlanCache::instance() {
  static PlanCache* cache = new PlanCache();  // never destroyed: plans may outlive static teardown
  return *cache;
}

std::shared_ptr<const FftPlan> PlanCache::get(const PlanKey& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plans_.find(key);
  if (it != plans_.end()) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second.second);
    return it->second.first;
  }
  ++stats_.misses;
  std::shared_ptr<const FftPlan> plan;
  {
    std::lock_guard<std::mutex> planning(planner_mutex());
    const auto start = std::chrono::steady_clock::now();
    plan = std::make_shared<const FftPlan>(key);
    stats_.planning_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  lru_.push_front(key);
  plans_.emplace(key, std::make_pair(plan, lru_.begin()));
  while (static_cast<int64_t>(plans_.size()) > capacity_) {
    plans_.erase(lru_.back());  // a plan still in use lives on in its shared_ptr
    lru_.pop_back();
  }
  return plan;
}

PlanCacheStats PlanCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PlanCacheStats s = stats_;
  s.size = static_cast<int64_t>(plans_.size());
  return s;
}

void PlanCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  plans_.clear();
  lru_.clear();
  stats_ = PlanCacheStats{};
}

void PlanCache::set_capacity(int64_t plans) {
  TORCH_CHECK(plans > 0, "oaconv::fft::PlanCache: capacity must be positive, but got ", plans);
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = plans;
  while (static_cast<int64_t>(plans_.size()) > capacity_) {
    plans_.erase(lru_.back());
    lru_.pop_back();
  }
}

std::string export_wisdom() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  std::string out;
  for (char* s : {FftwTraits<float>::export_wisdom(), FftwTraits<double>::export_wisdom()}) {
    if (s) {
      out += s;
      out += '\n';
      std::free(s);
    }
  }
  return out;
}

bool import_wisdom(const std::string& wisdom) {
  std::lock_guard<std::mutex> lock(planner_mutex());
  // The export holds the float wisdom, then the double wisdom; each importer takes its own.
  const auto split = wisdom.find("(fftw-3.3");
  const auto second = split == std::string::npos ? std::string::npos : wisdom.find("(fftw-3.3", split + 1);
  if (second == std::string::npos) return false;
  const std::string first_part = wisdom.substr(0, second);
  const std::string second_part = wisdom.substr(second);
  return FftwTraits<float>::import_wisdom(first_part.c_str()) != 0 &&
         FftwTraits<double>::import_wisdom(second_part.c_str()) != 0;
}

}  // namespace oaconv::fft
