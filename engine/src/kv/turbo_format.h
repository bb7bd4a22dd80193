#pragma once
// The stored layout of a TurboQuant vector and the kernels that read it.
//
// A head vector is cut into blocks of at most 128 coordinates; each block is stored as
//   fp16 norm | codes | (turbo_kv_4bo only) n_outliers index bytes | n_outliers fp16 residuals
// Codes are sign-magnitude: code = sign << (bits - 1) | m, value = +-level[m] (the m-th positive
// Lloyd-Max level, ascending). They are packed per group of 8 coordinates, tightly (bits bytes a group):
//   3 bits: 3 bytes, code k at bits 3k..3k+2 (little endian)
//   4 bits: 4 bytes, code k at bits 4k..4k+3
//   5 bits: 4 bytes with the low 4 bits of code k at bits 4k..4k+3, then 1 byte with its sign at bit k
// A block's rotated, quantised coordinates are norm * value(code), plus a residual at each outlier index
// (the exact coordinate minus that, in fp16). Scores and value sums work on these rotated coordinates.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace quant::kv {

// Per block: the value of each code on the unit sphere and the outlier count.
struct TurboTable {
  float value[32] = {};  // 2^bits used
  int n_outliers = 0;
};

inline size_t turbo_codes_bytes(int dim, int bits) { return static_cast<size_t>(dim) / 8 * bits; }
inline size_t turbo_block_bytes(int dim, int bits, int n_outliers) {
  return 2 + turbo_codes_bytes(dim, bits) + 3 * static_cast<size_t>(n_outliers);
}

// Code of coordinate j (within a block's codes) and its inverse.
inline int turbo_get_code(const uint8_t* codes, int j, int bits) {
  const uint8_t* g = codes + (j / 8) * bits;
  const int k = j % 8;
  switch (bits) {
    case 3: return ((g[0] | g[1] << 8 | g[2] << 16) >> (3 * k)) & 7;
    case 4: return (g[k / 2] >> (4 * (k & 1))) & 15;
    default: return ((g[k / 2] >> (4 * (k & 1))) & 15) | ((g[4] >> k) & 1) << 4;
  }
}
inline void turbo_set_code(uint8_t* codes, int j, int bits, int code) {
  uint8_t* g = codes + (j / 8) * bits;
  const int k = j % 8;
  switch (bits) {
    case 3: {
      uint32_t w = g[0] | g[1] << 8 | g[2] << 16;
      w = (w & ~(7u << (3 * k))) | static_cast<uint32_t>(code) << (3 * k);
      g[0] = static_cast<uint8_t>(w);
      g[1] = static_cast<uint8_t>(w >> 8);
      g[2] = static_cast<uint8_t>(w >> 16);
      break;
    }
    case 4: g[k / 2] = static_cast<uint8_t>((g[k / 2] & ~(15 << (4 * (k & 1)))) | code << (4 * (k & 1))); break;
    default:
      g[k / 2] = static_cast<uint8_t>((g[k / 2] & ~(15 << (4 * (k & 1)))) | (code & 15) << (4 * (k & 1)));
      g[4] = static_cast<uint8_t>((g[4] & ~(1 << k)) | (code >> 4) << k);
  }
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
// Values of the 8 codes of group g, as 8 floats. vpermps indexes with the low 3 bits of each lane, so a
// lane only needs its code shifted down; the sign bit is moved to bit 31 separately and xor-ed in.
template <int kBits>
struct TurboGroups;

template <>
struct TurboGroups<3> {
  __m256 table;  // all 8 code values
  explicit TurboGroups(const TurboTable& t) : table(_mm256_loadu_ps(t.value)) {}
  __m256 operator()(const uint8_t* block, int g, int n_groups) const {
    const uint8_t* codes = block + 2;
    // 4-byte loads, except for the last group, whose fourth byte may lie beyond the vector.
    const uint32_t w = g + 1 < n_groups ? load_u32(codes + 3 * g) : load_u24(codes + 3 * g);
    const __m256i down = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
    return _mm256_permutevar8x32_ps(table, _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(w)), down));
  }
};

template <>
struct TurboGroups<4> {
  __m256 magnitude;  // values of codes 0..7 (the positive levels)
  explicit TurboGroups(const TurboTable& t) : magnitude(_mm256_loadu_ps(t.value)) {}
  __m256 operator()(const uint8_t* block, int g, int) const {
    const __m256i down = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i sign_up = _mm256_setr_epi32(28, 24, 20, 16, 12, 8, 4, 0);
    const __m256i w = _mm256_set1_epi32(static_cast<int>(load_u32(block + 2 + 4 * g)));
    const __m256 mag = _mm256_permutevar8x32_ps(magnitude, _mm256_srlv_epi32(w, down));
    const __m256i sign = _mm256_and_si256(_mm256_sllv_epi32(w, sign_up), _mm256_set1_epi32(INT32_MIN));
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
};

template <>
struct TurboGroups<5> {
  __m256 low_half, high_half;  // positive levels 0..7 and 8..15
  explicit TurboGroups(const TurboTable& t) : low_half(_mm256_loadu_ps(t.value)), high_half(_mm256_loadu_ps(t.value + 8)) {}
  __m256 operator()(const uint8_t* block, int g, int) const {
    const __m256i down = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i bit3_up = _mm256_setr_epi32(28, 24, 20, 16, 12, 8, 4, 0);
    const __m256i sign_up = _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24);
    const uint8_t* p = block + 2 + 5 * g;
    const __m256i w = _mm256_set1_epi32(static_cast<int>(load_u32(p)));
    const __m256i idx = _mm256_srlv_epi32(w, down);
    const __m256 mag = _mm256_blendv_ps(_mm256_permutevar8x32_ps(low_half, idx), _mm256_permutevar8x32_ps(high_half, idx),
                                        _mm256_castsi256_ps(_mm256_sllv_epi32(w, bit3_up)));
    const __m256i sign = _mm256_and_si256(_mm256_sllv_epi32(_mm256_set1_epi32(p[4]), sign_up), _mm256_set1_epi32(INT32_MIN));
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
};
QUANT_AVX2_END
#endif

// The kernels' view of a TurboQuant row (see kernels.h): scale = the block's norm, c_j = value(code_j),
// plus the outliers' residuals.
template <int kBits, bool kWithOutliers>
struct TurboFormat {
  static constexpr bool kScale = true, kShift = false, kOutliers = kWithOutliers;
  std::vector<BlockSpec> blocks;
  std::vector<TurboTable> tables;  // per block

  template <class Half = ScalarHalf>
  Header header(const uint8_t* block) const { return {Half::load(block), 0}; }
  float code(size_t b, const uint8_t* block, int j) const { return tables[b].value[turbo_get_code(block + 2, j, kBits)]; }
  // Outliers: n index bytes, then n fp16 residuals, after the codes. Fills idx/value, returns n.
  template <class Half = ScalarHalf>
  int outliers(const uint8_t* block, size_t b, int* idx, float* value) const {
    const int n = tables[b].n_outliers;
    const uint8_t* p = block + 2 + turbo_codes_bytes(blocks[b].dim, kBits);
    for (int o = 0; o < n; ++o) {
      idx[o] = p[o];
      value[o] = Half::load(p + n + 2 * o);
    }
    return n;
  }
#ifdef QUANT_X86_TARGETS
  QUANT_AVX2_FN TurboGroups<kBits> groups(size_t b) const { return TurboGroups<kBits>(tables[b]); }
#endif
};

}  // namespace quant::kv
