#pragma once
// One parallel region over a list of independent tasks, each claimed by whichever thread is free.
//
// at::parallel_for hands every thread a fixed 1/T share of the range and ends with a barrier, so a
// region lasts as long as its slowest thread. When another process shares a core, the thread on
// it runs at a fraction of the core's speed and may be off the CPU for a whole scheduler time
// slice (milliseconds) at any moment: a static share then takes twice as long or more, and every
// region pays up to one time slice at its barrier. A pass made of many small regions (one per
// group of a depthwise layer) multiplies that wait by their count. Here the range is one region
// and tasks are taken from a shared counter (as NNPACK's pthreadpool does), so a slowed thread
// holds at most the task it is running and the others take the rest.
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace oaconv {

// Calls fn(task) once for every task in [0, tasks); serial inside another parallel region or with
// one thread. Exceptions propagate as from at::parallel_for.
template <typename F>
void parallel_tasks(int64_t tasks, const F& fn) {
  if (tasks <= 0) return;
  const int64_t threads = std::min<int64_t>(at::get_num_threads(), tasks);
  if (threads <= 1 || at::in_parallel_region()) {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::atomic<int64_t> next{0};
  at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < tasks;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      fn(t);
    }
  });
}

// Calls fn(begin, end) on consecutive pieces covering [0, total), for loops whose items are too
// small to be claimed one at a time: about kPiecesPerThread pieces a thread, claimed as tasks.
template <typename F>
void parallel_range(int64_t total, const F& fn) {
  constexpr int64_t kPiecesPerThread = 8;
  if (total <= 0) return;
  const int64_t pieces = std::min<int64_t>(total, kPiecesPerThread * at::get_num_threads());
  const int64_t size = (total + pieces - 1) / pieces;
  parallel_tasks((total + size - 1) / size, [&](int64_t piece) {
    const int64_t begin = piece * size;
    fn(begin, std::min(total, begin + size));
  });
}

}  // namespace oaconv
