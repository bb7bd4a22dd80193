#pragma once
// Block formats shared by weights, activations and the KV cache (byte layouts as defined by GGUF/ggml;
// the formulas in the comments are the definitions the dequantisers implement bit for bit).
#include <cstdint>

#include "quant/ggml_types.h"

namespace quant {

constexpr int kQK = 32;    // elements per block of the 32-element formats (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1)
constexpr int kQK_K = 256; // elements per super-block of the K formats (Q4_K, Q5_K, Q6_K, Q8_K)

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

struct BlockQ4_1 {
  uint16_t d, m;         // fp16 scale and minimum
  uint8_t qs[kQK / 2];   // nibbles as in Q4_0
};                       // x = d * q + m
static_assert(sizeof(BlockQ4_1) == 20);

struct BlockQ5_0 {
  uint16_t d;            // fp16 scale
  uint8_t qh[4];         // bit j (little-endian 32-bit word) = fifth bit of element j
  uint8_t qs[kQK / 2];   // low four bits, nibbles as in Q4_0
};                       // x = d * (q - 16)
static_assert(sizeof(BlockQ5_0) == 22);

struct BlockQ5_1 {
  uint16_t d, m;         // fp16 scale and minimum
  uint8_t qh[4];         // as in Q5_0
  uint8_t qs[kQK / 2];
};                       // x = d * q + m
static_assert(sizeof(BlockQ5_1) == 24);

// Q4_K: 8 sub-blocks of 32, each with a 6-bit scale sc and 6-bit min m packed in `scales`:
//   j < 4:  sc = scales[j] & 63, m = scales[j+4] & 63
//   j >= 4: sc = (scales[j+4] & 15) | (scales[j-4] >> 6) << 4, m = (scales[j+4] >> 4) | (scales[j] >> 6) << 4
// qs holds 4 chunks of 64 elements in 32 bytes each: low nibbles are elements 0..31 of the chunk
// (sub-block 2c), high nibbles elements 32..63 (sub-block 2c+1).  x = (d*sc) * q - (dmin*m)
struct BlockQ4_K {
  uint16_t d, dmin;       // fp16 super-block scales of the sub-block scales and mins
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144);

// Q5_K: as Q4_K plus a fifth bit: element l (< 32) of chunk c takes bit 2c of qh[l] (low half) or
// bit 2c+1 (high half).  x = (d*sc) * q - (dmin*m), q in 0..31
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 176);

// Q6_K: 16 sub-blocks of 16 with int8 scales. Per half h (128 elements; ql += 64h, qh += 32h,
// scales += 8h) and l < 32:  element l      = (ql[l] & 15)    | ((qh[l] >> 0) & 3) << 4, scale sc[l/16]
//                            element l + 32 = (ql[l+32] & 15) | ((qh[l] >> 2) & 3) << 4, scale sc[l/16+2]
//                            element l + 64 = (ql[l] >> 4)    | ((qh[l] >> 4) & 3) << 4, scale sc[l/16+4]
//                            element l + 96 = (ql[l+32] >> 4) | ((qh[l] >> 6) & 3) << 4, scale sc[l/16+6]
// x = d * sc * (q - 32)
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210);

// Reference (scalar) quantisers and dequantisers; n must be a multiple of the block size.
void quantize_row_q8_0(const float* x, BlockQ8_0* out, int n);
void quantize_row_q4_0(const float* x, BlockQ4_0* out, int n);
void quantize_row_q4_1(const float* x, BlockQ4_1* out, int n);
void quantize_row_q5_0(const float* x, BlockQ5_0* out, int n);
void quantize_row_q5_1(const float* x, BlockQ5_1* out, int n);
void quantize_row_q4_k(const float* x, BlockQ4_K* out, int n);
void quantize_row_q5_k(const float* x, BlockQ5_K* out, int n);
void quantize_row_q6_k(const float* x, BlockQ6_K* out, int n);

void dequantize_row_q8_0(const BlockQ8_0* in, float* y, int n);
void dequantize_row_q4_0(const BlockQ4_0* in, float* y, int n);
void dequantize_row_q4_1(const BlockQ4_1* in, float* y, int n);
void dequantize_row_q5_0(const BlockQ5_0* in, float* y, int n);
void dequantize_row_q5_1(const BlockQ5_1* in, float* y, int n);
void dequantize_row_q4_k(const BlockQ4_K* in, float* y, int n);
void dequantize_row_q5_k(const BlockQ5_K* in, float* y, int n);
void dequantize_row_q6_k(const BlockQ6_K* in, float* y, int n);

// One row of n floats written in a weight type's GGUF layout (F32, F16, BF16 and the block formats above);
// other types throw std::invalid_argument.
void encode_row(GgmlType type, const float* x, uint8_t* out, int n);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block (not inline on purpose: the
// ISA-specific kernel files must not pull shared inline code compiled with wider instruction sets).
void k_scale_min(const uint8_t* scales, int j, int& sc, int& m);
// The inverse: eight 6-bit scales and mins into the 12 bytes k_scale_min reads.
void k_pack_scales(const int* sc, const int* m, uint8_t* scales);

}  // namespace quant
