// Reference quantisers and dequantisers of the 32-element block formats. The dequantisers follow the
// GGUF definitions operation for operation (same float expression order), so they are bit-exact.
#include "quant/blocks.h"

#include <cmath>
#include <cstring>

#include "quant/half.h"

namespace quant {

namespace {

int clamp_round(float v, int lo, int hi) {
  int q = static_cast<int>(std::lround(v));
  return q < lo ? lo : (q > hi ? hi : q);
}

// Symmetric scale mapping the largest-magnitude value (with its sign) to -levels/2, so the full
// range of levels is used (the convention of Q4_0 / Q5_0).
float signed_scale(const float* v, int levels) {
  float amax = 0, max = 0;
  for (int j = 0; j < kQK; ++j)
    if (std::fabs(v[j]) > amax) { amax = std::fabs(v[j]); max = v[j]; }
  return max / -static_cast<float>(levels / 2);
}

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void write_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

}  // namespace

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
    float d = signed_scale(v, 16);
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

void quantize_row_q4_1(const float* x, BlockQ4_1* out, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float* v = x + b * kQK;
    float mn = v[0], mx = v[0];
    for (int j = 1; j < kQK; ++j) { mn = std::fmin(mn, v[j]); mx = std::fmax(mx, v[j]); }
    const float d = (mx - mn) / 15.0f;
    out[b].d = fp32_to_fp16(d);
    out[b].m = fp32_to_fp16(mn);
    const float dd = fp16_to_fp32(out[b].d), m = fp16_to_fp32(out[b].m);
    const float id = dd != 0 ? 1.0f / dd : 0.0f;
    for (int j = 0; j < kQK / 2; ++j) {
      int q0 = clamp_round((v[j] - m) * id, 0, 15), q1 = clamp_round((v[j + 16] - m) * id, 0, 15);
      out[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* x, BlockQ5_0* out, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float* v = x + b * kQK;
    const float d = signed_scale(v, 32);
    out[b].d = fp32_to_fp16(d);
    const float dd = fp16_to_fp32(out[b].d), id = dd != 0 ? 1.0f / dd : 0.0f;
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      int q0 = clamp_round(v[j] * id + 16, 0, 31), q1 = clamp_round(v[j + 16] * id + 16, 0, 31);
      out[b].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j | static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    write_u32(out[b].qh, qh);
  }
}

void quantize_row_q5_1(const float* x, BlockQ5_1* out, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float* v = x + b * kQK;
    float mn = v[0], mx = v[0];
    for (int j = 1; j < kQK; ++j) { mn = std::fmin(mn, v[j]); mx = std::fmax(mx, v[j]); }
    out[b].d = fp32_to_fp16((mx - mn) / 31.0f);
    out[b].m = fp32_to_fp16(mn);
    const float dd = fp16_to_fp32(out[b].d), m = fp16_to_fp32(out[b].m);
    const float id = dd != 0 ? 1.0f / dd : 0.0f;
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      int q0 = clamp_round((v[j] - m) * id, 0, 31), q1 = clamp_round((v[j + 16] - m) * id, 0, 31);
      out[b].qs[j] = static_cast<uint8_t>((q0 & 15) | ((q1 & 15) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j | static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    write_u32(out[b].qh, qh);
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

void dequantize_row_q4_1(const BlockQ4_1* in, float* y, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float d = fp16_to_fp32(in[b].d), m = fp16_to_fp32(in[b].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[b * kQK + j] = (in[b].qs[j] & 0x0f) * d + m;
      y[b * kQK + j + 16] = (in[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const BlockQ5_0* in, float* y, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float d = fp16_to_fp32(in[b].d);
    const uint32_t qh = read_u32(in[b].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = (in[b].qs[j] & 0x0f) | ((qh >> j) & 1) << 4;
      const int q1 = (in[b].qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4;
      y[b * kQK + j] = (q0 - 16) * d;
      y[b * kQK + j + 16] = (q1 - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const BlockQ5_1* in, float* y, int n) {
  for (int b = 0; b < n / kQK; ++b) {
    const float d = fp16_to_fp32(in[b].d), m = fp16_to_fp32(in[b].m);
    const uint32_t qh = read_u32(in[b].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = (in[b].qs[j] & 0x0f) | ((qh >> j) & 1) << 4;
      const int q1 = (in[b].qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4;
      y[b * kQK + j] = q0 * d + m;
      y[b * kQK + j + 16] = q1 * d + m;
    }
  }
}

}  // namespace quant
