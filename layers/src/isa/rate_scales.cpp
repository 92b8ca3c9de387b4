#include "rate_scales.h"

#include "instruction_set.h"

namespace oaconv::isa {
namespace {

struct KernelRates {
  double direct, product;
};

// The kernels' speed under each set relative to AVX-512 on the same CPU (an AVX-512 Xeon, `oaconv
// info --threads 2 --shape 32,16,32,64,64,7 --algorithms direct,oaa --phases` under each
// OACONV_ISA, medians of three interleaved runs): the direct step and oaa's product phase.
KernelRates relative_to_avx512(InstructionSet set) {
  switch (set) {
    case InstructionSet::kAvx512: return {1.0, 1.0};
    case InstructionSet::kAvx2: return {0.56, 0.68};
    case InstructionSet::kBaseline: return {0.26, 0.37};
  }
  return {1.0, 1.0};
}

RateScales measured_scales() {
  RateScales s;
  const InstructionSet widest = supported().back();
  KernelRates cpu{1.0, 1.0};  // the kernels under the CPU's widest set
  if (widest != InstructionSet::kAvx512) {
    // A CPU without AVX-512 (the machine kind's AVX2 EPYC): bench_layers' five shapes took 2.0x
    // as long with aten, 2.5x with fft/oaa (their FFTW transforms, product and memory traffic
    // alike) and 2.1x with direct.
    s.aten = 0.49, s.fft = 0.40, s.bytes = 0.40;
    cpu = {0.48, 0.40};
  }
  // A narrower set forced with OACONV_ISA: the same CPU's ratio between the two sets.
  const KernelRates set = relative_to_avx512(active()), top = relative_to_avx512(widest);
  s.direct = cpu.direct * set.direct / top.direct;
  s.product = cpu.product * set.product / top.product;
  return s;
}

}  // namespace

RateScales rate_scales() {
  static const RateScales scales = measured_scales();
  return scales;
}

}  // namespace oaconv::isa
