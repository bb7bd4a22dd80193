// q8_0 and q4_0 caches in llama.cpp's block formats, with blocks of B = ggml_kv_block(dim) elements:
//   q8_0 block: fp16 d, int8 q[B]                         x = d * q            (34 bytes for B = 32)
//   q4_0 block: fp16 d, B/2 bytes: element j in the low   x = d * (q - 8)      (18 bytes for B = 32)
//               nibble of byte j, element j + B/2 in the high nibble
// For B = 32 the bytes are exactly quant/blocks.h's BlockQ8_0 / BlockQ4_0 (a test checks it).
// Scores use the float query directly: the block sum S of the query is precomputed, so that for q4_0
// <q, x> = sum_blocks d * (sum_j q_j * nibble_j - 8 * S).
#include <algorithm>
#include <cmath>

#include "codecs.h"
#include "quant/blocks.h"
#include "simd.h"

namespace quant {

namespace {

using kv::load_f16;
using kv::store_u16;

// Stores the fp16 scale. Past the fp16 range it saturates (llama.cpp would store infinity) and the codes are
// computed from the saturated scale, so the block decodes to large finite values.
float saturated_scale(float d, uint8_t* dst) {
  const uint16_t h = kv::to_f16_saturated(d);
  store_u16(dst, h);
  return std::fabs(d) > 65504.0f ? fp16_to_fp32(h) : d;
}

class Q8_0Codec final : public KvCodec {
 public:
  Q8_0Codec(int dim, Isa isa)
      : KvCodec(dim), block_(ggml_kv_block(KvType::q8_0, dim)), n_blocks_(dim / block_), simd_(isa == Isa::avx2) {}
  KvType type() const override { return KvType::q8_0; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(n_blocks_) * block_bytes(); }

  void encode(const float* x, uint8_t* dst) const override {
    for (int b = 0; b < n_blocks_; ++b, x += block_, dst += block_bytes()) {
      float amax = 0;
      for (int j = 0; j < block_; ++j) amax = std::fmax(amax, std::fabs(x[j]));
      const float d = saturated_scale(amax / 127.0f, dst), id = d != 0 ? 1.0f / d : 0.0f;
      auto* q = reinterpret_cast<int8_t*>(dst + 2);
      for (int j = 0; j < block_; ++j) q[j] = static_cast<int8_t>(std::clamp(std::round(x[j] * id), -127.0f, 127.0f));
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (int b = 0; b < n_blocks_; ++b, x += block_, src += block_bytes()) {
      const float d = load_f16(src);
      const auto* q = reinterpret_cast<const int8_t*>(src + 2);
      for (int j = 0; j < block_; ++j) x[j] = d * q[j];
    }
  }
  void prepare_query(const float* q, float* qp) const override { std::copy_n(q, dim_, qp); }

  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
#ifdef QUANT_KV_AVX2
    if (simd_) {
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
          const float* qb = q + b * block_;
          __m256 s = _mm256_setzero_ps();
          for (int j = 0; j < block_; j += 8) {
            const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 2 + j));
            s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), _mm256_loadu_ps(qb + j), s);
          }
          acc = _mm256_fmadd_ps(_mm256_set1_ps(kv::load_f16_fast(r)), s, acc);
        }
        out[i] = kv::hsum(acc);
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      float total = 0;
      for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
        const auto* qs = reinterpret_cast<const int8_t*>(r + 2);
        float s = 0;
        for (int j = 0; j < block_; ++j) s += q[b * block_ + j] * qs[j];
        total += load_f16(r) * s;
      }
      out[i] = total;
    }
  }

  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
#ifdef QUANT_KV_AVX2
    if (simd_) {
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
          const __m256 wd = _mm256_set1_ps(w[i] * kv::load_f16_fast(r));
          float* ab = acc + b * block_;
          for (int j = 0; j < block_; j += 8) {
            const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 2 + j));
            _mm256_storeu_ps(ab + j, _mm256_fmadd_ps(wd, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), _mm256_loadu_ps(ab + j)));
          }
        }
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
        const float wd = w[i] * load_f16(r);
        const auto* qs = reinterpret_cast<const int8_t*>(r + 2);
        for (int j = 0; j < block_; ++j) acc[b * block_ + j] += wd * qs[j];
      }
    }
  }
  void finish_value(const float* acc, float* out) const override { std::copy_n(acc, dim_, out); }

 private:
  size_t block_bytes() const { return 2 + static_cast<size_t>(block_); }
  int block_, n_blocks_;
  bool simd_;
};

#ifdef QUANT_KV_AVX2
// The 8 nibbles of 4 bytes as floats: low nibbles of bytes 0..3, then high nibbles of bytes 0..3.
inline __m256 nibbles_in_order(const uint8_t* p) {
  const __m256i shifts = _mm256_setr_epi32(0, 8, 16, 24, 4, 12, 20, 28);
  const __m256i v = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(p))), shifts);
  return _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(15)));
}
#endif

class Q4_0Codec final : public KvCodec {
 public:
  Q4_0Codec(int dim, Isa isa)
      : KvCodec(dim), block_(ggml_kv_block(KvType::q4_0, dim)), n_blocks_(dim / block_), simd_(isa == Isa::avx2) {}
  KvType type() const override { return KvType::q4_0; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(n_blocks_) * block_bytes(); }
  // The query followed by its per-block sums.
  int prepared_floats() const override { return dim_ + n_blocks_; }

