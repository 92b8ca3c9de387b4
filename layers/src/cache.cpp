// cache_stats() / clear_caches(): the public view of the process-wide FFT caches.
#include <oaconv/cache.h>

namespace oaconv {

CacheStats cache_stats() { return CacheStats{}; }

void clear_caches() {}

}  // namespace oaconv
