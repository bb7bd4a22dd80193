// uniform_4b: per block (the same <= 128-coordinate blocks as TurboQuant) an fp16 minimum and an fp16
// step = (max - min) / 16, then 4-bit codes, element 2j in the low nibble of byte j and 2j+1 in the high
// one. Decoded as min + (q + 0.5) * step: the centre of the code's cell.
// Score: <q, x> = sum_blocks step * sum_j q_j * code_j + (min + step / 2) * S, with S the query's block sum.
#include <algorithm>
#include <cmath>

#include "codecs.h"
#include "simd.h"

namespace quant {

namespace {

using kv::load_f16;

class Uniform4bCodec final : public KvCodec {
 public:
  Uniform4bCodec(int dim, Isa isa) : KvCodec(dim), blocks_(kv_block_dims(KvType::uniform_4b, dim)), simd_(isa == Isa::avx2) {}
  KvType type() const override { return KvType::uniform_4b; }
  size_t bytes_per_vector() const override { return blocks_.size() * 4 + dim_ / 2; }
  int prepared_floats() const override { return dim_ + static_cast<int>(blocks_.size()); }

  void encode(const float* x, uint8_t* dst) const override {
    for (int len : blocks_) {
      const auto [lo, hi] = std::minmax_element(x, x + len);
      const uint16_t min16 = kv::to_f16_saturated(*lo), step16 = kv::to_f16_saturated((*hi - *lo) / 16);
      kv::store_u16(dst, min16);
      kv::store_u16(dst + 2, step16);
      // Cells from the stored (rounded) min and step, so each value lands in the cell whose centre decodes nearest.
      const float min = fp16_to_fp32(min16), step = fp16_to_fp32(step16), inv = step > 0 ? 1 / step : 0;
      uint8_t* codes = dst + 4;
      for (int j = 0; j < len; j += 2) {
        const int q0 = std::clamp(static_cast<int>(std::floor((x[j] - min) * inv)), 0, 15);
        const int q1 = std::clamp(static_cast<int>(std::floor((x[j + 1] - min) * inv)), 0, 15);
        codes[j / 2] = static_cast<uint8_t>(q0 | q1 << 4);
      }
      x += len;
      dst += 4 + len / 2;
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (int len : blocks_) {
      const float min = load_f16(src), step = load_f16(src + 2);
      for (int j = 0; j < len; ++j) x[j] = min + ((src[4 + j / 2] >> (4 * (j & 1))) & 15) * step + 0.5f * step;
      x += len;
      src += 4 + len / 2;
    }
  }
  void prepare_query(const float* q, float* qp) const override {
    std::copy_n(q, dim_, qp);
    int off = 0;
    for (size_t b = 0; b < blocks_.size(); off += blocks_[b++]) {
      float s = 0;
      for (int j = 0; j < blocks_[b]; ++j) s += q[off + j];
      qp[dim_ + b] = s;
    }
  }

  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    const float* sums = q + dim_;
#ifdef QUANT_KV_AVX2
    if (simd_) {
      const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), low = _mm256_set1_epi32(15);
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        const float* qb = q;
        __m256 acc = _mm256_setzero_ps();
        float offset = 0;
        for (size_t b = 0; b < blocks_.size(); ++b) {
          const int len = blocks_[b];
          __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
          int j = 0;
          for (; j + 16 <= len; j += 16) {
            const __m256i c0 = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(r + 4 + j / 2))), shifts);
            const __m256i c1 = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(r + 8 + j / 2))), shifts);
            s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(c0, low)), _mm256_loadu_ps(qb + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(c1, low)), _mm256_loadu_ps(qb + j + 8), s1);
          }
          if (j < len) {
            const __m256i c0 = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(r + 4 + j / 2))), shifts);
            s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(c0, low)), _mm256_loadu_ps(qb + j), s0);
          }
          const float min = kv::load_f16_fast(r), step = kv::load_f16_fast(r + 2);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(step), _mm256_add_ps(s0, s1), acc);
          offset += (min + 0.5f * step) * sums[b];
          qb += len;
          r += 4 + len / 2;
        }
        out[i] = kv::hsum(acc) + offset;
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      const float* qb = q;
      float total = 0;
      for (size_t b = 0; b < blocks_.size(); ++b) {
        const int len = blocks_[b];
        float s = 0;
        for (int j = 0; j < len; ++j) s += qb[j] * ((r[4 + j / 2] >> (4 * (j & 1))) & 15);
        const float min = load_f16(r), step = load_f16(r + 2);
        total += step * s + (min + 0.5f * step) * sums[b];
        qb += len;
        r += 4 + len / 2;
      }
      out[i] = total;
    }
  }

  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
#ifdef QUANT_KV_AVX2
    if (simd_) {
      const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28), low = _mm256_set1_epi32(15);
      for (int i = 0; i < n; ++i) {
        const uint8_t* r = rows + i * stride;
        float* ab = acc;
        for (int len : blocks_) {
          const float min = kv::load_f16_fast(r), step = kv::load_f16_fast(r + 2);
          const __m256 ws = _mm256_set1_ps(w[i] * step), wm = _mm256_set1_ps(w[i] * (min + 0.5f * step));
          for (int j = 0; j < len; j += 8) {
            const __m256i c = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(r + 4 + j / 2))), shifts);
            const __m256 v = _mm256_fmadd_ps(ws, _mm256_cvtepi32_ps(_mm256_and_si256(c, low)), wm);
            _mm256_storeu_ps(ab + j, _mm256_add_ps(v, _mm256_loadu_ps(ab + j)));
          }
          ab += len;
          r += 4 + len / 2;
        }
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const uint8_t* r = rows + i * stride;
      float* ab = acc;
      for (int len : blocks_) {
        const float min = load_f16(r), step = load_f16(r + 2);
        const float ws = w[i] * step, wm = w[i] * (min + 0.5f * step);
        for (int j = 0; j < len; ++j) ab[j] += ws * ((r[4 + j / 2] >> (4 * (j & 1))) & 15) + wm;
        ab += len;
        r += 4 + len / 2;
      }
    }
  }
  void finish_value(const float* acc, float* out) const override { std::copy_n(acc, dim_, out); }

 private:
  std::vector<int> blocks_;
  bool simd_;
};

}  // namespace

std::unique_ptr<KvCodec> make_uniform_4b_codec(int dim, Isa isa) { return std::make_unique<Uniform4bCodec>(dim, isa); }

}  // namespace quant
