// Vulkan backend matmul throughput per weight type and batch size, one submit per matmul (host copies
// of x and y included), so it can be read against BM_Matmul (the CPU kernels) in matmul_bench.cpp.
// Needs a Vulkan device (on CI machines: VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json).
#ifdef QUANT_HAVE_VULKAN
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_weights.h"
#include "quant/backend_factory.h"
#include "quant/error.h"

namespace quant {
namespace {

void BM_VulkanMatmul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const int rows = static_cast<int>(state.range(2)), cols = static_cast<int>(state.range(2));
  ThreadPool pool(1);
  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend("vulkan", pool);
  } catch (const InputError& e) {
    state.SkipWithError(e.what());
    return;
  }
  bench::BenchWeight w = bench::random_weight(type, rows, cols);
  std::vector<float> x(static_cast<size_t>(batch) * cols, 0.5f), y(static_cast<size_t>(batch) * rows);
  backend->matmul(w.t, x.data(), batch, y.data());  // uploads the weight
  for (auto _ : state) {
    backend->matmul(w.t, x.data(), batch, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.bytes.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * batch * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.SetLabel(std::string(ggml_type_name(type)));
}

BENCHMARK(BM_VulkanMatmul)
    ->ArgsProduct({{static_cast<int>(GgmlType::F32), static_cast<int>(GgmlType::F16), static_cast<int>(GgmlType::Q8_0),
                    static_cast<int>(GgmlType::Q4_0)},
                   {1, 32},
                   {64, 2048}})
    ->UseRealTime();

}  // namespace
}  // namespace quant
#endif
