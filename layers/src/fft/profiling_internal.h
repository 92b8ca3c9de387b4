#pragma once
// Scoped timers feeding oaconv::phase_times().
#include <oaconv/profiling.h>

#include <chrono>

namespace oaconv::fft {

class PhaseTimer {
 public:
  explicit PhaseTimer(double PhaseTimes::*phase);
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  double PhaseTimes::*phase_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

// Counts one spectral pass and its transient workspace.
void record_pass(int64_t workspace_bytes);

}  // namespace oaconv::fft
