#pragma once
// What the codecs stored in the model's basis (fp32, fp16, q8_0, q4_0, uniform_4b) share: the query is
// used as it is, followed by its per-block sums when the format decodes with a shift (kShift: the shift
// times the query's block sum joins each block's score); scores and value sums run the shared kernels of
// kernels.h over the Format; the value sums are already the output. A codec adds its type, its size and
// its encode/decode. TurboQuant rotates and has its own (codec_turbo.cpp).
#include <algorithm>
#include <vector>

#include "codecs.h"
#include "kernels.h"

namespace quant::kv {

template <class Format>
class UnrotatedCodec : public KvCodec {
 public:
  int prepared_floats() const final {
    return Format::kShift ? dim_ + static_cast<int>(format_.blocks.size()) : dim_;
  }
  void prepare_query(const float* q, float* qp) const final {
    std::copy_n(q, dim_, qp);
    if constexpr (Format::kShift) {
      for (size_t b = 0; b < format_.blocks.size(); ++b) {
        float s = 0;
        for (int j = 0; j < format_.blocks[b].dim; ++j) s += q[format_.blocks[b].offset + j];
        qp[dim_ + b] = s;
      }
    }
  }
  void score(const float* q, int n_q, const uint8_t* rows, size_t stride, int n, float* out) const final {
    score_rows(format_, simd_, {q, prepared_floats(), dim_}, n_q, rows, stride, n, out);
  }
  void accumulate(const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc) const final {
    accumulate_rows(format_, simd_, w, n_q, rows, stride, n, acc, dim_);
  }
  void finish_value(const float* acc, float* out) const final { std::copy_n(acc, dim_, out); }

 protected:
  // `format` with its blocks laid out; `simd`: run the AVX2 kernels (never for Isa::scalar).
  UnrotatedCodec(int dim, Format format, bool simd) : KvCodec(dim), format_(std::move(format)), simd_(simd) {}

  Format format_;
  bool simd_;
};

}  // namespace quant::kv
