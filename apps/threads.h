#pragma once
// Apps and benches set the thread count explicitly: Debian's LibTorch starts with one.
namespace oaconv::apps {

// 0 = all cores. Sets LibTorch's intra-op threads (FFTW follows torch's count), and OpenBLAS's
// own pool, when it is the BLAS, to one thread.
void set_threads(int threads);

}  // namespace oaconv::apps
