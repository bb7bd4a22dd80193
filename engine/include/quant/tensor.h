#pragma once
// A read-only view of a weight tensor inside the model file mapping.
#include <cstddef>
#include <cstdint>
#include <string>

#include "quant/ggml_types.h"

namespace quant {

// How a tensor's rows are stored. The loader gives the GGUF layout; for the CPU backend, matmul weights of
// some types may be regrouped in memory for faster decode kernels (quant/matmul.h, regroup_for_decode).
enum class WeightLayout : uint8_t {
  gguf,
  q4_0_x8,  // Q4_0, each run of 8 blocks stored as [8 scales | the 8 blocks' quants] (ops/kernels.h)
  q4_k_il,  // Q4_K, each block's sub-blocks interleaved 4 quants at a time, scales repacked (ops/kernels.h)
};

struct Tensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] = row length (contiguous), ne[1] = rows, ...
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;          // bytes of one row of ne[0] elements (the same in every layout)
  WeightLayout layout = WeightLayout::gguf;

  bool present() const { return data != nullptr; }
  int64_t cols() const { return ne[0]; }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
  // The values of an F32 tensor (norm weights and biases: the loader requires them to be F32).
  const float* f32() const { return reinterpret_cast<const float*>(data); }
};

// Converts one row of any supported weight type to float (used for embeddings and tests).
void dequantize_row(const Tensor& t, int64_t row, float* out);

}  // namespace quant
