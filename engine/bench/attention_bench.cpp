// Decode-time attention per KV type: one new token attends to `ctx` cached positions, 32 query heads over
// 8 KV heads (GQA 4:1, Llama-3 style), K and V of the same type, one thread; BM_AttentionTinyLlama and
// BM_AttentionLlama32: those models' shapes with fp16 values. Time per token per layer.
// The cache holds enough layers (cycled through) that fp32's working set is >= 128 MiB, so data comes
// from DRAM as in a real many-layer model instead of staying in the last-level cache. Run e.g.
//   build/engine/bench/engine_bench --benchmark_filter=BM_Attention --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "quant/kv_cache.h"

namespace quant {
namespace {

constexpr int kHeadsKv = 8, kHeads = 32;

struct Shape {
  int heads_kv, heads, head_dim, ctx;
};

// Fills a cache of `shape` with random keys and values for every position, enough layers (cycled
// through by the timing loop) that fp32's working set is >= 128 MiB.
KvCache filled_cache(KvType k_type, KvType v_type, const Shape& shape) {
  const size_t fp32_layer_bytes = size_t{2} * shape.heads_kv * shape.ctx * shape.head_dim * sizeof(float);
  KvCacheConfig cfg;
  cfg.k_type = k_type;
  cfg.v_type = v_type;
  cfg.n_layer = static_cast<int>(std::max<size_t>(1, (size_t{128} << 20) / fp32_layer_bytes));
  cfg.n_head_kv = shape.heads_kv;
  cfg.head_dim = shape.head_dim;
  cfg.capacity = shape.ctx;
  KvCache cache(cfg);
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> k(static_cast<size_t>(shape.heads_kv) * shape.head_dim), v(k.size());
  for (int p = 0; p < shape.ctx; ++p)
    for (int l = 0; l < cfg.n_layer; ++l) {
      for (auto& x : k) x = g(rng);
      for (auto& x : v) x = g(rng);
      cache.store(l, p, k.data(), v.data());
    }
  return cache;
}

void run_attention(benchmark::State& state, const KvCache& cache, const Shape& shape) {
  const KvCacheConfig& cfg = cache.config();
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> q(static_cast<size_t>(shape.heads) * shape.head_dim), out(q.size());
  for (auto& x : q) x = g(rng);
  AttentionParams ap;
  ap.n_head = shape.heads;
  ap.scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  int layer = 0;
  for (auto _ : state) {
    cache.attend(layer, shape.ctx - 1, q.data(), out.data(), ap);
    benchmark::DoNotOptimize(out.data());
    layer = (layer + 1) % cfg.n_layer;
  }
  const double layer_bytes = static_cast<double>(cache.k_bytes_per_token() + cache.v_bytes_per_token()) / cfg.n_layer * shape.ctx;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * layer_bytes));
  state.counters["kv_bytes_per_token"] = static_cast<double>(cache.k_bytes_per_token()) / cfg.n_layer;
  state.counters["layers"] = cfg.n_layer;
}

void BM_Attention(benchmark::State& state) {
  const auto type = static_cast<KvType>(state.range(0));
  const Shape shape{kHeadsKv, kHeads, static_cast<int>(state.range(1)), static_cast<int>(state.range(2))};
  const KvCache cache = filled_cache(type, type, shape);
  run_attention(state, cache, shape);
  state.SetLabel(std::string(kv_type_name(type)));
}

// Real models' decode shapes with fp16 values (the engine's default value type) and keys of each type.
void attention_with_fp16_values(benchmark::State& state, int heads_kv, int heads) {
  const auto type = static_cast<KvType>(state.range(0));
  const Shape shape{heads_kv, heads, 64, static_cast<int>(state.range(1))};
  const KvCache cache = filled_cache(type, KvType::fp16, shape);
  run_attention(state, cache, shape);
  state.SetLabel(std::string(kv_type_name(type)) + ":fp16");
}
// TinyLlama-1.1B (the depth goal of docs/kv-cache.md): 32 query heads over 4 KV heads (GQA 8:1).
void BM_AttentionTinyLlama(benchmark::State& state) { attention_with_fp16_values(state, 4, 32); }
// Llama-3.2-1B: 32 query heads over 8 KV heads (GQA 4:1).
void BM_AttentionLlama32(benchmark::State& state) { attention_with_fp16_values(state, 8, 32); }

void Args(benchmark::internal::Benchmark* b) {
  for (int dim : {64, 128})
    for (int ctx : {1024, 4096, 16384})
      for (KvType t : all_kv_types()) b->Args({static_cast<int>(t), dim, ctx});
}

// CPU time (the default): on a shared machine wall time also counts other processes.
BENCHMARK(BM_Attention)->Apply(Args)->Unit(benchmark::kMicrosecond);

void KeyTypes(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{static_cast<int>(KvType::fp32), static_cast<int>(KvType::fp16), static_cast<int>(KvType::q8_0),
                   static_cast<int>(KvType::turbo_kv_4b), static_cast<int>(KvType::turbo_kv_3b)},
                  {4096, 16384}});
}
BENCHMARK(BM_AttentionTinyLlama)->Apply(KeyTypes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AttentionLlama32)->Apply(KeyTypes)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quant
