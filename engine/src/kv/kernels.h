#pragma once
// The attention kernels every KV type shares. A stored vector is a row of blocks; in block b each element
// decodes as x_j = scale * c_j + shift, where (scale, shift) come from the block's header and c_j from its
// codes. A type describes only that, as a "format" F:
//   std::vector<BlockSpec> blocks;                           // where each block sits
//   template <class Half> Header header(const uint8_t* block) const;  // {scale, shift}; fp16 fields are
//       read with Half::load (simd.h: ScalarHalf for the scalar kernels, F16cHalf for the AVX2 ones)
//   float code(size_t b, const uint8_t* block, int j) const; // c_j of block b (scalar kernels)
//   Groups groups(size_t b) const;                           // AVX2 kernels: an object whose
//       __m256 operator()(const uint8_t* block, int g, int n_groups) const gives c_{8g..8g+7}
//       (both compiled for AVX2: QUANT_AVX2_FN, or defined in a QUANT_AVX2_BEGIN region)
//   static constexpr bool kScale;     // false: the scale is always 1 (value sums read the weights in place)
//   static constexpr bool kShift;     // shift != 0: scores use the query's block sums (after the query)
//   static constexpr bool kOutliers;  // extra exact coordinates, added on top of scale * c_j + shift:
//   template <class Half> int outliers(const uint8_t* block, size_t b, int* idx, float* value) const;
//       (at most kMaxOutliers)
// Scores are sum_blocks scale * <q_b, c_b> (+ shift * sum(q_b)); values are summed in the same way. Codes
// are never turned into a stored vector. Up to 8 query heads share one pass over the key rows (4 over the
// value rows), so each group of codes is decoded once per KV head (8 query heads) rather than per query head.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "simd.h"

namespace quant::kv {

struct BlockSpec {
  int offset = 0;    // first coordinate of the block
  int dim = 0;       // coordinates in the block
  size_t bytes = 0;  // where the block starts in the stored row
};

struct Header {
  float scale = 1, shift = 0;
};

constexpr int kMaxOutliers = 8;

// Queries are `q_stride` floats apart (the codec's prepared size); the block sums of a query, when the
// format has a shift, follow its `dim` coordinates.
struct QueryBatch {
  const float* q;
  int q_stride;
  int dim;
};

template <class F>
void score_scalar(const F& f, QueryBatch qb, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (int h = 0; h < n_q; ++h) {
      const float* q = qb.q + static_cast<size_t>(h) * qb.q_stride;
      float total = 0;
      for (size_t b = 0; b < f.blocks.size(); ++b) {
        const BlockSpec& s = f.blocks[b];
        const uint8_t* block = row + s.bytes;
        const Header hd = f.header(block);
        float dot = 0;
        for (int j = 0; j < s.dim; ++j) dot += q[s.offset + j] * f.code(b, block, j);
        total += hd.scale * dot;
        if constexpr (F::kShift) total += hd.shift * q[qb.dim + b];
        if constexpr (F::kOutliers) {
          int idx[kMaxOutliers];
          float value[kMaxOutliers];
          for (int o = 0, m = f.outliers(block, b, idx, value); o < m; ++o) total += q[s.offset + idx[o]] * value[o];
        }
      }
      out[static_cast<size_t>(h) * n + i] = total;
    }
  }
}

template <class F>
void accumulate_scalar(const F& f, const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc,
                       int dim) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (size_t b = 0; b < f.blocks.size(); ++b) {
      const BlockSpec& s = f.blocks[b];
      const uint8_t* block = row + s.bytes;
      const Header hd = f.header(block);
      for (int h = 0; h < n_q; ++h) {
        const float wi = w[static_cast<size_t>(h) * n + i];
        float* a = acc + static_cast<size_t>(h) * dim + s.offset;
        for (int j = 0; j < s.dim; ++j) a[j] += wi * (hd.scale * f.code(b, block, j) + hd.shift);
        if constexpr (F::kOutliers) {
          int idx[kMaxOutliers];
          float value[kMaxOutliers];
          for (int o = 0, m = f.outliers(block, b, idx, value); o < m; ++o) a[idx[o]] += wi * value[o];
        }
      }
    }
  }
}

