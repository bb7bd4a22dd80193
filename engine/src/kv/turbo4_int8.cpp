#include "turbo4_int8.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "turbo_format.h"

namespace quant::kv {

Turbo4Levels turbo4_grid(const double* positive_levels) {
  Turbo4Levels g;
  g.step = static_cast<float>(positive_levels[7] / 127);
  for (int m = 0; m < 8; ++m) {
    const long k = std::lround(positive_levels[m] / g.step);
    g.level[m] = static_cast<int8_t>(std::clamp(k, 1L, 127L));  // a level never rounds to zero: signs stay
    g.level[8 + m] = static_cast<int8_t>(-g.level[m]);
  }
  return g;
}

int turbo4_query_position(int dim, int j) {
  const int whole64 = dim / 64 * 64;
  const int chunk = j < whole64 ? j / 64 * 64 : whole64, half = j < whole64 ? 32 : 16, r = j - chunk;
  return chunk + (r % 2) * half + r / 2;
}

int turbo4_prepared_floats(const std::vector<BlockSpec>& blocks, int dim) {
  return static_cast<int>(blocks.size()) + dim / 4;  // dim is a multiple of 32
}

void turbo4_prepare_query(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                          const float* rotated, float* prepared) {
  int8_t* q8 = reinterpret_cast<int8_t*>(prepared + blocks.size());
  for (size_t b = 0; b < blocks.size(); ++b) {
    const BlockSpec& s = blocks[b];
    const float* x = rotated + s.offset;
    float amax = 0;
    for (int j = 0; j < s.dim; ++j) amax = std::max(amax, std::fabs(x[j]));
    const bool usable = amax > 0 && std::isfinite(amax);
    const float inv = usable ? 127 / amax : 0;
    for (int j = 0; j < s.dim; ++j) {
      const float v = std::clamp(std::nearbyint(x[j] * inv), -127.0f, 127.0f);
      q8[s.offset + turbo4_query_position(s.dim, j)] = static_cast<int8_t>(v);
    }
    // A query that is not finite keeps its NaN/infinity in the scores rather than hiding it.
    prepared[b] = usable ? levels[b].step * (amax / 127) : (amax == 0 ? 0.0f : std::numeric_limits<float>::quiet_NaN());
  }
}

namespace {

void scores_scalar(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                   const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    for (int h = 0; h < n_q; ++h) {
      const float* factor = prepared + static_cast<size_t>(h) * q_stride;
      const int8_t* q8 = reinterpret_cast<const int8_t*>(factor + blocks.size());
      float total = 0;
      for (size_t b = 0; b < blocks.size(); ++b) {
        const BlockSpec& s = blocks[b];
        const uint8_t* block = row + s.bytes;
        int32_t isum = 0;
        for (int j = 0; j < s.dim; ++j)
          isum += q8[s.offset + turbo4_query_position(s.dim, j)] * levels[b].level[turbo_get_code(block + 2, j, 4)];
        total = std::fma(static_cast<float>(isum) * factor[b], load_f16(block), total);
      }
      out[static_cast<size_t>(h) * n + i] = total;
    }
  }
}

#ifdef QUANT_KV_AVX2
// The int8 values of H prepared queries; their per-block factors gathered into factors[block * 8 + h].
template <int H>
std::array<const int8_t*, H> gather_queries(const float* prepared, int q_stride, size_t nb, std::vector<float>& factors) {
  std::array<const int8_t*, H> q8;
  factors.assign(nb * 8, 0.0f);
  for (int h = 0; h < H; ++h) {
    const float* p = prepared + static_cast<size_t>(h) * q_stride;
    q8[h] = reinterpret_cast<const int8_t*>(p + nb);
    for (size_t b = 0; b < nb; ++b) factors[b * 8 + h] = p[b];
  }
  return q8;
}

// A block's 16 signed levels in both 128-bit halves (for byte shuffles).
inline __m256i level_table(const Turbo4Levels& levels) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(levels.level)));
}

