#pragma once
// Persistent worker pool for the forward pass. parallel_for hands out task indices through one atomic
// counter; the caller works too. Waking is cheap: idle workers spin briefly (a decode step issues a
// parallel_for every few microseconds), then yield, then sleep on a futex.
// The caller waits only for tasks that were started, never for a worker that has not woken up yet: on a
// machine whose cores are busy with other programs, a late worker simply finds no work left.
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace quant {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Runs fn(task, thread) for task in [0, n_tasks) across the pool, the caller included (thread 0);
  // returns when every task has finished. Not reentrant: call it from one thread at a time.
  void parallel_for(int n_tasks, const std::function<void(int task, int thread)>& fn);

 private:
  void worker(int index);
  // Claims and runs tasks of generation `gen` until none are left; returns how many it ran.
  int run_tasks(uint32_t gen, int thread);

  static constexpr uint32_t kClosed = 0xffffffffu;
  int n_threads_;
  std::vector<std::thread> workers_;
  // High 32 bits: job generation; low 32 bits: next task index (kClosed once the job is finished).
  std::atomic<uint64_t> state_{0};
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<int> n_tasks_{0};
  std::atomic<int> done_{0};          // finished tasks of the current generation
  std::atomic<uint32_t> epoch_{0};    // futex word: the generation sleeping workers wait to change
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  uint32_t generation_ = 0;           // caller side
};

}  // namespace quant