#ifdef QUANT_X86_TARGETS
QUANT_AVX2_BEGIN
// One key row against H <= 4 query heads: out[h * n + i]. Outlier coordinates are few and scattered:
// their query values are read from a head-interleaved copy, q4[j * 4 + h], so one 4-wide load serves
// every head.
template <class F, int H>
inline void score_row(const F& f, const float* const* q, int qdim, const float* q4, const uint8_t* row, float* out,
                      int n, int i) {
  __m256 acc[H];
  float extra[H];
  for (int h = 0; h < H; ++h) { acc[h] = _mm256_setzero_ps(); extra[h] = 0; }
  __m128 outlier_sum = _mm_setzero_ps();  // per head, from q4
  for (size_t b = 0; b < f.blocks.size(); ++b) {
    const BlockSpec& s = f.blocks[b];
    const uint8_t* block = row + s.bytes;
    const int n_groups = s.dim / 8;
    const auto group = f.groups(b);
    // Two partial sums per head keep independent FMA chains in flight when few heads share the pass.
    __m256 even[H], odd[H];
    for (int h = 0; h < H; ++h) even[h] = odd[h] = _mm256_setzero_ps();
    int g = 0;
    for (; g + 2 <= n_groups; g += 2) {
      const __m256 c0 = group(block, g, n_groups), c1 = group(block, g + 1, n_groups);
      for (int h = 0; h < H; ++h) {
        even[h] = _mm256_fmadd_ps(c0, _mm256_loadu_ps(q[h] + s.offset + 8 * g), even[h]);
        odd[h] = _mm256_fmadd_ps(c1, _mm256_loadu_ps(q[h] + s.offset + 8 * g + 8), odd[h]);
      }
    }
    if (g < n_groups) {
      const __m256 c0 = group(block, g, n_groups);
      for (int h = 0; h < H; ++h) even[h] = _mm256_fmadd_ps(c0, _mm256_loadu_ps(q[h] + s.offset + 8 * g), even[h]);
    }
    const Header hd = f.template header<F16cHalf>(block);
    const __m256 scale = _mm256_set1_ps(hd.scale);
    for (int h = 0; h < H; ++h) {
      acc[h] = _mm256_fmadd_ps(scale, _mm256_add_ps(even[h], odd[h]), acc[h]);
      if constexpr (F::kShift) extra[h] += hd.shift * q[h][qdim + b];
    }
    if constexpr (F::kOutliers) {
      int idx[kMaxOutliers];
      float value[kMaxOutliers];
      for (int o = 0, m = f.template outliers<F16cHalf>(block, b, idx, value); o < m; ++o)
        outlier_sum = _mm_fmadd_ps(_mm_loadu_ps(&q4[static_cast<size_t>(s.offset + idx[o]) * 4]),
                                   _mm_set1_ps(value[o]), outlier_sum);
    }
  }
  alignas(16) float os[4];
  _mm_store_ps(os, outlier_sum);
  for (int h = 0; h < H; ++h) out[static_cast<size_t>(h) * n + i] = hsum(acc[h]) + extra[h] + os[h];
}

// Transposes 8 vectors in place: v[j] lane i <- v[i] lane j.
inline void transpose8(__m256 v[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 8; i += 4)
    for (int k = 0; k < 2; ++k) {
      u[i + k] = _mm256_shuffle_ps(t[i + k], t[i + k + 2], 0x44);
      u[i + k + 2] = _mm256_shuffle_ps(t[i + k], t[i + k + 2], 0xee);
    }
  // u[c] (rows 0-3) and u[c + 4] (rows 4-7) hold columns col[c] (low 128 bits) and col[c] + 4 (high).
  const int col[4] = {0, 2, 1, 3};
  for (int c = 0; c < 4; ++c) {
    v[col[c]] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x20);
    v[col[c] + 4] = _mm256_permute2f128_ps(u[c], u[c + 4], 0x31);
  }
}

