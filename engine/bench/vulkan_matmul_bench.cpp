// Vulkan backend matmul throughput per weight type and batch size, one submit per matmul (host copies
// of x and y included), so it can be read against BM_Matmul (the CPU kernels) in matmul_bench.cpp.
// Needs a Vulkan device (on CI machines: VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json).
#ifdef QUANT_HAVE_VULKAN
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quant/backend_factory.h"
#include "quant/blocks.h"
#include "quant/error.h"
#include "quant/half.h"

namespace quant {
namespace {

struct HostWeight {
  std::vector<uint8_t> bytes;
  Tensor t;
};

HostWeight random_weight(GgmlType type, int rows, int cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0, 0.02f);
  std::vector<float> row(cols);
  HostWeight w;
  w.t.name = "bench.weight";
  w.t.type = type;
  w.t.ne[0] = cols;
  w.t.ne[1] = rows;
  w.t.row_bytes = type == GgmlType::F32   ? cols * 4
                  : type == GgmlType::F16 ? cols * 2
                  : type == GgmlType::Q8_0 ? cols / kQK * sizeof(BlockQ8_0)
                                           : cols / kQK * sizeof(BlockQ4_0);
  w.bytes.resize(w.t.row_bytes * rows);
  for (int r = 0; r < rows; ++r) {
    for (float& x : row) x = d(rng);
    uint8_t* dst = w.bytes.data() + r * w.t.row_bytes;
    if (type == GgmlType::F32) std::memcpy(dst, row.data(), cols * 4);
    if (type == GgmlType::F16)
      for (int i = 0; i < cols; ++i) reinterpret_cast<uint16_t*>(dst)[i] = fp32_to_fp16(row[i]);
    if (type == GgmlType::Q8_0) quantize_row_q8_0(row.data(), reinterpret_cast<BlockQ8_0*>(dst), cols);
    if (type == GgmlType::Q4_0) quantize_row_q4_0(row.data(), reinterpret_cast<BlockQ4_0*>(dst), cols);
  }
  w.t.data = w.bytes.data();
  return w;
}

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
  HostWeight w = random_weight(type, rows, cols);
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
