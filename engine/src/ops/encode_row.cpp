// One row of floats in a weight type's GGUF layout: used by the synthetic-model writer and the kernel tests.
#include <cstring>
#include <stdexcept>
#include <string>

#include "quant/blocks.h"
#include "quant/half.h"

namespace quant {

void encode_row(GgmlType type, const float* x, uint8_t* out, int n) {
  switch (type) {
    case GgmlType::F32: std::memcpy(out, x, static_cast<size_t>(n) * 4); break;
    case GgmlType::F16:
      for (int i = 0; i < n; ++i) { uint16_t h = fp32_to_fp16(x[i]); std::memcpy(out + 2 * i, &h, 2); }
      break;
    case GgmlType::BF16:
      for (int i = 0; i < n; ++i) { uint16_t h = fp32_to_bf16(x[i]); std::memcpy(out + 2 * i, &h, 2); }
      break;
    case GgmlType::Q8_0: quantize_row_q8_0(x, reinterpret_cast<BlockQ8_0*>(out), n); break;
    case GgmlType::Q4_0: quantize_row_q4_0(x, reinterpret_cast<BlockQ4_0*>(out), n); break;
    case GgmlType::Q4_1: quantize_row_q4_1(x, reinterpret_cast<BlockQ4_1*>(out), n); break;
    case GgmlType::Q5_0: quantize_row_q5_0(x, reinterpret_cast<BlockQ5_0*>(out), n); break;
    case GgmlType::Q5_1: quantize_row_q5_1(x, reinterpret_cast<BlockQ5_1*>(out), n); break;
    case GgmlType::Q4_K: quantize_row_q4_k(x, reinterpret_cast<BlockQ4_K*>(out), n); break;
    case GgmlType::Q5_K: quantize_row_q5_k(x, reinterpret_cast<BlockQ5_K*>(out), n); break;
    case GgmlType::Q6_K: quantize_row_q6_k(x, reinterpret_cast<BlockQ6_K*>(out), n); break;
    default: throw std::invalid_argument("encode_row: unsupported weight type " + std::string(ggml_type_name(type)));
  }
}

}  // namespace quant
