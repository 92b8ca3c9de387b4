// parallel_tasks and parallel_range: every task runs exactly once, on several threads, serially
// when nested in another parallel region, and an exception reaches the caller.
#include "parallel_tasks.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace oaconv::testing {
namespace {

class ParallelTasks : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(2); }
};

TEST_F(ParallelTasks, EveryTaskRunsOnce) {
  for (const int64_t tasks : {0, 1, 2, 3, 17, 1000}) {
    std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
    parallel_tasks(tasks, [&](int64_t t) { runs[static_cast<size_t>(t)]++; });
    for (int64_t t = 0; t < tasks; ++t) EXPECT_EQ(runs[static_cast<size_t>(t)].load(), 1) << tasks << " tasks, task " << t;
  }
}

TEST_F(ParallelTasks, RangesCoverEveryItemOnce) {
  for (const int64_t total : {0, 1, 5, 16, 17, 1001}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(total));
    parallel_range(total, [&](int64_t begin, int64_t end) {
      EXPECT_LT(begin, end);
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (int64_t i = 0; i < total; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << total << " items, item " << i;
  }
}

TEST_F(ParallelTasks, UsesTheIntraOpThreads) {
  std::mutex m;
  std::set<std::thread::id> ids;
  // Tasks long enough that one thread cannot take them all before the other starts.
  parallel_tasks(200, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.size(), 2u);
}

TEST_F(ParallelTasks, NestedRegionRunsSerially) {
  std::atomic<int> nested_threads{0}, total{0};
  at::parallel_for(0, 2, 1, [&](int64_t, int64_t) {
    const auto outer = std::this_thread::get_id();
    parallel_tasks(10, [&](int64_t) {
      if (std::this_thread::get_id() != outer) nested_threads++;
      total++;
    });
  });
  EXPECT_EQ(nested_threads.load(), 0);
  EXPECT_EQ(total.load(), 20);
}

TEST_F(ParallelTasks, ExceptionReachesTheCaller) {
  EXPECT_THROW(parallel_tasks(100,
                              [](int64_t t) {
                                if (t == 37) throw std::runtime_error("task 37 failed");
                              }),
               std::runtime_error);
}

}  // namespace
}  // namespace oaconv::testing
