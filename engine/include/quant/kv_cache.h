#pragma once
// The attention cache: for every layer and KV head, a contiguous array of encoded vectors by position.
// Only encoded bytes are kept (no float shadow copy), so what attention reads is what the type stores.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "quant/kv_codec.h"
#include "quant/thread_pool.h"

namespace quant {

struct KvCacheConfig {
  KvType k_type = KvType::fp32;
  KvType v_type = KvType::fp32;
  int n_layer = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int capacity = 0;  // positions
};

struct AttentionParams {
  int n_head = 0;        // query heads (a multiple of n_head_kv)
  float scale = 1.0f;    // multiplies q.k
  int window = 0;        // > 0: attend only to the last `window` positions (sliding-window layers)
};

// Builds the codec of one (layer, head, K or V); tests substitute their own to watch what attention calls.
using KvCodecFactory = std::function<std::unique_ptr<KvCodec>(KvType type, int dim, uint64_t seed)>;

class KvCache {
 public:
  explicit KvCache(const KvCacheConfig& cfg);
  KvCache(const KvCacheConfig& cfg, const KvCodecFactory& make_codec);
  const KvCacheConfig& config() const { return cfg_; }

  // Stores the keys and values of all KV heads for one position (k, v: n_head_kv * head_dim floats).
  void store(int layer, int pos, const float* k, const float* v);
  // out (n_head * head_dim) = softmax(scale * q.K[0..pos]) V for every query head at position pos.
  void attend(int layer, int pos, const float* q, float* out, const AttentionParams& p) const;
  // Same for a batch: row t of q/out is at position pos0 + t; heads and rows run on the pool.
  void attend_batch(ThreadPool& pool, int layer, int pos0, int n, const float* q, float* out,
                    const AttentionParams& p) const;

  // Bytes per token actually allocated, summed over layers and heads.
  size_t k_bytes_per_token() const;
  size_t v_bytes_per_token() const;
  size_t allocated_bytes() const;
  int capacity() const { return cfg_.capacity; }
  const KvCodec& k_codec(int layer, int head) const { return *k_codecs_[layer * cfg_.n_head_kv + head]; }
  const KvCodec& v_codec(int layer, int head) const { return *v_codecs_[layer * cfg_.n_head_kv + head]; }
  const uint8_t* k_data(int layer, int head) const;
  const uint8_t* v_data(int layer, int head) const;

 private:
  void attend_group(int layer, int pos, int kv_head, const float* q, float* out, const AttentionParams& p,
                    float* scratch) const;
  size_t scratch_floats(const AttentionParams& p, int n_positions) const;
  KvCacheConfig cfg_;
  std::vector<std::unique_ptr<KvCodec>> k_codecs_, v_codecs_;  // [layer][kv head]
  size_t k_vec_bytes_ = 0, v_vec_bytes_ = 0;
  std::vector<uint8_t> k_, v_;  // [layer][kv head][pos][bytes]
};

}  // namespace quant
