#include "threads.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <thread>

#include <dlfcn.h>

namespace oaconv::apps {

void set_threads(int threads) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  TORCH_CHECK(threads >= 0, "--threads must be >= 0 (0 = every core), but got ", threads);
  TORCH_CHECK(threads <= kMaxThreadsPerCore * cores, "--threads ", threads, " is more than ", kMaxThreadsPerCore,
              " per core (this machine has ", cores, " cores: at most ", kMaxThreadsPerCore * cores, ")");
  const int n = threads > 0 ? threads : cores;
  at::set_num_threads(n);
  // OpenBLAS (LibTorch's BLAS on Debian) keeps its own pthread pool, sized to the cores; its
  // workers and LibTorch's spinning OpenMP workers then take turns on the same cores. One BLAS
  // thread: the apps' matrix products are small (the classifier head), and the OpenMP pool is
  // the one that parallelises. Measured: `oaconv train --algorithm oaa --preset large` epoch
  // 5.11 -> 4.38 s, aten 12.66 -> 11.98 s. Looked up at run time: the BLAS may not be OpenBLAS.
  using SetBlasThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(1);
  }
}

}  // namespace oaconv::apps