// Head dimension 8 (one block of one group, stories260K): a key costs one decoded vector but score_row
// would spend a horizontal sum per head on it. Eight keys at once are transposed so lane i holds key i,
// and each head's 8 products are added in hsum's order ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7))
// vertically, with score_row's operations otherwise (products, then the block scale, then + 0, which
// turns a -0 into +0 as score_row's additions do): the same bits. Returns the keys done (a multiple of 8).
template <class F, int H>
inline int score_dim8_by_8(const F& f, const float* const* q, const uint8_t* rows, size_t stride, int n, float* out) {
  const auto group = f.groups(0);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 c[8];
    alignas(32) float scale[8];
    for (int k = 0; k < 8; ++k) {
      const uint8_t* block = rows + (i + k) * stride + f.blocks[0].bytes;
      c[k] = group(block, 0, 1);
      scale[k] = f.template header<F16cHalf>(block).scale;
    }
    transpose8(c);  // c[j] lane k: coordinate j of key i + k
    const __m256 s = _mm256_load_ps(scale), zero = _mm256_setzero_ps();
    for (int h = 0; h < H; ++h) {
      __m256 p[8];
      // fma with a zero addend, as score_row: a plain multiply could be contracted into the adds below.
      for (int j = 0; j < 8; ++j)
        p[j] = _mm256_fmadd_ps(s, _mm256_fmadd_ps(c[j], _mm256_broadcast_ss(q[h] + j), zero), zero);
      const __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(p[0], p[4]), _mm256_add_ps(p[2], p[6])),
                                       _mm256_add_ps(_mm256_add_ps(p[1], p[5]), _mm256_add_ps(p[3], p[7])));
      _mm256_storeu_ps(out + static_cast<size_t>(h) * n + i, _mm256_add_ps(sum, zero));
    }
  }
  return i;
}

// Scores of H query heads (H <= 4, or 8 for formats without outliers) against n key rows.
template <class F, int H>
void score_heads(const F& f, QueryBatch qb, const uint8_t* rows, size_t stride, int n, float* out) {
  static_assert(H <= 4 || (H == 8 && !F::kOutliers && !F::kShift), "8 heads: formats without shifts or outliers");
  const float* q[H];
  for (int h = 0; h < H; ++h) q[h] = qb.q + static_cast<size_t>(h) * qb.q_stride;
  thread_local std::vector<float> q4;
  if constexpr (F::kOutliers) {
    q4.assign(static_cast<size_t>(qb.dim) * 4, 0.0f);
    for (int j = 0; j < qb.dim; ++j)
      for (int h = 0; h < H; ++h) q4[static_cast<size_t>(j) * 4 + h] = q[h][j];
  }
  if constexpr (H <= 4) {
    int i = 0;
    if constexpr (!F::kOutliers && !F::kShift)
      if (f.blocks.size() == 1 && f.blocks[0].dim == 8) i = score_dim8_by_8<F, H>(f, q, rows, stride, n, out);
    for (; i < n; ++i) score_row<F, H>(f, q, qb.dim, q4.data(), rows + i * stride, out, n, i);
  } else {
    // Eight heads, one pass: each group's codes are decoded once and feed one running sum per head (8
    // registers, 8 independent FMA chains); the 8 sums of a row are reduced together by a tree of
    // horizontal adds instead of one horizontal sum per head. A single block's scale multiplies the 8
    // sums at the end; with several blocks each group is scaled as it is decoded.
    const bool one_block = f.blocks.size() == 1;
    for (int i = 0; i < n; ++i) {
      const uint8_t* row = rows + i * stride;
      __m256 acc[8];
      for (int h = 0; h < 8; ++h) acc[h] = _mm256_setzero_ps();
      for (size_t b = 0; b < f.blocks.size(); ++b) {
        const BlockSpec& s = f.blocks[b];
        const uint8_t* block = row + s.bytes;
        const int n_groups = s.dim / 8;
        const auto group = f.groups(b);
        const __m256 scale = _mm256_set1_ps(one_block ? 1.0f : f.template header<F16cHalf>(block).scale);
        for (int g = 0; g < n_groups; ++g) {
          const __m256 c = one_block ? group(block, g, n_groups) : _mm256_mul_ps(group(block, g, n_groups), scale);
          for (int h = 0; h < 8; ++h) acc[h] = _mm256_fmadd_ps(c, _mm256_loadu_ps(q[h] + s.offset + 8 * g), acc[h]);
        }
      }
      // hadd(hadd(a0, a1), hadd(a2, a3)) holds the four heads' sums of lanes 0-3 in its low half and of
      // lanes 4-7 in its high half.
      const __m256 lo4 = _mm256_hadd_ps(_mm256_hadd_ps(acc[0], acc[1]), _mm256_hadd_ps(acc[2], acc[3]));
      const __m256 hi4 = _mm256_hadd_ps(_mm256_hadd_ps(acc[4], acc[5]), _mm256_hadd_ps(acc[6], acc[7]));
      alignas(32) float sum[8];
      __m256 total = _mm256_add_ps(_mm256_permute2f128_ps(lo4, hi4, 0x20), _mm256_permute2f128_ps(lo4, hi4, 0x31));
      if (one_block) total = _mm256_mul_ps(total, _mm256_set1_ps(f.template header<F16cHalf>(row + f.blocks[0].bytes).scale));
      _mm256_store_ps(sum, total);
      for (int h = 0; h < 8; ++h) out[static_cast<size_t>(h) * n + i] = sum[h];
    }
  }
}

