#include "rate_scales.h"

#include "instruction_set.h"

namespace oaconv::isa {

namespace {

RateScales measured_scales() {
  RateScales s;
  // A CPU without AVX-512 (the machine kind's AVX2 EPYC): bench_layers' five shapes took 2.0x as
  // long with aten and 2.5x with fft/oaa, whose FFTW transforms, product and memory traffic all
  // scaled alike, and 2.1x with direct.
  if (!cpu_supports(InstructionSet::kAvx512)) s.aten = 0.49, s.fft = 0.40, s.bytes = 0.40;
  switch (active()) {
    case InstructionSet::kAvx512: break;
    case InstructionSet::kAvx2: s.direct = 0.48, s.product = 0.40; break;
    case InstructionSet::kBaseline: s.direct = 0.5, s.product = 0.4; break;
  }
  return s;
}

}  // namespace

RateScales rate_scales() {
  static const RateScales scales = measured_scales();
  return scales;
}

}  // namespace oaconv::isa
