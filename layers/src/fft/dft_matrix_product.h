#pragma once
// C = A B for many short rows of A against one small dense B: the shape of a DFT taken by matrix
// product along one axis of many planes (pruned_dft.cpp), where A holds the planes' rows (tens
// of thousands) and B a twiddle table (k x n, k and n a few dozen to a few hundred).
//
// B is packed once, n rounded up to whole 64-byte vectors (zeros beyond): the widest vector of
// any instruction set, so one packing serves the kernels of each (isa/instruction_set.h). The kernel keeps an
// MR x NV block of C in registers (MR rows, NV vectors of columns); per step of k it broadcasts
// MR values of A and loads NV vectors of B from L1, then does MR * NV FMAs. B stays in L1/L2
// for every row, so the work runs near the FMA peak instead of the horizontal reductions a
// dot-product formulation needs for rows as short as P/2 + 1.
#include <cstdint>
#include <vector>

namespace oaconv::fft {

template <typename T>
class PackedMatrix {
 public:
  PackedMatrix(int64_t rows, int64_t cols)  // all zero
      : rows_(rows), cols_(cols), stride_(padded(cols)), values_(static_cast<size_t>(rows * stride_), T(0)) {}
  T& operator()(int64_t i, int64_t j) { return values_[i * stride_ + j]; }
  const T* row(int64_t i) const { return values_.data() + i * stride_; }
  T* row(int64_t i) { return values_.data() + i * stride_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t stride() const { return stride_; }  // cols rounded up to whole 64-byte vectors
  static int64_t padded(int64_t cols) {
    constexpr int64_t kLanes = 64 / sizeof(T);
    return (cols + kLanes - 1) / kLanes * kLanes;
  }

 private:
  int64_t rows_, cols_, stride_;  // stride_: cols rounded up to whole 64-byte vectors
  std::vector<T> values_;
};

// c[i][j] = sum_t a[i * lda + t] * b(t, j) for i < m, j < b.cols(), t < b.rows(). Serial: callers
// run it per plane inside their own parallel loop. Writes exactly b.cols() values per row of c.
template <typename T>
void multiply_rows(const T* a, int64_t m, int64_t lda, const PackedMatrix<T>& b, T* c, int64_t ldc);

}  // namespace oaconv::fft