// Every row's scores for H heads: block_sums(b, codes) gives block b's integer sums (lane h: head h), each
// scaled by step * q_step_h * norm and added up over the blocks, in the scalar kernel's order.
template <int H, class BlockSums>
inline void for_each_row(const std::vector<BlockSpec>& blocks, const std::vector<float>& factors, const uint8_t* rows,
                         size_t stride, int n, float* out, BlockSums block_sums) {
  for (int i = 0; i < n; ++i) {
    const uint8_t* row = rows + i * stride;
    __m256 total = _mm256_setzero_ps();
    for (size_t b = 0; b < blocks.size(); ++b) {
      const uint8_t* block = row + blocks[b].bytes;
      const __m256i isum = block_sums(b, block + 2);
      total = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(isum), _mm256_loadu_ps(&factors[b * 8])),
                              _mm256_set1_ps(load_f16(block)), total);
    }
    alignas(32) float sum[8];
    _mm256_store_ps(sum, total);
    for (int h = 0; h < H; ++h) out[static_cast<size_t>(h) * n + i] = sum[h];
  }
}

// sum_k |c_k| * (q_k signed like c_k) = sum_k c_k q_k, 32 byte pairs at a time: |c|, |q| <= 127, so a
// pair of products never saturates the 16-bit sums; madd widens them to 32 bits.
inline __m256i dot_add(__m256i acc, __m256i c, __m256i q) {
  return _mm256_add_epi32(
      acc, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(c), _mm256_sign_epi8(q, c)), _mm256_set1_epi16(1)));
}
inline __m128i dot_add(__m128i acc, __m128i c, __m128i q) {
  return _mm_add_epi32(acc, _mm_madd_epi16(_mm_maddubs_epi16(_mm_abs_epi8(c), _mm_sign_epi8(q, c)), _mm_set1_epi16(1)));
}

// H <= 8 heads, one pass over the rows: each 64-coordinate chunk's codes become signed levels with two
// byte shuffles (low nibbles: even coordinates, high nibbles: odd ones) and feed every head.
template <int H>
void scores_avx2(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                 const float* prepared, int q_stride, const uint8_t* rows, size_t stride, int n, float* out) {
  const size_t nb = blocks.size();
  thread_local std::vector<float> factors;
  const auto q8 = gather_queries<H>(prepared, q_stride, nb, factors);
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  for_each_row<H>(blocks, factors, rows, stride, n, out, [&](size_t b, const uint8_t* codes) {
    const BlockSpec& s = blocks[b];
    const __m256i table = level_table(levels[b]);
    __m256i acc[8];
    for (int h = 0; h < 8; ++h) acc[h] = _mm256_setzero_si256();
    int j = 0;
    for (; j + 64 <= s.dim; j += 64) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + j / 2));
      const __m256i even = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble));
      const __m256i odd = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
      for (int h = 0; h < H; ++h) {
        const int8_t* q = q8[h] + s.offset + j;
        const __m256i qe = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
        const __m256i qo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32));
        acc[h] = dot_add(dot_add(acc[h], even, qe), odd, qo);
      }
    }
    if (j < s.dim) {  // a last 32 coordinates
      const __m128i table16 = _mm256_castsi256_si128(table), nib = _mm_set1_epi8(0x0f);
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + j / 2));
      const __m128i even = _mm_shuffle_epi8(table16, _mm_and_si128(v, nib));
      const __m128i odd = _mm_shuffle_epi8(table16, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
      for (int h = 0; h < H; ++h) {
        const int8_t* q = q8[h] + s.offset + j;
        const __m128i qe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
        const __m128i qo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16));
        acc[h] = _mm256_add_epi32(acc[h], _mm256_zextsi128_si256(dot_add(dot_add(_mm_setzero_si128(), even, qe), odd, qo)));
      }
    }
    // hadd(hadd(a0, a1), hadd(a2, a3)) holds heads 0-3's sums of lanes 0-3 in its low half and of lanes
    // 4-7 in its high half; lane h of the result holds head h's whole sum.
    const __m256i lo4 = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[0], acc[1]), _mm256_hadd_epi32(acc[2], acc[3]));
    const __m256i hi4 = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[4], acc[5]), _mm256_hadd_epi32(acc[6], acc[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(lo4, hi4, 0x20), _mm256_permute2x128_si256(lo4, hi4, 0x31));
  });
}
#endif

