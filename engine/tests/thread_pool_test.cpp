// The worker pool: every task runs exactly once per call, on any thread count, across many back-to-back
// calls (the decode pattern), after the workers fell asleep, and when a worker is slow to wake; and it
// shuts down without hanging or leaving threads behind, whether its workers spin or sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
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

// Threads of this process now (Linux: one entry per thread under /proc/self/task).
int threads_in_process() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Waits up to a second for the thread count to come back to `expected` (an exited thread may linger in
// /proc for a moment after it was joined).
int threads_settled_at(int expected) {
  int n = threads_in_process();
  for (int i = 0; i < 100 && n != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    n = threads_in_process();
  }
  return n;
}

// Runs fn on a thread of its own; false when it has not returned within `limit` (it is then left
// behind, detached, so a hang fails the test instead of blocking it).
bool returns_within(std::chrono::seconds limit, const std::function<void()>& fn) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread runner([fn, done] {
    fn();
    done->set_value();
  });
  if (finished.wait_for(limit) != std::future_status::ready) {
    runner.detach();
    return false;
  }
  runner.join();
  return true;
}

TEST(ThreadPool, DestroysCleanlyWhileWorkersSpinOrSleep) {
  const int threads_before = threads_in_process();
  for (int i = 0; i < 20; ++i) {
    const bool asleep = i % 2;  // else destroyed at once, its workers still spinning for the next job
    auto ran = std::make_shared<std::atomic<int>>(0);
    auto workers_seen = std::make_shared<int>(0);
    const bool returned = returns_within(std::chrono::seconds(10), [ran, workers_seen, asleep] {
      ThreadPool pool(4);
      pool.parallel_for(8, [&](int, int) { ++*ran; });
      *workers_seen = threads_in_process();
      if (asleep) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past spinning and yielding
    });
    ASSERT_TRUE(returned) << "round " << i << (asleep ? " (sleeping" : " (spinning") << " workers): destruction hung";
    EXPECT_EQ(ran->load(), 8) << "round " << i;
    // The pool's 3 workers and the runner were alive; after destruction none of them is left.
    EXPECT_EQ(*workers_seen, threads_before + 1 + 3) << "round " << i;
    EXPECT_EQ(threads_settled_at(threads_before), threads_before) << "round " << i << ": workers outlived the pool";
  }
}

}  // namespace
}  // namespace quant