  void encode(const float* x, uint8_t* dst) const override {
    const int half = block_ / 2;
    for (int b = 0; b < n_blocks_; ++b, x += block_, dst += block_bytes()) {
      // The scale maps the largest-magnitude element (with its sign) to -8, so all 16 levels are used.
      float amax = 0, max = 0;
      for (int j = 0; j < block_; ++j)
        if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); max = x[j]; }
      const float d = saturated_scale(max / -8.0f, dst), id = d != 0 ? 1.0f / d : 0.0f;
      for (int j = 0; j < half; ++j) {
        const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
        const int q1 = std::min(15, static_cast<int>(x[j + half] * id + 8.5f));
        dst[2 + j] = static_cast<uint8_t>(std::max(0, q0) | std::max(0, q1) << 4);
      }
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    const int half = block_ / 2;
    for (int b = 0; b < n_blocks_; ++b, x += block_, src += block_bytes()) {
      const float d = load_f16(src);
      for (int j = 0; j < half; ++j) {
        x[j] = d * ((src[2 + j] & 15) - 8);
        x[j + half] = d * ((src[2 + j] >> 4) - 8);
      }
    }
  }
  void prepare_query(const float* q, float* qp) const override {
    std::copy_n(q, dim_, qp);
    for (int b = 0; b < n_blocks_; ++b) {
      float s = 0;
      for (int j = 0; j < block_; ++j) s += q[b * block_ + j];
      qp[dim_ + b] = s;
    }
  }

  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    const int half = block_ / 2;
    const float* sums = q + dim_;
#ifdef QUANT_KV_AVX2
    if (simd_) {
      const __m256i low = _mm256_set1_epi32(15);
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        __m256 acc = _mm256_setzero_ps();
        float offset = 0;
        for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
          const float* qb = q + b * block_;
          __m256 s = _mm256_setzero_ps();
          if (half == 4) {  // an 8-element block: its 8 nibbles are the elements in order
            s = _mm256_mul_ps(nibbles_in_order(r + 2), _mm256_loadu_ps(qb));
          }
          for (int j = 0; j + 8 <= half; j += 8) {
            const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 2 + j)));
            const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(bytes, low));
            const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(bytes, 4));
            s = _mm256_fmadd_ps(lo, _mm256_loadu_ps(qb + j), s);
            s = _mm256_fmadd_ps(hi, _mm256_loadu_ps(qb + half + j), s);
          }
          const float d = kv::load_f16_fast(r);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(d), s, acc);
          offset += d * sums[b];
        }
        out[i] = kv::hsum(acc) - 8 * offset;
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      float total = 0;
      for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
        const float* qb = q + b * block_;
        float s = 0;
        for (int j = 0; j < half; ++j) s += qb[j] * (r[2 + j] & 15) + qb[j + half] * (r[2 + j] >> 4);
        total += load_f16(r) * (s - 8 * sums[b]);
      }
      out[i] = total;
    }
  }

  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
    const int half = block_ / 2;
#ifdef QUANT_KV_AVX2
    if (simd_) {
      const __m256i low = _mm256_set1_epi32(15), eight = _mm256_set1_epi32(8);
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
          const __m256 wd = _mm256_set1_ps(w[i] * kv::load_f16_fast(r));
          float* ab = acc + b * block_;
          if (half == 4)
            _mm256_storeu_ps(ab, _mm256_fmadd_ps(wd, _mm256_sub_ps(nibbles_in_order(r + 2), _mm256_set1_ps(8)),
                                                 _mm256_loadu_ps(ab)));
          for (int j = 0; j + 8 <= half; j += 8) {
            const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 2 + j)));
            const __m256 lo = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(bytes, low), eight));
            const __m256 hi = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bytes, 4), eight));
            _mm256_storeu_ps(ab + j, _mm256_fmadd_ps(wd, lo, _mm256_loadu_ps(ab + j)));
            _mm256_storeu_ps(ab + half + j, _mm256_fmadd_ps(wd, hi, _mm256_loadu_ps(ab + half + j)));
          }
        }
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      for (int b = 0; b < n_blocks_; ++b, r += block_bytes()) {
        const float wd = w[i] * load_f16(r);
        float* ab = acc + b * block_;
        for (int j = 0; j < half; ++j) {
          ab[j] += wd * ((r[2 + j] & 15) - 8);
          ab[j + half] += wd * ((r[2 + j] >> 4) - 8);
        }
      }
    }
  }
  void finish_value(const float* acc, float* out) const override { std::copy_n(acc, dim_, out); }

 private:
  size_t block_bytes() const { return 2 + static_cast<size_t>(block_) / 2; }
  int block_, n_blocks_;
  bool simd_;
};

}  // namespace

std::unique_ptr<KvCodec> make_q8_0_codec(int dim, Isa isa) { return std::make_unique<Q8_0Codec>(dim, isa); }
std::unique_ptr<KvCodec> make_q4_0_codec(int dim, Isa isa) { return std::make_unique<Q4_0Codec>(dim, isa); }

}  // namespace quant
