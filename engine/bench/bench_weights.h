#pragma once
// A deterministic random weight matrix in any GGUF weight type, shared by the matmul benchmarks.
#include <cstdint>
#include <vector>

#include "quant/tensor.h"

namespace quant::bench {

struct BenchWeight {
  std::vector<uint8_t> bytes;
  Tensor t;  // points into bytes: move, do not copy
};

// rows x cols values from N(0, 0.02) (seed 1), encoded as `type`.
BenchWeight random_weight(GgmlType type, int rows, int cols);

}  // namespace quant::bench
