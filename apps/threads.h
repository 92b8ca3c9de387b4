#pragma once
// Apps and benches set the thread count explicitly: Debian's LibTorch starts with one.
namespace oaconv::apps {

// 0 = all cores. Sets LibTorch's intra-op threads (FFTW follows torch's count), and OpenBLAS's
// own pool, when it is the BLAS, to one thread.
void set_threads(int threads);

// Keeps freed memory in the heap instead of returning large blocks to the kernel: training
// allocates and frees the same tens of MiB every step, and with glibc's defaults each one is
// an mmap, page faults on first touch, and an munmap (measured ~20 % of a training step).
// Process-wide, so the apps and benches set it, never the library. Applies to every algorithm.
void keep_freed_memory();

}  // namespace oaconv::apps
