// q8_0 and q4_0 caches in llama.cpp's block formats, with blocks of B = ggml_kv_block(dim) elements:
//   q8_0 block: fp16 d, int8 q[B]                         x = d * q            (34 bytes for B = 32)
//   q4_0 block: fp16 d, B/2 bytes: element j in the low   x = d * (q - 8)      (18 bytes for B = 32)
//               nibble of byte j, element j + B/2 in the high nibble
// For B = 32 the bytes are exactly quant/blocks.h's BlockQ8_0 / BlockQ4_0 (a test checks it).
// Scores use the float query directly; for q4_0 the query's block sums S carry the -8:
// <q, x> = sum_blocks d * (sum_j q_j * nibble_j - 8 * S).
#include <algorithm>
#include <cmath>

#include "codec_unrotated.h"

namespace quant {

namespace {

using kv::BlockSpec;
using kv::Header;
using kv::load_f16;

std::vector<BlockSpec> ggml_blocks(int dim, int block, size_t block_bytes) {
  std::vector<BlockSpec> blocks;
  for (int b = 0; b < dim / block; ++b) blocks.push_back({b * block, block, b * block_bytes});
  return blocks;
}

// Stores the fp16 scale. Past the fp16 range it saturates (llama.cpp would store infinity) and the codes are
// computed from the saturated scale, so the block decodes to large finite values.
float saturated_scale(float d, uint8_t* dst) {
  const uint16_t h = kv::to_f16_saturated(d);
  kv::store_u16(dst, h);
  return std::fabs(d) > 65504.0f ? fp16_to_fp32(h) : d;
}

struct Q8_0Format {
  static constexpr bool kScale = true, kShift = false, kOutliers = false;
  std::vector<BlockSpec> blocks;
  template <class Half = kv::ScalarHalf>
  Header header(const uint8_t* block) const { return {Half::load(block), 0}; }
  float code(size_t, const uint8_t* block, int j) const { return static_cast<int8_t>(block[2 + j]); }
#ifdef QUANT_X86_TARGETS
  struct Groups {
    QUANT_AVX2_FN __m256 operator()(const uint8_t* block, int g, int) const {
      const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + 8 * g));
      return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
    }
  };
  QUANT_AVX2_FN Groups groups(size_t) const { return {}; }
#endif
};

struct Q4_0Format {
  static constexpr bool kScale = true, kShift = true, kOutliers = false;
  std::vector<BlockSpec> blocks;
  int half = 0;  // B / 2
  template <class Half = kv::ScalarHalf>
  Header header(const uint8_t* block) const {
    const float d = Half::load(block);
    return {d, -8 * d};
  }
  float code(size_t, const uint8_t* block, int j) const {
    return j < half ? block[2 + j] & 15 : block[2 + j - half] >> 4;
  }
#ifdef QUANT_X86_TARGETS
  struct Groups {
    int groups_per_half;  // 8-element groups in each half of the block (0 for B = 8)
    QUANT_AVX2_FN __m256 operator()(const uint8_t* block, int g, int) const {
      const uint8_t* qs = block + 2;
      if (groups_per_half == 0) {  // B = 8: low nibbles of bytes 0..3 are elements 0..3, high nibbles 4..7
        const __m256i shifts = _mm256_setr_epi32(0, 8, 16, 24, 4, 12, 20, 28);
        const __m256i v = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(qs))), shifts);
        return _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(15)));
      }
      const bool high = g >= groups_per_half;
      const __m256i bytes = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * (high ? g - groups_per_half : g))));
      return _mm256_cvtepi32_ps(high ? _mm256_srli_epi32(bytes, 4) : _mm256_and_si256(bytes, _mm256_set1_epi32(15)));
    }
  };
  QUANT_AVX2_FN Groups groups(size_t) const { return {half / 8}; }
#endif
};

