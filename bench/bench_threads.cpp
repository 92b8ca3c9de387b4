#include "bench_threads.h"

#include <oaconv/allocator_tuning.h>

#include "isa/instruction_set.h"

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace oaconv::bench {

int configure_threads() {
  static const int threads = [] {
    keep_freed_memory();  // as the apps do: aten's batch-sized tensors are not fresh mmaps each call
    const char* env = std::getenv("OACONV_THREADS");
    const int n = env ? std::atoi(env) : static_cast<int>(std::thread::hardware_concurrency());
    at::set_num_threads(n > 0 ? n : 1);
    benchmark::AddCustomContext("threads", std::to_string(at::get_num_threads()));
    benchmark::AddCustomContext("simd_kernels", isa::describe());
    return at::get_num_threads();
  }();
  return threads;
}

}  // namespace oaconv::bench
