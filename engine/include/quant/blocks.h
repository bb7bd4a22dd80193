#pragma once
// Block formats shared by weights, activations and the KV cache (layouts as defined by GGUF/ggml).
#include <cstdint>

namespace quant {

constexpr int kQK = 32;  // elements per Q8_0 / Q4_0 block

struct BlockQ8_0 {
  uint16_t d;       // fp16 scale
  int8_t qs[kQK];   // x = d * q
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ4_0 {
  uint16_t d;            // fp16 scale
  uint8_t qs[kQK / 2];   // element j in the low nibble of byte j, element j+16 in the high nibble
};                       // x = d * (q - 8)
static_assert(sizeof(BlockQ4_0) == 18);

// Reference (scalar) quantisers and dequantisers; n must be a multiple of 32.
void quantize_row_q8_0(const float* x, BlockQ8_0* out, int n);
void quantize_row_q4_0(const float* x, BlockQ4_0* out, int n);
void dequantize_row_q8_0(const BlockQ8_0* in, float* y, int n);
void dequantize_row_q4_0(const BlockQ4_0* in, float* y, int n);

}  // namespace quant
