#include "profiling_internal.h"

#include <c10/util/Exception.h>

#include <atomic>
#include <mutex>

namespace oaconv {
namespace {

std::atomic<bool> g_enabled{false};
std::atomic<int64_t> g_workspace_limit{int64_t(256) << 20};
std::mutex g_mutex;
PhaseTimes g_times;

}  // namespace

void set_phase_timing(bool enabled) { g_enabled = enabled; }
bool phase_timing_enabled() { return g_enabled; }

PhaseTimes phase_times() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_times;
}

void reset_phase_times() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_times = PhaseTimes{};
}

void set_workspace_limit(int64_t bytes) {
  TORCH_CHECK(bytes > 0, "oaconv::set_workspace_limit: the limit must be positive, but got ", bytes, " bytes");
  g_workspace_limit = bytes;
}
int64_t workspace_limit() { return g_workspace_limit; }

namespace fft {

PhaseTimer::PhaseTimer(double PhaseTimes::*phase) : phase_(phase), enabled_(g_enabled) {
  if (enabled_) start_ = std::chrono::steady_clock::now();
}

PhaseTimer::~PhaseTimer() {
  if (!enabled_) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::lock_guard<std::mutex> lock(g_mutex);
  g_times.*phase_ += s;
}

void record_pass(int64_t workspace_bytes) {
  if (!g_enabled) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  ++g_times.calls;
  g_times.peak_workspace_bytes = std::max(g_times.peak_workspace_bytes, workspace_bytes);
}

}  // namespace fft
}  // namespace oaconv
