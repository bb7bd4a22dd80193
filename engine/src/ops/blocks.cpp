#include "quant/blocks.h"

#include <cmath>

#include "quant/half.h"

namespace quant {

void quantize_row_q8_0(const float* x, BlockQ8_0* out, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float* v = x + b * kQK;
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(v[j]));
    float d = amax / 127.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) out[b].qs[j] = static_cast<int8_t>(std::round(v[j] * id));
  }
}

void quantize_row_q4_0(const float* x, BlockQ4_0* out, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float* v = x + b * kQK;
    // The scale maps the largest-magnitude value (with its sign) to -8, using the full 16 levels.
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j)
      if (std::fabs(v[j]) > amax) { amax = std::fabs(v[j]); max = v[j]; }
    float d = max / -8.0f;
    float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      int q0 = static_cast<int>(v[j] * id + 8.5f);
      int q1 = static_cast<int>(v[j + kQK / 2] * id + 8.5f);
      q0 = q0 < 0 ? 0 : (q0 > 15 ? 15 : q0);
      q1 = q1 < 0 ? 0 : (q1 > 15 ? 15 : q1);
      out[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_row_q8_0(const BlockQ8_0* in, float* y, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    float d = fp16_to_fp32(in[b].d);
    for (int j = 0; j < kQK; ++j) y[b * kQK + j] = d * in[b].qs[j];
  }
}

void dequantize_row_q4_0(const BlockQ4_0* in, float* y, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    float d = fp16_to_fp32(in[b].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[b * kQK + j] = d * ((in[b].qs[j] & 0x0f) - 8);
      y[b * kQK + j + kQK / 2] = d * ((in[b].qs[j] >> 4) - 8);
    }
  }
}

}  // namespace quant
