#include "quant/dot.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#define QUANT_AVX2 1
#endif

#include "quant/half.h"

namespace quant {

// ---- scalar references -------------------------------------------------------------------------
float dot_f32_ref(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return static_cast<float>(s);
}
float dot_f16_f32_ref(const uint16_t* w, const float* x, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(fp16_to_fp32(w[i])) * x[i];
  return static_cast<float>(s);
}
float dot_bf16_f32_ref(const uint16_t* w, const float* x, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(bf16_to_fp32(w[i])) * x[i];
  return static_cast<float>(s);
}
float dot_q8_0_q8_0_ref(const BlockQ8_0* w, const BlockQ8_0* x, int n) {
  float s = 0;
  for (int b = 0; b < n / kQK; ++b) {
    int acc = 0;
    for (int j = 0; j < kQK; ++j) acc += w[b].qs[j] * x[b].qs[j];
    s += fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d) * static_cast<float>(acc);
  }
  return s;
}
float dot_q4_0_q8_0_ref(const BlockQ4_0* w, const BlockQ8_0* x, int n) {
  float s = 0;
  for (int b = 0; b < n / kQK; ++b) {
    int acc = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      acc += ((w[b].qs[j] & 0x0f) - 8) * x[b].qs[j];
      acc += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + kQK / 2];
    }
    s += fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d) * static_cast<float>(acc);
  }
  return s;
}

#ifdef QUANT_AVX2
namespace {
inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
// Sum of products of signed bytes, as 8 int32 lanes converted to float.
inline __m256 mul_sum_i8(__m256i a, __m256i b) {
  __m256i ax = _mm256_sign_epi8(a, a);
  __m256i sy = _mm256_sign_epi8(b, a);
  __m256i dot16 = _mm256_maddubs_epi16(ax, sy);
  __m256i dot32 = _mm256_madd_epi16(dot16, _mm256_set1_epi16(1));
  return _mm256_cvtepi32_ps(dot32);
}
}  // namespace

float dot_f32(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

float dot_f16_f32(const uint16_t* w, const float* x, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    s0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), s0);
    s1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), s1);
  }
  float s = hsum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) s += fp16_to_fp32(w[i]) * x[i];
  return s;
}

float dot_bf16_f32(const uint16_t* w, const float* x, int n) {
  __m256 s0 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    __m256 wf = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    s0 = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + i), s0);
  }
  float s = hsum(s0);
  for (; i < n; ++i) s += bf16_to_fp32(w[i]) * x[i];
  return s;
}

float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int n) {
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < n / kQK; ++b) {
    __m256 d = _mm256_set1_ps(fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d));
    __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, mul_sum_i8(qw, qx), acc);
  }
  return hsum(acc);
}

float dot_q4_0_q8_0(const BlockQ4_0* w, const BlockQ8_0* x, int n) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
  for (int b = 0; b < n / kQK; ++b) {
    __m256 d = _mm256_set1_ps(fp16_to_fp32(w[b].d) * fp16_to_fp32(x[b].d));
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    __m256i nib = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    __m256i qw = _mm256_sub_epi8(_mm256_and_si256(nib, low), eight);
    __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, mul_sum_i8(qw, qx), acc);
  }
  return hsum(acc);
}

void axpy_f32(float a, const float* x, float* y, int n) {
  __m256 va = _mm256_set1_ps(a);
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

#else  // portable build: the references are the kernels

float dot_f32(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
float dot_f16_f32(const uint16_t* w, const float* x, int n) { return dot_f16_f32_ref(w, x, n); }
float dot_bf16_f32(const uint16_t* w, const float* x, int n) { return dot_bf16_f32_ref(w, x, n); }
float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int n) { return dot_q8_0_q8_0_ref(w, x, n); }
float dot_q4_0_q8_0(const BlockQ4_0* w, const BlockQ8_0* x, int n) { return dot_q4_0_q8_0_ref(w, x, n); }
void axpy_f32(float a, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}
#endif

}  // namespace quant
