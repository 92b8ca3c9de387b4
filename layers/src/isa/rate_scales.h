#pragma once
// How fast this machine does the work auto's cost model counts, relative to the CPU the model's
// rates were measured on (an AVX-512 Xeon/EPYC of this project's machine kind, 2 threads): the
// model (auto/pass_model.cpp, fft/tiling.cpp) multiplies its rates by these.
//
// aten (oneDNN) and FFTW choose their own SIMD code from the CPU, so their scales follow the CPU;
// oaconv's direct loops and spectral product follow the kernel set in use (instruction_set.h),
// which OACONV_ISA may make narrower than the CPU's.
namespace oaconv::isa {

struct RateScales {
  double aten = 1.0;     // LibTorch's convolution
  double fft = 1.0;      // FFTW's transforms
  double bytes = 1.0;    // memory-bound gathers and scatters
  double direct = 1.0;   // the direct algorithm's loops
  double product = 1.0;  // the spectral product
};

RateScales rate_scales();

}  // namespace oaconv::isa
