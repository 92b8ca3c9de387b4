#pragma once
// Benchmarks fix the thread count (OACONV_THREADS, default all cores) and print it.
namespace oaconv::bench {

// Sets LibTorch's intra-op threads once (and oaconv::keep_freed_memory); returns the count.
int configure_threads();

}  // namespace oaconv::bench
