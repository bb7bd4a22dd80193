#include "quant/thread_pool.h"

#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace quant {

namespace {
// Idle worker: ~20-50 us of pause-spinning (covers the gaps between matmuls of a decode step), then
// yielding (lets other programs run on a busy machine), then sleeping.
constexpr int kSpinPauses = 4000;
constexpr int kYields = 200;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  state_.store(static_cast<uint64_t>(kClosed));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::run_tasks(uint32_t gen, int thread) {
  // Acquire: if these already show a newer job, the claim below sees this job closed and fails.
  const auto* fn = job_.load(std::memory_order_acquire);
  const uint32_t n = static_cast<uint32_t>(n_tasks_.load(std::memory_order_acquire));
  int ran = 0;
  uint64_t v = state_.load(std::memory_order_acquire);
  for (;;) {
    // A task is claimed only while the state still names this generation: once the caller closes the
    // job (or starts the next one) a late worker can never run a task with the wrong job.
    if (static_cast<uint32_t>(v >> 32) != gen) break;
    const uint32_t idx = static_cast<uint32_t>(v);
    if (idx >= n) break;
    if (!state_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    (*fn)(static_cast<int>(idx), thread);
    ++ran;
    done_.fetch_add(1, std::memory_order_release);
    v = state_.load(std::memory_order_acquire);
  }
  return ran;
}

void ThreadPool::parallel_for(int n_tasks, const std::function<void(int, int)>& fn) {
  if (n_tasks <= 0) return;
  if (n_threads_ == 1 || n_tasks == 1) {
    for (int t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  const uint32_t gen = ++generation_;
  job_.store(&fn, std::memory_order_release);
  n_tasks_.store(n_tasks, std::memory_order_release);
  done_.store(0, std::memory_order_relaxed);
  state_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);  // publishes the job
  epoch_.store(gen, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) epoch_.notify_all();

  run_tasks(gen, 0);
  // Every task is claimed; wait for the ones still running on workers.
  while (done_.load(std::memory_order_acquire) < n_tasks) cpu_relax();
  state_.store(static_cast<uint64_t>(gen) << 32 | kClosed, std::memory_order_release);
}

void ThreadPool::worker(int index) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = 0;
    auto fresh = [&] {
      const uint64_t v = state_.load(std::memory_order_acquire);
      gen = static_cast<uint32_t>(v >> 32);
      return gen != seen && static_cast<uint32_t>(v) != kClosed;
    };
    bool found = false;
    for (int i = 0; i < kSpinPauses && !(found = fresh()); ++i) {
      if (stop_.load(std::memory_order_relaxed)) return;
      cpu_relax();
    }
    for (int i = 0; i < kYields && !found; ++i) {
      if (stop_.load(std::memory_order_relaxed)) return;
      sched_yield();
      found = fresh();
    }
    while (!found) {
      const uint32_t e = epoch_.load(std::memory_order_seq_cst);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (!(found = fresh()) && !stop_.load(std::memory_order_seq_cst)) epoch_.wait(e, std::memory_order_seq_cst);
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      if (stop_.load(std::memory_order_seq_cst)) return;
      if (!found) found = fresh();
    }
    seen = gen;
    run_tasks(gen, index);
  }
}

}  // namespace quant
