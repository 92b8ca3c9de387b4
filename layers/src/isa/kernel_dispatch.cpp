// The kernel functions as liboaconv's callers see them: each forwards to the same function in the
// kernel library of the active instruction set (kernel_table.h, instruction_set.h).
#include "kernel_table.h"

#include <ATen/core/Tensor.h>

#include <type_traits>

namespace oaconv {
namespace direct {

int64_t required_padded_width(int64_t out_w, int64_t kernel_w, int64_t stride_w, int64_t dilation_w,
                              at::ScalarType dtype) {
  return isa::kernels().required_padded_width(out_w, kernel_w, stride_w, dilation_w, dtype);
}

void correlate_padded_out(const at::Tensor& xp, const at::Tensor& w, const at::Tensor& bias,
                          const CorrelateShape& shape, at::Tensor& y) {
  isa::kernels().correlate_padded_out(xp, w, bias, shape, y);
}

void correlate_placed_out(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                          const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y) {
  isa::kernels().correlate_placed_out(source, axes, w, bias, shape, y);
}

bool depthwise_blocked_applies(const CorrelateShape& shape, at::ScalarType dtype) {
  return isa::kernels().depthwise_blocked_applies(shape, dtype);
}

void correlate_depthwise_blocked(const at::Tensor& source, const PlacedAxis (&axes)[3], const at::Tensor& w,
                                 const at::Tensor& bias, const CorrelateShape& shape, at::Tensor& y) {
  isa::kernels().correlate_depthwise_blocked(source, axes, w, bias, shape, y);
}

bool depthwise_blocked_grad_weight_applies(const ConvGeometry& g, at::ScalarType dtype) {
  return isa::kernels().depthwise_blocked_grad_weight_applies(g, dtype);
}

void grad_weight_depthwise_blocked(const at::Tensor& x, const PlacedAxis (&x_axes)[3], const at::Tensor& gy,
                                   const ConvGeometry& g, at::Tensor& gw) {
  isa::kernels().grad_weight_depthwise_blocked(x, x_axes, gy, g, gw);
}

void grad_weight_out(const at::Tensor& gy, const at::Tensor& x, const ConvGeometry& g, at::Tensor& gw) {
  isa::kernels().grad_weight_out(gy, x, g, gw);
}

}  // namespace direct

namespace fft {

template <typename T>
void multiply_rows(const T* a, int64_t m, int64_t lda, const PackedMatrix<T>& b, T* c, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    isa::kernels().multiply_rows_float(a, m, lda, b, c, ldc);
  } else {
    isa::kernels().multiply_rows_double(a, m, lda, b, c, ldc);
  }
}

template <typename T>
void spectral_gemm(int64_t m, int64_t n, int64_t k, int64_t values, const SpectrumMatrix<T>& a, bool conj_a,
                   const SpectrumMatrix<T>& b, bool conj_b, const SpectrumMatrix<T>& c, bool accumulate,
                   int64_t groups) {
  if constexpr (std::is_same_v<T, float>) {
    isa::kernels().spectral_gemm_float(m, n, k, values, a, conj_a, b, conj_b, c, accumulate, groups);
  } else {
    isa::kernels().spectral_gemm_double(m, n, k, values, a, conj_a, b, conj_b, c, accumulate, groups);
  }
}

template void multiply_rows<float>(const float*, int64_t, int64_t, const PackedMatrix<float>&, float*, int64_t);
template void multiply_rows<double>(const double*, int64_t, int64_t, const PackedMatrix<double>&, double*, int64_t);
template void spectral_gemm<float>(int64_t, int64_t, int64_t, int64_t, const SpectrumMatrix<float>&, bool,
                                   const SpectrumMatrix<float>&, bool, const SpectrumMatrix<float>&, bool, int64_t);
template void spectral_gemm<double>(int64_t, int64_t, int64_t, int64_t, const SpectrumMatrix<double>&, bool,
                                    const SpectrumMatrix<double>&, bool, const SpectrumMatrix<double>&, bool,
                                    int64_t);

}  // namespace fft

namespace filter {

at::Tensor separable_correlate_valid(const at::Tensor& padded, const at::Tensor& columns, const at::Tensor& rows) {
  return isa::kernels().separable_correlate_valid(padded, columns, rows);
}

}  // namespace filter

namespace winograd {

void pack_kernel_transform(const at::Tensor& w, int64_t groups, bool transposed, at::Tensor& u) {
  isa::kernels().winograd_pack_kernel_transform(w, groups, transposed, u);
}

void correlate_tiles(const at::Tensor& src, const at::Tensor& u, const at::Tensor& bias, int64_t groups, int64_t top,
                     int64_t left, at::Tensor& y) {
  isa::kernels().winograd_correlate_tiles(src, u, bias, groups, top, left, y);
}

void grad_weight_tiles(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                       int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw) {
  isa::kernels().winograd_grad_weight_tiles(x, gy, groups, top, left, workspace_bytes, workspace, gw);
}

void correlate_streamed(const at::Tensor& src, const at::Tensor& w, const at::Tensor& bias, int64_t groups,
                        bool transposed, int64_t top, int64_t left, WorkspaceAllocator workspace, at::Tensor& y) {
  isa::kernels().winograd_correlate_streamed(src, w, bias, groups, transposed, top, left, workspace, y);
}

bool grad_weight_streamed(const at::Tensor& x, const at::Tensor& gy, int64_t groups, int64_t top, int64_t left,
                          int64_t workspace_bytes, WorkspaceAllocator workspace, at::Tensor& gw) {
  return isa::kernels().winograd_grad_weight_streamed(x, gy, groups, top, left, workspace_bytes, workspace, gw);
}

}  // namespace winograd
}  // namespace oaconv