#ifdef QUANT_KV_VNNI
inline __m256i dpbusd(__m256i acc, __m256i u, __m256i q) {
#ifdef __AVXVNNI__
  return _mm256_dpbusd_avx_epi32(acc, u, q);
#else
  return _mm256_dpbusd_epi32(acc, u, q);
#endif
}

// VNNI: no per-row reduction. Lane h of the accumulators belongs to head h: each 4-byte group of decoded
// levels is broadcast across the lanes and meets a vector holding every head's 4 query bytes for that
// group. vpshufd broadcasts within 128-bit halves, so a 32-byte unit (groups G0..G7) is fed as
// pshufd(V, k) (heads 0-3 get G_k, heads 4-7 G_k+4) and pshufd(swapped halves, k) (the reverse), k < 4.
// Levels are shuffled in offset by 128 (dpbusd multiplies unsigned by signed bytes); the scores take
// 128 * sum(q) back off. A unit is 32 consecutive bytes of the prepared query: the even or odd half of
// a 64-coordinate chunk, or a whole 32-coordinate chunk.
template <int H>
void scores_vnni(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                 const float* prepared, int q_stride, const uint8_t* rows, size_t stride, int n, float* out) {
  const size_t nb = blocks.size();
  thread_local std::vector<int8_t> interleaved;  // per unit: 8 vectors of 8 heads x 4 bytes
  thread_local std::vector<float> factors;
  thread_local std::vector<int32_t> offsets;     // [block][8 heads]
  thread_local std::vector<int> first_unit;      // per block
  first_unit.assign(nb + 1, 0);
  for (size_t b = 0; b < nb; ++b) first_unit[b + 1] = first_unit[b] + blocks[b].dim / 32;
  interleaved.assign(static_cast<size_t>(first_unit[nb]) * 256, 0);
  offsets.assign(nb * 8, 0);
  const auto q8 = gather_queries<H>(prepared, q_stride, nb, factors);
  for (int h = 0; h < H; ++h) {
    for (size_t b = 0; b < nb; ++b) {
      const BlockSpec& s = blocks[b];
      for (int u = 0; u < s.dim / 32; ++u) {
        const int8_t* src = q8[h] + s.offset + 32 * u;
        int8_t* dst = &interleaved[static_cast<size_t>(first_unit[b] + u) * 256 + 4 * h];
        for (int k = 0; k < 4; ++k) {
          const int straight = h < 4 ? k : 4 + k, swapped = h < 4 ? 4 + k : k;
          std::copy_n(src + 4 * straight, 4, dst + 32 * k);
          std::copy_n(src + 4 * swapped, 4, dst + 32 * (4 + k));
        }
        for (int j = 0; j < 32; ++j) offsets[b * 8 + h] += 128 * src[j];
      }
    }
  }
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  for_each_row<H>(blocks, factors, rows, stride, n, out, [&](size_t b, const uint8_t* codes) {
    const BlockSpec& s = blocks[b];
    const __m256i table = _mm256_add_epi8(level_table(levels[b]), _mm256_set1_epi8(-128));
    const int8_t* qi = &interleaved[static_cast<size_t>(first_unit[b]) * 256];
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    auto unit = [&](__m256i v) {
      const __m256i w = _mm256_permute2x128_si256(v, v, 1);
      auto q = [&](int k) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qi + 32 * k)); };
      acc0 = dpbusd(acc0, _mm256_shuffle_epi32(v, 0x00), q(0));
      acc1 = dpbusd(acc1, _mm256_shuffle_epi32(v, 0x55), q(1));
      acc2 = dpbusd(acc2, _mm256_shuffle_epi32(v, 0xaa), q(2));
      acc3 = dpbusd(acc3, _mm256_shuffle_epi32(v, 0xff), q(3));
      acc0 = dpbusd(acc0, _mm256_shuffle_epi32(w, 0x00), q(4));
      acc1 = dpbusd(acc1, _mm256_shuffle_epi32(w, 0x55), q(5));
      acc2 = dpbusd(acc2, _mm256_shuffle_epi32(w, 0xaa), q(6));
      acc3 = dpbusd(acc3, _mm256_shuffle_epi32(w, 0xff), q(7));
      qi += 256;
    };
    int j = 0;
    for (; j + 64 <= s.dim; j += 64) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + j / 2));
      unit(_mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble)));
      unit(_mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
    }
    if (j < s.dim) {  // a last 32 coordinates: 16 code bytes, their low then their high nibbles, one unit
      const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + j / 2)));
      const __m256i halves = _mm256_blend_epi32(v, _mm256_srli_epi16(v, 4), 0xf0);
      unit(_mm256_shuffle_epi8(table, _mm256_and_si256(halves, nibble)));
    }
    return _mm256_sub_epi32(_mm256_add_epi32(_mm256_add_epi32(acc0, acc1), _mm256_add_epi32(acc2, acc3)),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&offsets[b * 8])));
  });
}
#endif

