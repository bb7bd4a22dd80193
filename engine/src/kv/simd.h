#pragma once
// SIMD helpers for the KV kernels. The AVX2 kernels are compiled into every x86-64 build in target regions
// (util/x86_target.h) and chosen at run time, the way the matmul kernel sets are.
#include <cstdint>
#include <cstring>

#include "util/x86_target.h"
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

// An fp16 in memory as a float (F16C when the build targets it; both conversions are exact).
inline float load_f16(const uint8_t* p) {
#ifdef __F16C__
  return _cvtsh_ss(load_u16(p));
#else
  return fp16_to_fp32(load_u16(p));
#endif
}

// How a format reads the fp16 fields of its blocks (scales, residuals), as a template argument of its
// header() and outliers(): the scalar kernels read them through load_f16, which is a software conversion
// in a build without F16C (a portable one); the AVX2 kernels pass F16cHalf, so their scales cost one
// instruction in every build. Both conversions are exact: the same bits.
struct ScalarHalf {
  static float load(const uint8_t* p) { return load_f16(p); }
};

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
// load_f16 for code in an AVX2 region.
inline float load_f16_x86(const uint8_t* p) { return _cvtsh_ss(load_u16(p)); }

struct F16cHalf {
  static float load(const uint8_t* p) { return load_f16_x86(p); }
};

inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}
QUANT_AVX2_END
#endif

}  // namespace quant::kv