// Values: keys are taken a tile at a time; for each group of 8 coordinates the H accumulators stay in
// registers while the tile's codes stream past, so nothing is stored per key. A block's shift contributes
// the same amount to each of its coordinates and is added once per tile.
template <class F, int H>
void accumulate_heads(const F& f, const float* w, const uint8_t* rows, size_t stride, int n, float* acc, int dim) {
  constexpr int kTile = 64;
  constexpr int kGroups = H >= 3 ? 2 : 4;  // groups per pass: enough independent FMA chains either way
  alignas(32) float ws[H][kTile];
  // Outlier residuals go to a head-interleaved accumulator, acc4[j * 4 + h], added to acc at the end.
  thread_local std::vector<float> acc4;
  if constexpr (F::kOutliers) acc4.assign(static_cast<size_t>(dim) * 4, 0.0f);
  for (int t0 = 0; t0 < n; t0 += kTile) {
    const int m = std::min(kTile, n - t0);
    const uint8_t* tile = rows + t0 * stride;
    for (size_t b = 0; b < f.blocks.size(); ++b) {
      const BlockSpec& s = f.blocks[b];
      float shift_sum[H] = {};
      // Each key's weight times its block's scale, per head; a format without scales reads the weights in
      // place (copying them cost a few percent in a generic x86-64 build, where GCC copies with rep movs).
      const float* wk_of[H];
      for (int h = 0; h < H; ++h) wk_of[h] = F::kScale ? ws[h] : w + static_cast<size_t>(h) * n + t0;
      if constexpr (F::kScale || F::kShift)
        for (int k = 0; k < m; ++k) {
          const Header hd = f.template header<F16cHalf>(tile + k * stride + s.bytes);
          for (int h = 0; h < H; ++h) {
            const float wk = w[static_cast<size_t>(h) * n + t0 + k];
            ws[h][k] = wk * hd.scale;
            if constexpr (F::kShift) shift_sum[h] += wk * hd.shift;
          }
        }
      const int n_groups = s.dim / 8;
      const auto group = f.groups(b);
      const uint8_t* first = tile + s.bytes;
      int g = 0;
      auto pass = [&](auto width) {
        constexpr int G = decltype(width)::value;
        __m256 a[H][G];
        for (int h = 0; h < H; ++h)
          for (int j = 0; j < G; ++j) a[h][j] = _mm256_loadu_ps(acc + static_cast<size_t>(h) * dim + s.offset + 8 * (g + j));
        for (int k = 0; k < m; ++k) {
          const uint8_t* block = first + k * stride;
          __m256 c[G];
          for (int j = 0; j < G; ++j) c[j] = group(block, g + j, n_groups);
          for (int h = 0; h < H; ++h) {
            const __m256 wk = _mm256_broadcast_ss(&wk_of[h][k]);
            for (int j = 0; j < G; ++j) a[h][j] = _mm256_fmadd_ps(wk, c[j], a[h][j]);
          }
        }
        for (int h = 0; h < H; ++h)
          for (int j = 0; j < G; ++j) _mm256_storeu_ps(acc + static_cast<size_t>(h) * dim + s.offset + 8 * (g + j), a[h][j]);
        g += G;
      };
      while (g + kGroups <= n_groups) pass(std::integral_constant<int, kGroups>{});
      while (g < n_groups) pass(std::integral_constant<int, 1>{});
      for (int h = 0; h < H; ++h) {
        float* a = acc + static_cast<size_t>(h) * dim + s.offset;
        if constexpr (F::kShift) {
          const __m256 sh = _mm256_set1_ps(shift_sum[h]);
          for (int j = 0; j < s.dim; j += 8) _mm256_storeu_ps(a + j, _mm256_add_ps(_mm256_loadu_ps(a + j), sh));
        }
      }
      if constexpr (F::kOutliers)
        for (int k = 0; k < m; ++k) {
          alignas(16) float wk[4] = {};
          for (int h = 0; h < H; ++h) wk[h] = w[static_cast<size_t>(h) * n + t0 + k];
          const __m128 w4 = _mm_load_ps(wk);
          int idx[kMaxOutliers];
          float value[kMaxOutliers];
          for (int o = 0, n_out = f.template outliers<F16cHalf>(first + k * stride, b, idx, value); o < n_out; ++o) {
            float* a4 = &acc4[static_cast<size_t>(s.offset + idx[o]) * 4];
            _mm_storeu_ps(a4, _mm_fmadd_ps(w4, _mm_set1_ps(value[o]), _mm_loadu_ps(a4)));
          }
        }
    }
  }
  if constexpr (F::kOutliers)
    for (int j = 0; j < dim; ++j)
      for (int h = 0; h < H; ++h) acc[static_cast<size_t>(h) * dim + j] += acc4[static_cast<size_t>(j) * 4 + h];
}

