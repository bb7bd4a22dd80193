// The worker pool: every task runs exactly once per call, on any thread count, across many back-to-back
// calls (the decode pattern), after the workers fell asleep, and when a worker is slow to wake.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "quant/thread_pool.h"

namespace quant {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int round = 0; round < 2000; ++round) {
      const int n = 1 + round % 37;
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, [&](int task, int thread) {
        hits[task].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread = 1;
      });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " round " << round;
      ASSERT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(ThreadPool, WakesSleepingWorkers) {
  ThreadPool pool(3);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // long enough for workers to sleep
    std::atomic<int> sum{0};
    std::vector<std::atomic<int>> by_thread(3);
    pool.parallel_for(64, [&](int task, int thread) {
      sum += task;
      by_thread[thread]++;
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // leaves time for the others to join
    });
    EXPECT_EQ(sum.load(), 64 * 63 / 2);
    if (round == 4) {
      EXPECT_GT(by_thread[1] + by_thread[2], 0) << "no worker ever took a task";
    }
  }
}

TEST(ThreadPool, ResultsOfTasksAreVisibleToTheCaller) {
  ThreadPool pool(2);
  std::vector<int> out(1000);
  for (int round = 0; round < 200; ++round) {
    pool.parallel_for(1000, [&](int task, int) { out[task] = task * round; });
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(out[i], i * round);
  }
}

TEST(ThreadPool, DestroysCleanlyWhileWorkersSpinOrSleep) {
  for (int i = 0; i < 20; ++i) {
    ThreadPool pool(4);
    pool.parallel_for(8, [](int, int) {});
    if (i % 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace
}  // namespace quant
