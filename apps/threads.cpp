#include "threads.h"

#include <ATen/Parallel.h>

#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace oaconv::apps {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 512 << 20);  // blocks below 512 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and freed heap memory is kept for reuse
#endif
}

}  // namespace oaconv::apps
