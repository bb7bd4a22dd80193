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
  static constexpr bool kScale = false, kShift = false, kOutliers = false;
  std::vector<BlockSpec> blocks;
  template <class Half = kv::ScalarHalf>
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
  static constexpr bool kScale = false, kShift = false, kOutliers = false;
  std::vector<BlockSpec> blocks;
  template <class Half = kv::ScalarHalf>
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

#ifdef QUANT_X86_TARGETS
// fp32_to_fp16 of 8 values at a time (F16C rounds to nearest even, as it does); a group holding a NaN
// goes the scalar way, which drops NaN payloads where F16C would keep them. Returns the values done.
QUANT_AVX2_FN int encode_f16_groups(const float* x, uint8_t* dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
      for (int j = i; j < i + 8; ++j) kv::store_u16(dst + 2 * j, fp32_to_fp16(x[j]));
      continue;
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 2 * i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  return i;
}
#endif

template <class Format, KvType kType, int kBytes>
class PlainCodec final : public kv::UnrotatedCodec<Format> {
  using Base = kv::UnrotatedCodec<Format>;
  using Base::dim_;
  using Base::format_;
  using Base::simd_;

 public:
  PlainCodec(int dim, Isa isa)
      : Base(dim, one_block<Format>(dim), isa != Isa::scalar && kv::groups_of_8(one_block<Format>(dim).blocks)) {}
  KvType type() const override { return kType; }
  size_t bytes_per_vector() const override { return static_cast<size_t>(kBytes) * dim_; }
  void encode(const float* x, uint8_t* dst) const override {
    if constexpr (kBytes == 4) {
      std::memcpy(dst, x, sizeof(float) * dim_);
    } else {
      int i = 0;
#ifdef QUANT_X86_TARGETS
      if (simd_) i = encode_f16_groups(x, dst, dim_);
#endif
      for (; i < dim_; ++i) kv::store_u16(dst + 2 * i, fp32_to_fp16(x[i]));
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
