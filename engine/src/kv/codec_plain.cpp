// fp32 and fp16 caches: the stored vector is the vector (one block, scale 1); the query domain is the
// model's basis.
#include <cstring>

#include "codec_unrotated.h"
#include "quant/half.h"

namespace quant {

namespace {

using kv::BlockSpec;
using kv::Header;

struct Fp32Format {
  static constexpr bool kShift = false, kOutliers = false;
  std::vector<BlockSpec> blocks;
  Header header(const uint8_t*) const { return {}; }
  float code(size_t, const uint8_t* block, int j) const {
    float v;
    std::memcpy(&v, block + 4 * j, 4);
    return v;
  }
#ifdef QUANT_X86_TARGETS
  struct Groups {
    QUANT_AVX2_FN __m256 operator()(const uint8_t* block, int g, int) const {
      return _mm256_loadu_ps(reinterpret_cast<const float*>(block) + 8 * g);
    }
  };
  QUANT_AVX2_FN Groups groups(size_t) const { return {}; }
#endif
};

struct Fp16Format {
  static constexpr bool kShift = false, kOutliers = false;
  std::vector<BlockSpec> blocks;
  Header header(const uint8_t*) const { return {}; }
  float code(size_t, const uint8_t* block, int j) const { return kv::load_f16(block + 2 * j); }
#ifdef QUANT_X86_TARGETS
  struct Groups {
    QUANT_AVX2_FN __m256 operator()(const uint8_t* block, int g, int) const {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)));
    }
  };
  QUANT_AVX2_FN Groups groups(size_t) const { return {}; }
#endif
};

template <class Format>
Format one_block(int dim) {
  Format f;
  f.blocks = {BlockSpec{0, dim, 0}};
  return f;
}

template <class Format, KvType kType, int kBytes>
class PlainCodec final : public kv::UnrotatedCodec<Format> {
  using Base = kv::UnrotatedCodec<Format>;
  using Base::dim_;
  using Base::format_;

 public:
  PlainCodec(int dim, Isa isa)
      : Base(dim, one_block<Format>(dim), isa != Isa::scalar && kv::groups_of_8(one_block<Format>(dim).blocks)) {}
  KvType type() const override { return kType; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(kBytes) * dim_; }
  void encode(const float* x, uint8_t* dst) const override {
    if constexpr (kBytes == 4) {
      std::memcpy(dst, x, sizeof(float) * dim_);
    } else {
      for (int i = 0; i < dim_; ++i) kv::store_u16(dst + 2 * i, fp32_to_fp16(x[i]));
    }
  }
  void decode(const uint8_t* src, float* x) const override {
    for (int i = 0; i < dim_; ++i) x[i] = format_.code(0, src, i);
  }
};

}  // namespace

std::unique_ptr<KvCodec> make_fp32_codec(int dim, Isa isa) {
  return std::make_unique<PlainCodec<Fp32Format, KvType::fp32, 4>>(dim, isa);
}
std::unique_ptr<KvCodec> make_fp16_codec(int dim, Isa isa) {
  return std::make_unique<PlainCodec<Fp16Format, KvType::fp16, 2>>(dim, isa);
}

}  // namespace quant
