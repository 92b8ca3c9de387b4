#pragma once
// Benchmarks fix the thread count (OACONV_THREADS, default all cores) and print it.
namespace oaconv::bench {

// Sets LibTorch's intra-op threads once; returns the count.
int configure_threads();

}  // namespace oaconv::bench
