// Weight matmul throughput per type, batch size, thread count and kernel set: y = W x with W of shape
// (rows, cols). Shapes: a cache-resident 2048 x 2048 matrix (kernel speed) and TinyLlama's 5632 x 2048
// FFN matrix. Reports weight bytes/s (decode is bound by them) and GFLOP/s (prefill).
// Run: build/engine/bench/engine_bench --benchmark_filter=Matmul
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "bench_weights.h"
#include "ops/kernels.h"
#include "ops/matmul_internal.h"
#include "quant/cpu_features.h"
#include "quant/matmul.h"

namespace quant {
namespace {

// y = W x for `batch` random activation rows on `threads` threads with one kernel set, timed.
void time_matmul(benchmark::State& state, const bench::BenchWeight& w, int batch, int threads, Isa isa,
                 const std::string& label) {
  const int rows = static_cast<int>(w.t.rows()), cols = static_cast<int>(w.t.cols());
  std::vector<float> x(static_cast<size_t>(batch) * cols), y(static_cast<size_t>(batch) * rows);
  std::mt19937 rng(2);
  std::normal_distribution<float> d(0, 1);
  for (auto& v : x) v = d(rng);
  ThreadPool pool(threads);
  const KernelSet& ks = *kernel_set(isa);
  for (auto _ : state) {
    matmul_with(ks, pool, w.t, x.data(), batch, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.bytes.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * batch * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.SetLabel(std::string(ggml_type_name(w.t.type)) + " " + std::string(isa_name(isa)) + label);
}

// Args: type, batch, threads, rows (cols 2048), isa.
void BM_Matmul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const Isa isa = static_cast<Isa>(state.range(4));
  if (!isa_usable(isa)) {
    state.SkipWithError("kernel set not usable on this CPU");
    return;
  }
  const bench::BenchWeight w = bench::random_weight(type, static_cast<int>(state.range(3)), 2048);
  time_matmul(state, w, static_cast<int>(state.range(1)), static_cast<int>(state.range(2)), isa, "");
}

// Decode (batch 1) on the rows the CPU backend regroups at load (quant/matmul.h, regroup_for_decode),
// beside BM_Matmul's GGUF-order rows of the same values. Args: type, threads, isa, rows (cols 2048):
// 256 rows sit in one core's L2 (the kernel's own speed), 5632 in L3, 65536 (75 MB of Q4_0) stream
// from memory like a model's weights.
void BM_MatmulRegrouped(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const Isa isa = static_cast<Isa>(state.range(2));
  if (!isa_usable(isa)) {
    state.SkipWithError("kernel set not usable on this CPU");
    return;
  }
  bench::BenchWeight w = bench::random_weight(type, static_cast<int>(state.range(3)), 2048);
  if (!regroup_for_decode(w.t, w.bytes.data())) {
    state.SkipWithError("no decode layout for this type");
    return;
  }
  time_matmul(state, w, 1, static_cast<int>(state.range(1)), isa, " regrouped");
}

void Args(benchmark::internal::Benchmark* b) {
  for (int isa : {static_cast<int>(Isa::avx2), static_cast<int>(Isa::avx_vnni), static_cast<int>(Isa::avx512_vnni)})
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K})
      for (int batch : {1, 32, 128})  // decode, a short and a pp128-sized batch
        for (int threads : {1, 2})
          for (int rows : {2048, 5632}) b->Args({static_cast<int>(t), batch, threads, rows, isa});
}

BENCHMARK(BM_Matmul)->Apply(Args)->UseRealTime();
BENCHMARK(BM_MatmulRegrouped)->ArgsProduct({{static_cast<int>(GgmlType::Q4_0), static_cast<int>(GgmlType::Q4_K)}, {1, 2},
                                            {static_cast<int>(Isa::avx2), static_cast<int>(Isa::avx_vnni), static_cast<int>(Isa::avx512_vnni)},
                                            {256, 5632, 65536}})
    ->UseRealTime();

}  // namespace
}  // namespace quant
