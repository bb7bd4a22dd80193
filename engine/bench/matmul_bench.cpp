// Weight matmul throughput per type and batch size: y = W x with W of shape (rows, cols).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/matmul.h"

namespace quant {
namespace {

struct Weight {
  std::vector<uint8_t> bytes;
  Tensor t;
};

Weight make_weight(GgmlType type, int rows, int cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0, 0.02f);
  std::vector<float> f(static_cast<size_t>(rows) * cols);
  for (auto& x : f) x = d(rng);
  Weight w;
  w.t.type = type;
  w.t.ne[0] = cols;
  w.t.ne[1] = rows;
  switch (type) {
    case GgmlType::F32: w.t.row_bytes = cols * 4; break;
    case GgmlType::F16: w.t.row_bytes = cols * 2; break;
    case GgmlType::Q8_0: w.t.row_bytes = cols / kQK * sizeof(BlockQ8_0); break;
    case GgmlType::Q4_0: w.t.row_bytes = cols / kQK * sizeof(BlockQ4_0); break;
    default: break;
  }
  w.bytes.resize(w.t.row_bytes * rows);
  for (int r = 0; r < rows; ++r) {
    const float* src = &f[static_cast<size_t>(r) * cols];
    uint8_t* dst = w.bytes.data() + r * w.t.row_bytes;
    switch (type) {
      case GgmlType::F32: std::memcpy(dst, src, cols * 4); break;
      case GgmlType::F16:
        for (int i = 0; i < cols; ++i) reinterpret_cast<uint16_t*>(dst)[i] = fp32_to_fp16(src[i]);
        break;
      case GgmlType::Q8_0: quantize_row_q8_0(src, reinterpret_cast<BlockQ8_0*>(dst), cols); break;
      case GgmlType::Q4_0: quantize_row_q4_0(src, reinterpret_cast<BlockQ4_0*>(dst), cols); break;
      default: break;
    }
  }
  w.t.data = w.bytes.data();
  return w;
}

void BM_Matmul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const int rows = 2048, cols = 2048;
  Weight w = make_weight(type, rows, cols);
  std::vector<float> x(static_cast<size_t>(batch) * cols, 0.5f), y(static_cast<size_t>(batch) * rows);
  ThreadPool pool(threads);
  for (auto _ : state) {
    matmul(pool, w.t, x.data(), batch, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.bytes.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * batch * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(std::string(ggml_type_name(type)));
}

BENCHMARK(BM_Matmul)
    ->ArgsProduct({{static_cast<int>(GgmlType::F32), static_cast<int>(GgmlType::F16), static_cast<int>(GgmlType::Q8_0),
                    static_cast<int>(GgmlType::Q4_0)},
                   {1, 32},
                   {1, 2}})
    ->UseRealTime();

}  // namespace
}  // namespace quant
