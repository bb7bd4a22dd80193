// Scores and value sums straight from TurboQuant codes: the query is already rotated, so a block
// contributes norm * sum_j q_j * value(code_j), plus q at each outlier times its residual. Nothing is
// decoded to a vector; the AVX2 kernels look the 8 (or 16) code values up inside registers.
#include "simd.h"
#include "turbo_format.h"

namespace quant::kv {

void turbo_score_ref(const TurboLayout& l, const float* q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    float total = 0;
    for (const TurboBlock& b : l.blocks) {
      const uint8_t* codes = row + b.bytes + 2;
      const float* qb = q + b.offset;
      float s = 0;
      for (int j = 0; j < b.dim; ++j) s += qb[j] * b.value[turbo_get_code(codes, j, l.bits)];
      total += load_f16(row + b.bytes) * s;
      const uint8_t* idx = codes + b.codes_bytes(l.bits);
      for (int o = 0; o < b.n_outliers; ++o) total += qb[idx[o]] * load_f16(idx + b.n_outliers + 2 * o);
    }
    out[i] = total;
  }
}

void turbo_accumulate_ref(const TurboLayout& l, const float* w, const uint8_t* rows, size_t stride, int n, float* acc) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (const TurboBlock& b : l.blocks) {
      const uint8_t* codes = row + b.bytes + 2;
      float* ab = acc + b.offset;
      const float wn = w[i] * load_f16(row + b.bytes);
      for (int j = 0; j < b.dim; ++j) ab[j] += wn * b.value[turbo_get_code(codes, j, l.bits)];
      const uint8_t* idx = codes + b.codes_bytes(l.bits);
      for (int o = 0; o < b.n_outliers; ++o) ab[idx[o]] += w[i] * load_f16(idx + b.n_outliers + 2 * o);
    }
  }
}

#ifdef QUANT_KV_AVX2
namespace {

inline __m256i broadcast(uint32_t w) { return _mm256_set1_epi32(static_cast<int>(w)); }

// Values of the 8 codes of group g, as 8 floats. vpermps indexes with the low 3 bits of each lane, so a
// lane only needs its code shifted down; the sign bit is moved to bit 31 separately and xor-ed in.
template <int kBits>
struct GroupValues;

template <>
struct GroupValues<3> {
  __m256 table;
  const __m256i down = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
  explicit GroupValues(const TurboBlock& b) : table(_mm256_loadu_ps(b.value)) {}
  __m256 operator()(const uint8_t* codes, int g, int n_groups) const {
    // 4-byte loads, except for the last group, whose fourth byte may lie beyond the vector.
    const uint32_t w = g + 1 < n_groups ? load_u32(codes + 3 * g) : load_u24(codes + 3 * g);
    return _mm256_permutevar8x32_ps(table, _mm256_srlv_epi32(broadcast(w), down));
  }
};

template <>
struct GroupValues<4> {
  __m256 magnitude;
  const __m256i down = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  const __m256i sign_up = _mm256_setr_epi32(28, 24, 20, 16, 12, 8, 4, 0);
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  explicit GroupValues(const TurboBlock& b) : magnitude(_mm256_loadu_ps(b.value)) {}
  __m256 operator()(const uint8_t* codes, int g, int) const {
    const __m256i w = broadcast(load_u32(codes + 4 * g));
    const __m256 mag = _mm256_permutevar8x32_ps(magnitude, _mm256_srlv_epi32(w, down));
    const __m256i sign = _mm256_and_si256(_mm256_sllv_epi32(w, sign_up), sign_bit);
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
};

template <>
struct GroupValues<5> {
  __m256 low_half, high_half;  // magnitudes 0..7 and 8..15
  const __m256i down = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  const __m256i bit3_up = _mm256_setr_epi32(28, 24, 20, 16, 12, 8, 4, 0);
  const __m256i sign_up = _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24);
  const __m256i sign_bit = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  explicit GroupValues(const TurboBlock& b) : low_half(_mm256_loadu_ps(b.value)), high_half(_mm256_loadu_ps(b.value + 8)) {}
  __m256 operator()(const uint8_t* codes, int g, int) const {
    const uint8_t* p = codes + 5 * g;
    const __m256i w = broadcast(load_u32(p));
    const __m256i idx = _mm256_srlv_epi32(w, down);
    const __m256 mag = _mm256_blendv_ps(_mm256_permutevar8x32_ps(low_half, idx), _mm256_permutevar8x32_ps(high_half, idx),
                                        _mm256_castsi256_ps(_mm256_sllv_epi32(w, bit3_up)));
    const __m256i sign = _mm256_and_si256(_mm256_sllv_epi32(broadcast(p[4]), sign_up), sign_bit);
    return _mm256_xor_ps(mag, _mm256_castsi256_ps(sign));
  }
};

template <int kBits>
void score_rows(const TurboLayout& l, const float* q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    __m256 acc = _mm256_setzero_ps();
    float extra = 0;
    for (const TurboBlock& b : l.blocks) {
      const GroupValues<kBits> values(b);
      const uint8_t* codes = row + b.bytes + 2;
      const float* qb = q + b.offset;
      const int n_groups = b.dim / 8;
      __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
      int g = 0;
      for (; g + 2 <= n_groups; g += 2) {  // two chains hide the FMA latency
        s0 = _mm256_fmadd_ps(values(codes, g, n_groups), _mm256_loadu_ps(qb + 8 * g), s0);
        s1 = _mm256_fmadd_ps(values(codes, g + 1, n_groups), _mm256_loadu_ps(qb + 8 * g + 8), s1);
      }
      if (g < n_groups) s0 = _mm256_fmadd_ps(values(codes, g, n_groups), _mm256_loadu_ps(qb + 8 * g), s0);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(load_f16_fast(row + b.bytes)), _mm256_add_ps(s0, s1), acc);
      const uint8_t* idx = codes + b.codes_bytes(kBits);
      for (int o = 0; o < b.n_outliers; ++o) extra += qb[idx[o]] * load_f16_fast(idx + b.n_outliers + 2 * o);
    }
    out[i] = hsum(acc) + extra;
  }
}

