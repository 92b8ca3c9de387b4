#include <oaconv/allocator_tuning.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace oaconv {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 512 << 20);  // blocks below 512 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);    // and freed heap memory is kept for reuse
#endif
}

}  // namespace oaconv
