#pragma once
// Apps and benches set the thread count explicitly: Debian's LibTorch starts with one.
namespace oaconv::apps {

// More threads than this many per core only make every parallel region wait for descheduled
// threads (`info --threads 4096` ran for minutes on a 2-core machine): refused.
constexpr int kMaxThreadsPerCore = 4;

// 0 = all cores. Sets LibTorch's intra-op threads (FFTW follows torch's count), and OpenBLAS's
// own pool, when it is the BLAS, to one thread. Throws a c10::Error naming --threads when
// `threads` is negative or over kMaxThreadsPerCore x the cores.
void set_threads(int threads);

}  // namespace oaconv::apps
