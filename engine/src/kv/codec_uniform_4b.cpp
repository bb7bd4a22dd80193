// uniform_4b: per block (the same <= 128-coordinate blocks as TurboQuant) an fp16 minimum and an fp16
// step = (max - min) / 16, then 4-bit codes, element 2j in the low nibble of byte j and 2j+1 in the high
// one. Decoded as min + (q + 0.5) * step: the centre of the code's cell.
// Score: <q, x> = sum_blocks step * sum_j q_j * code_j + (min + step / 2) * S, with S the query's block sum.
#include <algorithm>
#include <cmath>

#include "codec_unrotated.h"

namespace quant {

namespace {

using kv::BlockSpec;
using kv::Header;
using kv::load_f16;

struct Uniform4bFormat {
  static constexpr bool kScale = true, kShift = true, kOutliers = false;
  std::vector<BlockSpec> blocks;
  template <class Half = kv::ScalarHalf>
  Header header(const uint8_t* block) const {
    const float min = Half::load(block), step = Half::load(block + 2);
    return {step, min + 0.5f * step};
  }
  float code(size_t, const uint8_t* block, int j) const { return (block[4 + j / 2] >> (4 * (j & 1))) & 15; }
#ifdef QUANT_X86_TARGETS
  struct Groups {
    QUANT_AVX2_FN __m256 operator()(const uint8_t* block, int g, int) const {
      const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
      const __m256i c = _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kv::load_u32(block + 4 + 4 * g))), shifts);
      return _mm256_cvtepi32_ps(_mm256_and_si256(c, _mm256_set1_epi32(15)));
    }
  };
  QUANT_AVX2_FN Groups groups(size_t) const { return {}; }
#endif
};

Uniform4bFormat uniform_4b_format(int dim) {
  Uniform4bFormat f;
  int offset = 0;
  size_t bytes = 0;
  for (int len : kv_block_dims(KvType::uniform_4b, dim)) {
    f.blocks.push_back({offset, len, bytes});
    offset += len;
    bytes += 4 + len / 2;
  }
  return f;
}

class Uniform4bCodec final : public kv::UnrotatedCodec<Uniform4bFormat> {
 public:
  Uniform4bCodec(int dim, Isa isa) : UnrotatedCodec(dim, uniform_4b_format(dim), isa != Isa::scalar) {
    for (const BlockSpec& s : format_.blocks) bytes_ += 4 + s.dim / 2;
  }
  KvType type() const override { return KvType::uniform_4b; }
  size_t bytes_per_vector() const override { return bytes_; }

  void encode(const float* x, uint8_t* dst) const override {
    for (const BlockSpec& s : format_.blocks) {
      const float* v = x + s.offset;
      uint8_t* out = dst + s.bytes;
      const auto [lo, hi] = std::minmax_element(v, v + s.dim);
      const uint16_t min16 = kv::to_f16_saturated(*lo), step16 = kv::to_f16_saturated((*hi - *lo) / 16);
      kv::store_u16(out, min16);
      kv::store_u16(out + 2, step16);
      // Cells from the stored (rounded) min and step, so each value lands in the cell whose centre decodes nearest.
      const float min = fp16_to_fp32(min16), step = fp16_to_fp32(step16), inv = step > 0 ? 1 / step : 0;
      for (int j = 0; j < s.dim; j += 2) {
        const int q0 = std::clamp(static_cast<int>(std::floor((v[j] - min) * inv)), 0, 15);
        const int q1 = std::clamp(static_cast<int>(std::floor((v[j + 1] - min) * inv)), 0, 15);
        out[4 + j / 2] = static_cast<uint8_t>(q0 | q1 << 4);
      }
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (size_t b = 0; b < format_.blocks.size(); ++b) {
      const BlockSpec& s = format_.blocks[b];
      const float min = load_f16(src + s.bytes), step = load_f16(src + s.bytes + 2);
      for (int j = 0; j < s.dim; ++j) x[s.offset + j] = min + (format_.code(b, src + s.bytes, j) + 0.5f) * step;
    }
  }

 private:
  size_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<KvCodec> make_uniform_4b_codec(int dim, Isa isa) { return std::make_unique<Uniform4bCodec>(dim, isa); }

}  // namespace quant