// Up to 8 heads per pass.
template <template <int> class Kernel>
void by_eight_heads(const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                    const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  for (int h0 = 0; h0 < n_q; h0 += 8) {
    const float* p = prepared + static_cast<size_t>(h0) * q_stride;
    float* o = out + static_cast<size_t>(h0) * n;
    switch (std::min(8, n_q - h0)) {
      case 8: Kernel<8>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 7: Kernel<7>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 6: Kernel<6>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 5: Kernel<5>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 4: Kernel<4>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 3: Kernel<3>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      case 2: Kernel<2>::run(blocks, levels, p, q_stride, rows, stride, n, o); break;
      default: Kernel<1>::run(blocks, levels, p, q_stride, rows, stride, n, o);
    }
  }
}
#ifdef QUANT_KV_AVX2
template <int H>
struct Avx2 {
  static constexpr auto run = scores_avx2<H>;
};
#endif
#ifdef QUANT_KV_VNNI
template <int H>
struct Vnni {
  static constexpr auto run = scores_vnni<H>;
};
#endif

}  // namespace

std::vector<Turbo4Kernel> turbo4_kernels() {
  std::vector<Turbo4Kernel> k = {Turbo4Kernel::scalar};
#ifdef QUANT_KV_AVX2
  k.push_back(Turbo4Kernel::avx2);
#endif
#ifdef QUANT_KV_VNNI
  k.push_back(Turbo4Kernel::vnni);
#endif
  return k;
}

Turbo4Kernel turbo4_kernel(bool simd) {
#if defined(QUANT_KV_VNNI)
  if (simd) return Turbo4Kernel::vnni;
#elif defined(QUANT_KV_AVX2)
  if (simd) return Turbo4Kernel::avx2;
#endif
  return Turbo4Kernel::scalar;
}

void turbo4_scores(Turbo4Kernel kernel, const std::vector<BlockSpec>& blocks, const std::vector<Turbo4Levels>& levels,
                   const float* prepared, int q_stride, int n_q, const uint8_t* rows, size_t stride, int n, float* out) {
  switch (kernel) {
#ifdef QUANT_KV_VNNI
    case Turbo4Kernel::vnni: return by_eight_heads<Vnni>(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
#endif
#ifdef QUANT_KV_AVX2
    case Turbo4Kernel::avx2: return by_eight_heads<Avx2>(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
#endif
    default: return scores_scalar(blocks, levels, prepared, q_stride, n_q, rows, stride, n, out);
  }
}

}  // namespace quant::kv
