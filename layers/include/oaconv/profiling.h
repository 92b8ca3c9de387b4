#pragma once
// Opt-in per-phase timing of the spectral algorithms (fft, oaa), for benchmarks and tuning.
// Off by default: when off, no clock is read. Times are summed over all calls since the last
// reset, from every thread that ran a spectral pass.
#include <cstdint>

namespace oaconv {

struct PhaseTimes {
  double input_transform = 0;    // gathering tiles / grad-output windows + forward FFTs
  double kernel_transform = 0;   // weight -> spectrum (cache misses only)
  double spectral_product = 0;   // the per-frequency complex matrix products
  double inverse_transform = 0;  // inverse FFTs
  double overlap_add = 0;        // adding / writing tile results into outputs, cropping
  int64_t calls = 0;             // spectral passes timed (forward, grad input, grad weight)
  int64_t peak_workspace_bytes = 0;  // largest transient buffer set of one pass
  double total() const {
    return input_transform + kernel_transform + spectral_product + inverse_transform + overlap_add;
  }
  // Another measurement added in: each phase's seconds and the passes summed, the larger peak.
  PhaseTimes& operator+=(const PhaseTimes& p) {
    input_transform += p.input_transform;
    kernel_transform += p.kernel_transform;
    spectral_product += p.spectral_product;
    inverse_transform += p.inverse_transform;
    overlap_add += p.overlap_add;
    calls += p.calls;
    peak_workspace_bytes = peak_workspace_bytes > p.peak_workspace_bytes ? peak_workspace_bytes : p.peak_workspace_bytes;
    return *this;
  }
  // Each phase's seconds times f (a sum over steps made a mean per step); passes and peak kept.
  PhaseTimes& scale_seconds(double f) {
    input_transform *= f;
    kernel_transform *= f;
    spectral_product *= f;
    inverse_transform *= f;
    overlap_add *= f;
    return *this;
  }
};

void set_phase_timing(bool enabled);
bool phase_timing_enabled();
PhaseTimes phase_times();
void reset_phase_times();

// Upper bound on the transient buffers of one spectral pass (default 256 MiB). The batch is
// processed in chunks to stay below it; input spectra are kept for the weight gradient only
// when they also fit, otherwise they are recomputed in backward.
void set_workspace_limit(int64_t bytes);
int64_t workspace_limit();

}  // namespace oaconv
