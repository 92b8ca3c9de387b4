// The entry point of one instruction set's kernel library: compiled into each
// liboaconv_kernels_<set>.so with OACONV_KERNELS_SET (the enumerator) and OACONV_KERNELS_ENTRY
// (oaconv_kernels_<set>) defined by layers/CMakeLists.txt.
#include "kernel_table.h"

#include "../simd_vec.h"

#if !defined(OACONV_KERNELS_SET) || !defined(OACONV_KERNELS_ENTRY)
#error "kernel_table.cpp is compiled only into the per-instruction-set kernel libraries"
#endif

extern "C" __attribute__((visibility("default"))) const oaconv::isa::KernelTable* OACONV_KERNELS_ENTRY() {
  using namespace oaconv;
  // Constant-initialised (function addresses only): no static constructor runs when the library
  // is loaded, so loading it on a CPU without its instruction set is safe.
  static constexpr isa::KernelTable table{
      isa::InstructionSet::OACONV_KERNELS_SET,
      kSimdBytes,
      &direct::required_padded_width,
      &direct::correlate_padded_out,
      &direct::correlate_placed_out,
      &direct::depthwise_blocked_applies,
      &direct::correlate_depthwise_blocked,
      &direct::depthwise_blocked_grad_weight_applies,
      &direct::grad_weight_depthwise_blocked,
      &direct::grad_weight_out,
      &fft::multiply_rows<float>,
      &fft::multiply_rows<double>,
      &fft::spectral_gemm<float>,
      &fft::spectral_gemm<double>,
      &filter::separable_correlate_valid,
      &winograd::pack_kernel_transform,
      &winograd::correlate_tiles,
      &winograd::grad_weight_tiles,
      &winograd::correlate_streamed,
      &winograd::grad_weight_streamed,
  };
  return &table;
}
