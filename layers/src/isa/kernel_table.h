#pragma once
// The SIMD kernels one instruction set's library exports, as one table of entry points.
//
// Each liboaconv_kernels_<set>.so defines the functions below (their declarations are in the
// headers included here) compiled for its set, and exports nothing but the C function
// oaconv_kernels_<set>() that returns its table; kernel_dispatch.cpp defines the same functions
// in liboaconv as calls through the active set's table (instruction_set.h).
#include "../direct/correlate_padded.h"
#include "../direct/depthwise_blocked.h"
#include "../direct/direct_passes.h"
#include "../fft/dft_matrix_product.h"
#include "../fft/spectral_gemm.h"
#include "../filter/separable_filter.h"
#include "../winograd/winograd_streamed.h"
#include "../winograd/winograd_tiles.h"
#include "instruction_set.h"

namespace oaconv::isa {

struct KernelTable {
  InstructionSet set;
  int simd_bytes;  // the vector width the kernels were compiled for (simd_vec.h)
  decltype(&direct::required_padded_width) required_padded_width;
  decltype(&direct::correlate_padded_out) correlate_padded_out;
  decltype(&direct::correlate_placed_out) correlate_placed_out;
  decltype(&direct::depthwise_blocked_applies) depthwise_blocked_applies;
  decltype(&direct::correlate_depthwise_blocked) correlate_depthwise_blocked;
  decltype(&direct::depthwise_blocked_grad_weight_applies) depthwise_blocked_grad_weight_applies;
  decltype(&direct::grad_weight_depthwise_blocked) grad_weight_depthwise_blocked;
  decltype(&direct::grad_weight_out) grad_weight_out;
  decltype(&fft::multiply_rows<float>) multiply_rows_float;
  decltype(&fft::multiply_rows<double>) multiply_rows_double;
  decltype(&fft::spectral_gemm<float>) spectral_gemm_float;
  decltype(&fft::spectral_gemm<double>) spectral_gemm_double;
  decltype(&filter::separable_correlate_valid) separable_correlate_valid;
  decltype(&winograd::pack_kernel_transform) winograd_pack_kernel_transform;
  decltype(&winograd::correlate_tiles) winograd_correlate_tiles;
  decltype(&winograd::grad_weight_tiles) winograd_grad_weight_tiles;
  decltype(&winograd::correlate_streamed) winograd_correlate_streamed;
  decltype(&winograd::grad_weight_streamed) winograd_grad_weight_streamed;
};

// The table of the active set (instruction_set.h); throws as active() does.
const KernelTable& kernels();

}  // namespace oaconv::isa

extern "C" {
const oaconv::isa::KernelTable* oaconv_kernels_baseline();
const oaconv::isa::KernelTable* oaconv_kernels_avx2();
const oaconv::isa::KernelTable* oaconv_kernels_avx512();
}