template <int kBits>
void accumulate_rows(const TurboLayout& l, const float* w, const uint8_t* rows, size_t stride, int n, float* acc) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (const TurboBlock& b : l.blocks) {
      const GroupValues<kBits> values(b);
      const uint8_t* codes = row + b.bytes + 2;
      float* ab = acc + b.offset;
      const int n_groups = b.dim / 8;
      const __m256 wn = _mm256_set1_ps(w[i] * load_f16_fast(row + b.bytes));
      for (int g = 0; g < n_groups; ++g)
        _mm256_storeu_ps(ab + 8 * g, _mm256_fmadd_ps(wn, values(codes, g, n_groups), _mm256_loadu_ps(ab + 8 * g)));
      const uint8_t* idx = codes + b.codes_bytes(kBits);
      for (int o = 0; o < b.n_outliers; ++o) ab[idx[o]] += w[i] * load_f16_fast(idx + b.n_outliers + 2 * o);
    }
  }
}

}  // namespace

void turbo_score_avx2(const TurboLayout& l, const float* q, const uint8_t* rows, size_t stride, int n, float* out) {
  switch (l.bits) {
    case 3: return score_rows<3>(l, q, rows, stride, n, out);
    case 4: return score_rows<4>(l, q, rows, stride, n, out);
    default: return score_rows<5>(l, q, rows, stride, n, out);
  }
}

void turbo_accumulate_avx2(const TurboLayout& l, const float* w, const uint8_t* rows, size_t stride, int n, float* acc) {
  switch (l.bits) {
    case 3: return accumulate_rows<3>(l, w, rows, stride, n, acc);
    case 4: return accumulate_rows<4>(l, w, rows, stride, n, acc);
    default: return accumulate_rows<5>(l, w, rows, stride, n, acc);
  }
}
#endif

}  // namespace quant::kv
