#pragma once
// One template over FFTW's float (fftwf_*) and double (fftw_*) APIs, as fftw3.h itself stamps
// them out with one macro: every spectral algorithm exists in both precisions.
#include <fftw3.h>

namespace oaconv::fft {

template <typename T>
struct FftwTraits;

#define OACONV_FFTW_TRAITS(T, X)                                                                 \
  template <>                                                                                    \
  struct FftwTraits<T> {                                                                         \
    using Plan = X(plan);                                                                        \
    using Complex = X(complex);                                                                  \
    using IoDim = fftw_iodim64;                                                                  \
    static Plan plan_r2c(int rank, const IoDim* dims, int howmany_rank, const IoDim* howmany,    \
                         T* in, T* out, unsigned flags) {                                        \
      return X(plan_guru64_dft_r2c)(rank, dims, howmany_rank, howmany, in,                       \
                                    reinterpret_cast<Complex*>(out), flags);                     \
    }                                                                                            \
    static Plan plan_c2r(int rank, const IoDim* dims, int howmany_rank, const IoDim* howmany,    \
                         T* in, T* out, unsigned flags) {                                        \
      return X(plan_guru64_dft_c2r)(rank, dims, howmany_rank, howmany,                           \
                                    reinterpret_cast<Complex*>(in), out, flags);                 \
    }                                                                                            \
    static void execute_r2c(const Plan p, T* in, T* out) {                                       \
      X(execute_dft_r2c)(p, in, reinterpret_cast<Complex*>(out));                                \
    }                                                                                            \
    static void execute_c2r(const Plan p, T* in, T* out) {                                       \
      X(execute_dft_c2r)(p, reinterpret_cast<Complex*>(in), out);                                \
    }                                                                                            \
    static void destroy(Plan p) { X(destroy_plan)(p); }                                          \
    static void* malloc(size_t n) { return X(malloc)(n); }                                       \
    static void free(void* p) { X(free)(p); }                                                    \
    static int init_threads() { return X(init_threads)(); }                                      \
    static void plan_with_nthreads(int n) { X(plan_with_nthreads)(n); }                          \
    static char* export_wisdom() { return X(export_wisdom_to_string)(); }                        \
    static int import_wisdom(const char* s) { return X(import_wisdom_from_string)(s); }          \
  };

#define OACONV_FFTW_FLOAT(name) fftwf_##name
#define OACONV_FFTW_DOUBLE(name) fftw_##name
OACONV_FFTW_TRAITS(float, OACONV_FFTW_FLOAT)
OACONV_FFTW_TRAITS(double, OACONV_FFTW_DOUBLE)
#undef OACONV_FFTW_FLOAT
#undef OACONV_FFTW_DOUBLE
#undef OACONV_FFTW_TRAITS

}  // namespace oaconv::fft
