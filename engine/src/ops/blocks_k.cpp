// Reference quantisers and dequantisers of the K formats (256-element super-blocks). Dequantisation
// follows the GGUF definitions in blocks.h operation for operation; quantisation is a simple
// min/max fit per sub-block (any valid encoding loads; only decoding must be exact).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/half.h"

namespace quant {

void k_scale_min(const uint8_t* scales, int j, int& sc, int& m) {
  if (j < 4) {
    sc = scales[j] & 63;
    m = scales[j + 4] & 63;
  } else {
    sc = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
    m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

void k_pack_scales(const int* sc, const int* m, uint8_t* scales) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
    scales[j + 4] = static_cast<uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
  }
}

namespace {

int clamp_round(float v, int lo, int hi) {
  int q = static_cast<int>(std::lround(v));
  return q < lo ? lo : (q > hi ? hi : q);
}

// Fits x ~ (d*sc_j) * q - (dmin*m_j), q in 0..levels-1, for the 8 sub-blocks of 32 of one super-block.
// Fills the fp16 scales, the packed 6-bit scales and q (256 values).
void fit_k_block(const float* x, int levels, uint16_t& d_out, uint16_t& dmin_out, uint8_t* scales, uint8_t* q) {
  float scale[8], min[8];
  for (int j = 0; j < 8; ++j) {
    const float* v = x + 32 * j;
    float mn = std::min(0.0f, *std::min_element(v, v + 32)), mx = *std::max_element(v, v + 32);
    scale[j] = (mx - mn) / static_cast<float>(levels - 1);
    min[j] = -mn;  // >= 0
  }
  const float max_scale = *std::max_element(scale, scale + 8), max_min = *std::max_element(min, min + 8);
  d_out = fp32_to_fp16(max_scale / 63.0f);
  dmin_out = fp32_to_fp16(max_min / 63.0f);
  const float d = fp16_to_fp32(d_out), dmin = fp16_to_fp32(dmin_out);
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = d > 0 ? clamp_round(scale[j] / d, 0, 63) : 0;
    m[j] = dmin > 0 ? clamp_round(min[j] / dmin, 0, 63) : 0;
  }
  k_pack_scales(sc, m, scales);
  for (int j = 0; j < 8; ++j) {
    const float step = d * sc[j], offset = dmin * m[j];
    const float inv = step > 0 ? 1.0f / step : 0.0f;
    for (int l = 0; l < 32; ++l) q[32 * j + l] = static_cast<uint8_t>(clamp_round((x[32 * j + l] + offset) * inv, 0, levels - 1));
  }
}

}  // namespace

void quantize_row_q4_k(const float* x, BlockQ4_K* out, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    uint8_t q[kQK_K];
    fit_k_block(x + b * kQK_K, 16, out[b].d, out[b].dmin, out[b].scales, q);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) out[b].qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | q[64 * c + 32 + l] << 4);
  }
}

void quantize_row_q5_k(const float* x, BlockQ5_K* out, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    uint8_t q[kQK_K];
    fit_k_block(x + b * kQK_K, 32, out[b].d, out[b].dmin, out[b].scales, q);
    std::memset(out[b].qh, 0, sizeof out[b].qh);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
        out[b].qs[32 * c + l] = static_cast<uint8_t>((lo & 15) | (hi & 15) << 4);
        out[b].qh[l] |= static_cast<uint8_t>((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
      }
  }
}

void quantize_row_q6_k(const float* x, BlockQ6_K* out, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    const float* v = x + b * kQK_K;
    float scale[16];
    for (int i = 0; i < 16; ++i) {  // the largest-magnitude value (with its sign) maps to -32
      float amax = 0, max = 0;
      for (int l = 0; l < 16; ++l)
        if (std::fabs(v[16 * i + l]) > amax) { amax = std::fabs(v[16 * i + l]); max = v[16 * i + l]; }
      scale[i] = max / -32.0f;
    }
    float amax = 0;
    for (float s : scale) amax = std::max(amax, std::fabs(s));
    out[b].d = fp32_to_fp16(amax / 127.0f);
    const float d = fp16_to_fp32(out[b].d);
    int q[kQK_K];
    for (int i = 0; i < 16; ++i) {
      const int sc = d > 0 ? clamp_round(scale[i] / d, -127, 127) : 0;
      out[b].scales[i] = static_cast<int8_t>(sc);
      const float step = d * sc, inv = step != 0 ? 1.0f / step : 0.0f;
      for (int l = 0; l < 16; ++l) q[16 * i + l] = clamp_round(v[16 * i + l] * inv, -32, 31) + 32;
    }
    for (int h = 0; h < 2; ++h) {
      uint8_t* ql = out[b].ql + 64 * h;
      uint8_t* qh = out[b].qh + 32 * h;
      const int* qq = q + 128 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((qq[l] & 15) | (qq[l + 64] & 15) << 4);
        ql[l + 32] = static_cast<uint8_t>((qq[l + 32] & 15) | (qq[l + 96] & 15) << 4);
        qh[l] = static_cast<uint8_t>((qq[l] >> 4) | (qq[l + 32] >> 4) << 2 | (qq[l + 64] >> 4) << 4 | (qq[l + 96] >> 4) << 6);
      }
    }
  }
}

void dequantize_row_q4_k(const BlockQ4_K* in, float* y, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_fp32(in[b].d), dmin = fp16_to_fp32(in[b].dmin);
    const uint8_t* q = in[b].qs;
    for (int c = 0; c < 4; ++c, q += 32) {
      int sc, m;
      k_scale_min(in[b].scales, 2 * c, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      k_scale_min(in[b].scales, 2 * c + 1, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void dequantize_row_q5_k(const BlockQ5_K* in, float* y, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_fp32(in[b].d), dmin = fp16_to_fp32(in[b].dmin);
    const uint8_t* ql = in[b].qs;
    const uint8_t* qh = in[b].qh;
    for (int c = 0; c < 4; ++c, ql += 32) {
      int sc, m;
      k_scale_min(in[b].scales, 2 * c, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      k_scale_min(in[b].scales, 2 * c + 1, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      const uint8_t u1 = static_cast<uint8_t>(1 << (2 * c)), u2 = static_cast<uint8_t>(2 << (2 * c));
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    }
  }
}

void dequantize_row_q6_k(const BlockQ6_K* in, float* y, int n) {
  for (int b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_fp32(in[b].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = in[b].ql + 64 * h;
      const uint8_t* qh = in[b].qh + 32 * h;
      const int8_t* sc = in[b].scales + 8 * h;
      float* yy = y + 128 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
        const int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
        const int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
        yy[l] = d * sc[is] * q1;
        yy[l + 32] = d * sc[is + 2] * q2;
        yy[l + 64] = d * sc[is + 4] * q3;
        yy[l + 96] = d * sc[is + 6] * q4;
      }
    }
    y += kQK_K;
  }
}

}  // namespace quant