Q8_0Format q8_0_format(int dim) {
  const int block = ggml_kv_block(KvType::q8_0, dim);
  Q8_0Format f;
  f.blocks = ggml_blocks(dim, block, 2 + static_cast<size_t>(block));
  return f;
}

Q4_0Format q4_0_format(int dim) {
  const int block = ggml_kv_block(KvType::q4_0, dim);
  Q4_0Format f;
  f.blocks = ggml_blocks(dim, block, 2 + static_cast<size_t>(block) / 2);
  f.half = block / 2;
  return f;
}

class Q8_0Codec final : public kv::UnrotatedCodec<Q8_0Format> {
 public:
  Q8_0Codec(int dim, Isa isa)
      : UnrotatedCodec(dim, q8_0_format(dim), isa != Isa::scalar), block_(ggml_kv_block(KvType::q8_0, dim)) {}
  KvType type() const override { return KvType::q8_0; }
  size_t bytes_per_vector() const override { return format_.blocks.size() * block_bytes(); }

  void encode(const float* x, uint8_t* dst) const override {
    for (const BlockSpec& s : format_.blocks) {
      const float* v = x + s.offset;
      uint8_t* out = dst + s.bytes;
      float amax = 0;
      for (int j = 0; j < block_; ++j) amax = std::fmax(amax, std::fabs(v[j]));
      const float d = saturated_scale(amax / 127.0f, out), id = d != 0 ? 1.0f / d : 0.0f;
      for (int j = 0; j < block_; ++j)
        out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(std::round(v[j] * id), -127.0f, 127.0f)));
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const BlockSpec& s = format_.blocks[b];
      for (int j = 0; j < block_; ++j) x[s.offset + j] = load_f16(src + s.bytes) * format_.code(b, src + s.bytes, j);
    }
  }

 private:
  size_t block_bytes() const { return 2 + static_cast<size_t>(block_); }
  int block_;
};

class Q4_0Codec final : public kv::UnrotatedCodec<Q4_0Format> {
 public:
  Q4_0Codec(int dim, Isa isa)
      : UnrotatedCodec(dim, q4_0_format(dim), isa != Isa::scalar), block_(ggml_kv_block(KvType::q4_0, dim)) {}
  KvType type() const override { return KvType::q4_0; }
  size_t bytes_per_vector() const override { return format_.blocks.size() * block_bytes(); }

  void encode(const float* x, uint8_t* dst) const override {
    const int half = block_ / 2;
    for (const BlockSpec& s : format_.blocks) {
      const float* v = x + s.offset;
      uint8_t* out = dst + s.bytes;
      // The scale maps the largest-magnitude element (with its sign) to -8, so all 16 levels are used.
      float amax = 0, max = 0;
      for (int j = 0; j < block_; ++j)
        if (std::fabs(v[j]) > amax) { amax = std::fabs(v[j]); max = v[j]; }
      const float d = saturated_scale(max / -8.0f, out), id = d != 0 ? 1.0f / d : 0.0f;
      for (int j = 0; j < half; ++j) {
        const int q0 = std::clamp(static_cast<int>(v[j] * id + 8.5f), 0, 15);
        const int q1 = std::clamp(static_cast<int>(v[j + half] * id + 8.5f), 0, 15);
        out[2 + j] = static_cast<uint8_t>(q0 | q1 << 4);
      }
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const BlockSpec& s = format_.blocks[b];
      const float d = load_f16(src + s.bytes);
      for (int j = 0; j < block_; ++j) x[s.offset + j] = d * (format_.code(b, src + s.bytes, j) - 8);
    }
  }

 private:
  size_t block_bytes() const { return 2 + static_cast<size_t>(block_) / 2; }
  int block_;
};

}  // namespace

std::unique_ptr<KvCodec> make_q8_0_codec(int dim, Isa isa) { return std::make_unique<Q8_0Codec>(dim, isa); }
std::unique_ptr<KvCodec> make_q4_0_codec(int dim, Isa isa) { return std::make_unique<Q4_0Codec>(dim, isa); }

}  // namespace quant
