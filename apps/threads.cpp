#include "threads.h"

#include <ATen/Parallel.h>

#include <thread>

namespace oaconv::apps {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

}  // namespace oaconv::apps
