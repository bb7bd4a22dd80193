#pragma once
// Tensor element types as numbered in GGUF files (the ggml type ids), with block geometry.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace quant {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  std::string_view name;
  uint32_t block_elems;  // elements per block
  uint32_t block_bytes;  // bytes per block
};

// nullopt for type ids this reader does not know (the caller reports them as errors).
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id);
std::string_view ggml_type_name(GgmlType t);

}  // namespace quant
