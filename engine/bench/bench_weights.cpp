#include "bench_weights.h"

#include <random>

#include "quant/blocks.h"
#include "quant/ggml_types.h"

namespace quant::bench {

BenchWeight random_weight(GgmlType type, int rows, int cols) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0, 0.02f);
  std::vector<float> row(cols);
  const auto info = ggml_type_info(static_cast<uint32_t>(type));
  BenchWeight w;
  w.t.name = "bench.weight";
  w.t.type = type;
  w.t.ne[0] = cols;
  w.t.ne[1] = rows;
  w.t.row_bytes = static_cast<size_t>(cols / info->block_elems) * info->block_bytes;
  w.bytes.resize(w.t.row_bytes * rows);
  for (int r = 0; r < rows; ++r) {
    for (float& x : row) x = d(rng);
    encode_row(type, row.data(), w.bytes.data() + r * w.t.row_bytes, cols);
  }
  w.t.data = w.bytes.data();
  return w;
}

}  // namespace quant::bench
