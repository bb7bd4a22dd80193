// quant-bandwidth: measures the machine's memory bandwidth, so decode speed (tg) can be reported as a
// fraction of the limit that streaming the weights imposes. Kernels (per thread, on its own slice):
//   read   sum += a[i]                 (what decoding does to the weights)
//   copy   c[i] = a[i]
//   triad  a[i] = b[i] + s * c[i]      (STREAM's triad; bytes counted as 2 reads + 1 write)
// Each figure is the best of --reps passes (as STREAM reports), in GB/s (1e9 bytes per second).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "quant/build_info.h"
#include "quant/huge_pages.h"
#include "quant/read_probe.h"
#include "../tool_cli.h"

namespace {

struct Arrays {
  float* a = nullptr;
  float* b = nullptr;
  float* c = nullptr;
  size_t n = 0;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

enum class Kernel { read, copy, triad };

// Runs one kernel on `threads` threads (each on its own contiguous slice, pages first-touched by the
// same thread) `reps` times; returns the best GB/s.
double measure(Arrays& arr, Kernel k, int threads, int reps) {
  std::vector<double> best(static_cast<size_t>(reps), 0.0);
  std::atomic<uint64_t> sink{0};
  std::vector<double> start(static_cast<size_t>(reps)), stop(static_cast<size_t>(reps));
  std::barrier sync(threads);
  auto body = [&](int t) {
    const size_t per = arr.n / threads, lo = per * t, hi = t == threads - 1 ? arr.n : lo + per;
    float* a = arr.a + lo;
    float* b = arr.b + lo;
    float* c = arr.c + lo;
    const size_t n = hi - lo;
    for (int r = 0; r < reps; ++r) {
      sync.arrive_and_wait();
      if (t == 0) start[r] = now();
      switch (k) {
        case Kernel::read: sink.store(quant::sum_words(a, n * sizeof(float)), std::memory_order_relaxed); break;
        case Kernel::copy: std::memcpy(c, a, n * sizeof(float)); break;
        case Kernel::triad:
          for (size_t i = 0; i < n; ++i) a[i] = b[i] + 0.5f * c[i];
          break;
      }
      sync.arrive_and_wait();
      if (t == 0) stop[r] = now();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
  body(0);
  for (auto& th : pool) th.join();
  const double bytes_per_elem = k == Kernel::read ? 4.0 : (k == Kernel::copy ? 8.0 : 12.0);
  double gbs = 0;
  for (int r = 0; r < reps; ++r) gbs = std::max(gbs, bytes_per_elem * arr.n / (stop[r] - start[r]) / 1e9);
  return gbs;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quant-bandwidth: memory bandwidth probe (read, copy, STREAM triad)"};
  app.set_version_flag("--version", quant::version_text("quant-bandwidth"), "Show the version, commit, build type and options");
  int size_mib = 256, reps = 10;
  std::vector<int> thread_counts;
  bool json = false;
  app.add_option("--size-mib", size_mib, "MiB per array (3 arrays; make it far larger than the caches)")
      ->check(CLI::Range(16, 1 << 16));
  app.add_option("-t,--threads", thread_counts, "thread counts to measure (default: 1 .. cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("-r,--repetitions", reps, "passes per kernel; the best is reported")->check(CLI::Range(1, 10000));
  app.add_flag("--json", json, "print one JSON object on stdout");
  quant::tool::parse_or_exit(app, argc, argv, "quant-bandwidth");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (thread_counts.empty())
    for (int t = 1; t <= cores; ++t) thread_counts.push_back(t);

  Arrays arr;
  arr.n = static_cast<size_t>(size_mib) << 20 >> 2;
  const size_t bytes = arr.n * sizeof(float);
  // Huge-page memory, as quant reads its weights from by default (WeightMemory::copy): the limit is
  // measured on the same kind of pages the decoder streams.
  std::unique_ptr<quant::HugePageBuffer> bufs[3];
  try {
    for (auto& b : bufs) b = std::make_unique<quant::HugePageBuffer>(bytes);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "quant-bandwidth: error: cannot allocate 3 x %d MiB (lower --size-mib)\n", size_mib);
    return 1;
  }
  const bool advised = bufs[0]->advised() && bufs[1]->advised() && bufs[2]->advised();
  arr.a = reinterpret_cast<float*>(bufs[0]->data());
  arr.b = reinterpret_cast<float*>(bufs[1]->data());
  arr.c = reinterpret_cast<float*>(bufs[2]->data());
  FILE* out = json ? stderr : stdout;
  nlohmann::json results = nlohmann::json::array();
  std::fprintf(out, "| threads | read GB/s | copy GB/s | triad GB/s |\n|---|---|---|---|\n");
  for (int t : thread_counts) {
    // First touch by the measuring threads (pages land where those threads run).
    std::vector<std::thread> init;
    for (int i = 0; i < t; ++i)
      init.emplace_back([&, i] {
        const size_t per = arr.n / t, lo = per * i, hi = i == t - 1 ? arr.n : lo + per;
        for (size_t j = lo; j < hi; ++j) { arr.a[j] = 1.0f; arr.b[j] = 2.0f; arr.c[j] = 0.5f; }
      });
    for (auto& th : init) th.join();
    const double rd = measure(arr, Kernel::read, t, reps);
    const double cp = measure(arr, Kernel::copy, t, reps);
    const double tr = measure(arr, Kernel::triad, t, reps);
    std::fprintf(out, "| %d | %.2f | %.2f | %.2f |\n", t, rd, cp, tr);
    results.push_back({{"threads", t}, {"read_gb_s", rd}, {"copy_gb_s", cp}, {"triad_gb_s", tr}});
  }
  if (json) {
    const quant::BuildInfo& b = quant::build_info();
    nlohmann::json j = {{"schema", "quant.bandwidth"}, {"schema_version", 1}, {"array_mib", size_mib},
                        {"reps", reps}, {"n_cores", cores}, {"huge_pages_advised", advised}, {"results", results},
                        {"build", {{"git_commit", b.git_commit}, {"git_dirty", b.git_dirty}, {"compiler", b.compiler},
                                   {"cxx_flags", b.cxx_flags}, {"build_type", b.build_type}}}};
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}
