// The scalar reference kernels: the definition every SIMD kernel set is tested against, and the
// kernels of builds (or CPUs) without one. Integer block sums are exact; the float combination follows
// the formulas in blocks.h.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "matmul_internal.h"
#include "quant/blocks.h"
#include "quant/half.h"

namespace quant {

namespace {

// ---- activation quantisation --------------------------------------------------------------------
// x ~ d * q with d = amax / 127; q = round-half-even(x * 127 / amax), the rounding SIMD conversion uses.
void quantize_block(const float* x, int n, int8_t* q, float& d) {
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  const float id = amax > 0 ? 127.0f / amax : 0.0f;
  d = amax / 127.0f;
  for (int i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
}

void quantize_ref(const float* x, size_t ldx, const QActs& a) {
  const int K = a.K;
  for (int t = 0; t < a.n_tok; ++t) {
    const float* xr = x + t * ldx;
    int8_t* qs = a.qs + t * a.ld_qs;
    switch (a.fmt) {
      case ActFormat::q8_32:
        for (int b = 0; b < K / kQK; ++b) {
          quantize_block(xr + b * kQK, kQK, qs + b * kQK, a.d[t * a.ld_d + b]);
          int s = 0;
          for (int i = 0; i < kQK; ++i) s += qs[b * kQK + i];
          a.bsums[t * a.ld_bsums + b] = static_cast<int16_t>(s);
        }
        break;
      case ActFormat::q8_256: {
        for (int b = 0; b < K / kQK_K; ++b) {
          quantize_block(xr + b * kQK_K, kQK_K, qs + b * kQK_K, a.d[t * a.ld_d + b]);
          for (int g = 0; g < kQK_K / 16; ++g) {
            int s = 0;
            for (int i = 0; i < 16; ++i) s += qs[b * kQK_K + g * 16 + i];
            a.bsums[t * a.ld_bsums + b * 16 + g] = static_cast<int16_t>(s);
          }
          for (int v = 0; v < 8; ++v)
            for (int p = 0; p < 32; ++p) a.qs_il[t * a.ld_qs + b * kQK_K + 32 * v + p] = qs[b * kQK_K + il_value(v, p)];
        }
        break;
      }
      case ActFormat::q8_pair: {
        const int nb = K / kQK, np = (nb + 1) / 2;
        for (int p = 0; p < np; ++p) {
          int8_t* dst = qs + p * 64;
          for (int h = 0; h < 2; ++h) {
            const int b = 2 * p + h;
            int8_t q[kQK] = {};
            float d = 0;
            if (b < nb) quantize_block(xr + b * kQK, kQK, q, d);
            int s = 0;
            for (int i = 0; i < kQK; ++i) s += q[i];
            std::memcpy(dst + 16 * h, q, 16);
            std::memcpy(dst + 32 + 16 * h, q + 16, 16);
            if (static_cast<size_t>(p / 4) * 8 < a.ld_g) {  // block 2p+h of a full group of 8
              const size_t lane = t * a.ld_g + (p / 4) * 8 + 4 * h + p % 4;
              a.gd[lane] = d;
              a.goff[lane] = -a.offset * s;
              a.gds[lane] = d * static_cast<float>(s);
            }
            if (2 * p + h < nb) {
              const size_t bi = t * a.ld_b + 2 * p + h;
              a.bd[bi] = d;
              a.boff[bi] = -a.offset * s;
              a.bds[bi] = d * static_cast<float>(s);
            }
          }
        }
        break;
      }
      case ActFormat::f32: break;
    }
  }
}

// Reads activation block b (32 values) of a q8_pair row back in natural order.
void pair_block(const QActs& a, int t, int b, int8_t* q, float& d, int& s) {
  const int8_t* src = a.qs + t * a.ld_qs + (b / 2) * 64 + 16 * (b % 2);
  std::memcpy(q, src, 16);
  std::memcpy(q + 16, src + 32, 16);
  d = a.bd[t * a.ld_b + b];
  s = 0;
  for (int i = 0; i < kQK; ++i) s += q[i];
}

// ---- one row times one activation row, per weight kind ---------------------------------------------
float dot_float_row(WeightKind k, const uint8_t* w, const float* x, int K) {
  double s = 0;
  for (int i = 0; i < K; ++i) {
    float wi;
    if (k == WeightKind::f32) std::memcpy(&wi, w + 4 * i, 4);
    else {
      uint16_t h;
      std::memcpy(&h, w + 2 * i, 2);
      wi = k == WeightKind::f16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
    s += static_cast<double>(wi) * x[i];
  }
  return static_cast<float>(s);
}

float dot_q8_0(const uint8_t* w, const QActs& a, int t) {
  const auto* wb = reinterpret_cast<const BlockQ8_0*>(w);
  const int8_t* q = a.qs + t * a.ld_qs;
  float s = 0;
  for (int b = 0; b < a.K / kQK; ++b) {
    int acc = 0;
    for (int j = 0; j < kQK; ++j) acc += wb[b].qs[j] * q[b * kQK + j];
    s += fp16_to_fp32(wb[b].d) * a.d[t * a.ld_d + b] * static_cast<float>(acc);
  }
  return s;
}

// Q4_0, Q4_1, Q5_0, Q5_1: unsigned 4- or 5-bit q with a zero point (x = d*(q - z)) or a minimum.
float dot_nibble(WeightKind k, const uint8_t* w, const QActs& a, int t) {
  const int nb = a.K / kQK;
  float s = 0;
  for (int b = 0; b < nb; ++b) {
    int8_t x[kQK];
    float dx;
    int sx;
    pair_block(a, t, b, x, dx, sx);
    uint8_t q[kQK];
    float dw = 0, mw = 0;
    uint32_t qh = 0;
    const uint8_t* qs = nullptr;
    switch (k) {
      case WeightKind::q4_0: { auto* p = reinterpret_cast<const BlockQ4_0*>(w) + b; dw = fp16_to_fp32(p->d); qs = p->qs; break; }
      case WeightKind::q4_0_x8: {
        const int g = b / kX8Blocks, o = b % kX8Blocks;
        if (g < nb / kX8Blocks) {  // a block of a regrouped run
          uint16_t d;
          std::memcpy(&d, w + g * kX8Bytes + 2 * x8_scale_slot(o), 2);
          dw = fp16_to_fp32(d);
          qs = w + g * kX8Bytes + kX8Quants + 16 * o;
        } else {  // after the last full run: GGUF order
          auto* p = reinterpret_cast<const BlockQ4_0*>(w) + b;
          dw = fp16_to_fp32(p->d);
          qs = p->qs;
        }
        break;
      }
      case WeightKind::q4_1: { auto* p = reinterpret_cast<const BlockQ4_1*>(w) + b; dw = fp16_to_fp32(p->d); mw = fp16_to_fp32(p->m); qs = p->qs; break; }
      case WeightKind::q5_0: { auto* p = reinterpret_cast<const BlockQ5_0*>(w) + b; dw = fp16_to_fp32(p->d); qs = p->qs; std::memcpy(&qh, p->qh, 4); break; }
      default: { auto* p = reinterpret_cast<const BlockQ5_1*>(w) + b; dw = fp16_to_fp32(p->d); mw = fp16_to_fp32(p->m); qs = p->qs; std::memcpy(&qh, p->qh, 4); break; }
    }
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<uint8_t>((qs[j] & 15) | ((qh >> j) & 1) << 4);
      q[j + 16] = static_cast<uint8_t>((qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
    }
    int acc = 0;
    for (int j = 0; j < kQK; ++j) acc += q[j] * x[j];
    if (k == WeightKind::q4_0 || k == WeightKind::q4_0_x8 || k == WeightKind::q5_0) {
      const int zero = k == WeightKind::q5_0 ? 16 : 8;
      s += dw * dx * static_cast<float>(acc - zero * sx);
    } else {
      s += dw * dx * static_cast<float>(acc) + mw * dx * static_cast<float>(sx);
    }
  }
  return s;
}

float dot_q45_k(WeightKind k, const uint8_t* w, const QActs& a, int t) {
  const int8_t* x = a.qs + t * a.ld_qs;
  const int16_t* bsums = a.bsums + t * a.ld_bsums;
  float s = 0;
  for (int b = 0; b < a.K / kQK_K; ++b) {
    const uint8_t *scales, *qs, *qh = nullptr;
    float d, dmin;
    if (k == WeightKind::q4_k) {
      auto* p = reinterpret_cast<const BlockQ4_K*>(w) + b;
      d = fp16_to_fp32(p->d); dmin = fp16_to_fp32(p->dmin); scales = p->scales; qs = p->qs;
    } else {
      auto* p = reinterpret_cast<const BlockQ5_K*>(w) + b;
      d = fp16_to_fp32(p->d); dmin = fp16_to_fp32(p->dmin); scales = p->scales; qs = p->qs; qh = p->qh;
    }
    int sum_q = 0, sum_m = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      k_scale_min(scales, j, sc, m);
      const int c = j / 2, hi = j % 2;
      int acc = 0;
      for (int l = 0; l < 32; ++l) {
        int q = hi ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;
        if (qh && (qh[l] >> j & 1)) q += 16;
        acc += q * x[b * kQK_K + 32 * j + l];
      }
      sum_q += sc * acc;
      sum_m += m * (bsums[b * 16 + 2 * j] + bsums[b * 16 + 2 * j + 1]);
    }
    const float dx = a.d[t * a.ld_d + b];
    s += dx * d * static_cast<float>(sum_q) - dx * dmin * static_cast<float>(sum_m);
  }
  return s;
}

float dot_q6_k(const uint8_t* w, const QActs& a, int t) {
  const int8_t* x = a.qs + t * a.ld_qs;
  const int16_t* bsums = a.bsums + t * a.ld_bsums;
  float s = 0;
  for (int b = 0; b < a.K / kQK_K; ++b) {
    auto* p = reinterpret_cast<const BlockQ6_K*>(w) + b;
    int q[kQK_K];
    for (int h = 0; h < 2; ++h)
      for (int l = 0; l < 32; ++l) {
        const uint8_t* ql = p->ql + 64 * h;
        const uint8_t* qh = p->qh + 32 * h;
        q[128 * h + l] = (ql[l] & 15) | ((qh[l] >> 0) & 3) << 4;
        q[128 * h + l + 32] = (ql[l + 32] & 15) | ((qh[l] >> 2) & 3) << 4;
        q[128 * h + l + 64] = (ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4;
        q[128 * h + l + 96] = (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4;
      }
    int sum = 0;
    for (int i = 0; i < 16; ++i) {
      int acc = 0;
      for (int l = 0; l < 16; ++l) acc += q[16 * i + l] * x[b * kQK_K + 16 * i + l];
      sum += p->scales[i] * (acc - 32 * bsums[b * 16 + i]);
    }
    s += a.d[t * a.ld_d + b] * fp16_to_fp32(p->d) * static_cast<float>(sum);
  }
  return s;
}

template <WeightKind kKind>
void gemm_ref(const uint8_t* w, size_t row_bytes, int nr, const QActs& a, int t0, int nt, float* y, size_t ldy) {
  for (int r = 0; r < nr; ++r) {
    const uint8_t* wr = w + r * row_bytes;
    for (int t = 0; t < nt; ++t) {
      float v;
      switch (kKind) {
        case WeightKind::f32: case WeightKind::f16: case WeightKind::bf16:
          v = dot_float_row(kKind, wr, a.x + (t0 + t) * a.ldx, a.K);
          break;
        case WeightKind::q8_0: v = dot_q8_0(wr, a, t0 + t); break;
        case WeightKind::q4_k: case WeightKind::q5_k: v = dot_q45_k(kKind, wr, a, t0 + t); break;
        case WeightKind::q4_k_il: {  // read in GGUF order: the reference defines what the layout must give
          thread_local std::vector<uint8_t> gguf;
          gguf.resize(row_bytes);
          for (int b = 0; b < a.K / kQK_K; ++b) deinterleave_q4_k_block(wr + b * kIlBlockBytes, gguf.data() + b * kIlBlockBytes);
          v = dot_q45_k(WeightKind::q4_k, gguf.data(), a, t0 + t);
          break;
        }
        case WeightKind::q6_k: v = dot_q6_k(wr, a, t0 + t); break;
        default: v = dot_nibble(kKind, wr, a, t0 + t); break;
      }
      y[t * ldy + r] = v;
    }
  }
}

const KernelSet kRef = {
    "scalar",
    {gemm_ref<WeightKind::f32>, gemm_ref<WeightKind::f16>, gemm_ref<WeightKind::bf16>, gemm_ref<WeightKind::q8_0>,
     gemm_ref<WeightKind::q4_0>, gemm_ref<WeightKind::q4_1>, gemm_ref<WeightKind::q5_0>, gemm_ref<WeightKind::q5_1>,
     gemm_ref<WeightKind::q4_k>, gemm_ref<WeightKind::q5_k>, gemm_ref<WeightKind::q6_k>, gemm_ref<WeightKind::q4_0_x8>,
     gemm_ref<WeightKind::q4_k_il>},
    quantize_ref,
    {},
};

}  // namespace

const KernelSet* kernel_set_ref() { return &kRef; }

}  // namespace quant
