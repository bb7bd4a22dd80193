// fp32 and fp16 caches: the stored vector is the vector; the query domain is the model's basis.
#include <algorithm>

#include "codecs.h"
#include "quant/dot.h"
#include "quant/half.h"
#include "simd.h"

namespace quant {

namespace {

class Fp32Codec final : public KvCodec {
 public:
  explicit Fp32Codec(int dim) : KvCodec(dim) {}
  KvType type() const override { return KvType::fp32; }
  size_t bytes_per_vector() const override { return sizeof(float) * dim_; }
  void encode(const float* x, uint8_t* dst) const override { std::copy_n(x, dim_, reinterpret_cast<float*>(dst)); }
  void decode(const uint8_t* src, float* x) const override { std::copy_n(reinterpret_cast<const float*>(src), dim_, x); }
  void prepare_query(const float* q, float* qp) const override { std::copy_n(q, dim_, qp); }
  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    for (int i = 0; i < n; ++i) out[i] = dot_f32(q, reinterpret_cast<const float*>(rows + i * stride), dim_);
  }
  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
    for (int i = 0; i < n; ++i) axpy_f32(w[i], reinterpret_cast<const float*>(rows + i * stride), acc, dim_);
  }
  void finish_value(const float* acc, float* out) const override { std::copy_n(acc, dim_, out); }
};

class Fp16Codec final : public KvCodec {
 public:
  Fp16Codec(int dim, Isa isa) : KvCodec(dim), simd_(isa == Isa::avx2) {}
  KvType type() const override { return KvType::fp16; }
  size_t bytes_per_vector() const override { return sizeof(uint16_t) * dim_; }
  void encode(const float* x, uint8_t* dst) const override {
    auto* h = reinterpret_cast<uint16_t*>(dst);
    for (int i = 0; i < dim_; ++i) h[i] = fp32_to_fp16(x[i]);
  }
  void decode(const uint8_t* src, float* x) const override {
    const auto* h = reinterpret_cast<const uint16_t*>(src);
    for (int i = 0; i < dim_; ++i) x[i] = fp16_to_fp32(h[i]);
  }
  void prepare_query(const float* q, float* qp) const override { std::copy_n(q, dim_, qp); }
  void score(const float* q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    for (int i = 0; i < n; ++i) {
      const auto* h = reinterpret_cast<const uint16_t*>(rows + i * stride);
      out[i] = simd_ ? dot_f16_f32(h, q, dim_) : dot_f16_f32_ref(h, q, dim_);
    }
  }
  void accumulate(const float* w, const uint8_t* rows, size_t stride, int n, float* acc) const override {
#ifdef QUANT_KV_AVX2
    if (simd_ && dim_ % 8 == 0) {
      for (int i = 0; i < n; ++i) {
        const auto* h = reinterpret_cast<const __m128i*>(rows + i * stride);
        const __m256 wi = _mm256_set1_ps(w[i]);
        for (int j = 0; j < dim_; j += 8)
          _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(wi, _mm256_cvtph_ps(_mm_loadu_si128(h + j / 8)), _mm256_loadu_ps(acc + j)));
      }
      return;
    }
#endif
    for (int i = 0; i < n; ++i) {
      const auto* h = reinterpret_cast<const uint16_t*>(rows + i * stride);
      for (int j = 0; j < dim_; ++j) acc[j] += w[i] * fp16_to_fp32(h[j]);
    }
  }
  void finish_value(const float* acc, float* out) const override { std::copy_n(acc, dim_, out); }

 private:
  bool simd_;
};

}  // namespace

std::unique_ptr<KvCodec> make_fp32_codec(int dim) { return std::make_unique<Fp32Codec>(dim); }
std::unique_ptr<KvCodec> make_fp16_codec(int dim, Isa isa) { return std::make_unique<Fp16Codec>(dim, isa); }

}  // namespace quant