template <class F>
constexpr bool kEightHeadScores = !F::kOutliers && !F::kShift;
// Score passes take 8 heads where the format allows (a KV head shared by 8 query heads, as in TinyLlama,
// is read and decoded once), else up to 4. Value sums stay at 4 heads: 8 broadcasts per decoded group
// cost more than decoding twice. Measurements: docs/kv-cache.md, "Speed".
template <class F>
void score_avx2(const F& f, QueryBatch qb, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int h0 = 0, hn = 0; h0 < n_q; h0 += hn) {
    QueryBatch part = qb;
    part.q = qb.q + static_cast<size_t>(h0) * qb.q_stride;
    float* o = out + static_cast<size_t>(h0) * n;
    hn = kEightHeadScores<F> && n_q - h0 >= 8 ? 8 : std::min(4, n_q - h0);
    if (hn == 8) {
      if constexpr (kEightHeadScores<F>) score_heads<F, 8>(f, part, rows, stride, n, o);
      continue;
    }
    switch (hn) {
      case 4: score_heads<F, 4>(f, part, rows, stride, n, o); break;
      case 3: score_heads<F, 3>(f, part, rows, stride, n, o); break;
      case 2: score_heads<F, 2>(f, part, rows, stride, n, o); break;
      default: score_heads<F, 1>(f, part, rows, stride, n, o);
    }
  }
}

template <class F>
void accumulate_avx2(const F& f, const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc, int dim) {
  for (int h0 = 0; h0 < n_q; h0 += 4) {
    const float* wp = w + static_cast<size_t>(h0) * n;
    float* a = acc + static_cast<size_t>(h0) * dim;
    switch (std::min(4, n_q - h0)) {
      case 4: accumulate_heads<F, 4>(f, wp, rows, stride, n, a, dim); break;
      case 3: accumulate_heads<F, 3>(f, wp, rows, stride, n, a, dim); break;
      case 2: accumulate_heads<F, 2>(f, wp, rows, stride, n, a, dim); break;
      default: accumulate_heads<F, 1>(f, wp, rows, stride, n, a, dim);
    }
  }
}
QUANT_AVX2_END
#endif

// Picks the kernel: AVX2 when asked for (the codec checked that the CPU has it) and every block is a whole number of 8-element groups.
template <class F>
void score_rows(const F& f, bool simd, QueryBatch qb, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
#ifdef QUANT_X86_TARGETS
  if (simd) return score_avx2(f, qb, n_q, rows, stride, n, out);
#endif
  score_scalar(f, qb, n_q, rows, stride, n, out);
}

template <class F>
void accumulate_rows(const F& f, bool simd, const float* w, int n_q, const uint8_t* rows, size_t stride, int n,
                     float* acc, int dim) {
#ifdef QUANT_X86_TARGETS
  if (simd) return accumulate_avx2(f, w, n_q, rows, stride, n, acc, dim);
#endif
  accumulate_scalar(f, w, n_q, rows, stride, n, acc, dim);
}

inline bool groups_of_8(const std::vector<BlockSpec>& blocks) {
  return std::all_of(blocks.begin(), blocks.end(), [](const BlockSpec& s) { return s.dim % 8 == 0; });
}

}  // namespace quant::kv
