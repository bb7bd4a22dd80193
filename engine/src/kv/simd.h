#pragma once
// AVX2 helpers for the KV kernels; QUANT_KV_AVX2 is defined when the build targets AVX2 + FMA + F16C,
// QUANT_KV_VNNI when it also targets byte dot products.
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#define QUANT_KV_AVX2 1
// 256-bit unsigned-by-signed byte dot products (AVX-VNNI, or AVX-512 VNNI with VL).
#if defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
#define QUANT_KV_VNNI 1
#endif
#endif

#include "quant/half.h"

namespace quant::kv {

inline uint16_t load_u16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t load_u32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint32_t load_u24(const uint8_t* p) { return p[0] | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16; }
inline void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
// fp16 of x, saturated to the largest finite half so a huge value never becomes infinity.
inline uint16_t to_f16_saturated(float x) {
  constexpr float kMax = 65504.0f;
  return fp32_to_fp16(x > kMax ? kMax : (x < -kMax ? -kMax : x));
}

// An fp16 in memory as a float (F16C when compiled in; both conversions are exact).
inline float load_f16(const uint8_t* p) {
#ifdef QUANT_KV_AVX2
  return _cvtsh_ss(load_u16(p));
#else
  return fp16_to_fp32(load_u16(p));
#endif
}

#ifdef QUANT_KV_AVX2
inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
#endif

}  // namespace quant::kv
