#pragma once
// How one KV cache type stores vectors of one head dimension, and how attention reads them back
// without decoding: keys are scored against a query prepared once per head, values are accumulated
// in the codec's own domain and mapped back once per head.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "quant/kv_types.h"

namespace quant {

class KvCodec {
 public:
  virtual ~KvCodec() = default;
  virtual KvType type() const = 0;
  int dim() const { return dim_; }
  // Bytes one stored vector of dim() elements occupies (headers included).
  virtual size_t bytes_per_vector() const = 0;

  // Compresses one vector into `dst` (bytes_per_vector() bytes).
  virtual void encode(const float* x, uint8_t* dst) const = 0;
  // Reconstructs a vector (tests and reference paths only; attention never calls it).
  virtual void decode(const uint8_t* src, float* x) const = 0;

  // Query/accumulator domain: identity for plain types, the rotated basis for TurboQuant.
  // q_prepared holds prepared_floats() floats (the query in that domain, then any per-block extras).
  virtual int prepared_floats() const { return dim_; }
  virtual void prepare_query(const float* q, float* q_prepared) const = 0;
  // Scores n stored vectors (at rows + i * stride) against n_q prepared queries, query h at
  // q_prepared + h * prepared_floats(): out[h * n + i] = <q_h, x_i>. One pass over the rows serves all
  // the query heads that share a KV head.
  virtual void score(const float* q_prepared, int n_q, const uint8_t* rows, size_t stride, int n, float* out) const = 0;
  // acc[h * dim + j] += sum_i w[h * n + i] * x_i[j] in the prepared domain, for h < n_q.
  virtual void accumulate(const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc) const = 0;
  // Maps an accumulator back to the model's basis.
  virtual void finish_value(const float* acc, float* out) const = 0;

 protected:
  explicit KvCodec(int dim) : dim_(dim) {}
  int dim_;
};

// Builds the codec for a type and head dimension; `seed` individualises rotations (per layer and head).
// Throws InputError when the type cannot store vectors of this dimension.
std::unique_ptr<KvCodec> make_kv_codec(KvType type, int dim, uint64_t seed);

// The attention kernel set codecs run, chosen at run time like the matmul kernels: "scalar", "avx2",
// "avx_vnni" or "avx512_vnni" (QUANT_ISA lowers it).
std::string_view kv_kernels_name();

}  // namespace quant
