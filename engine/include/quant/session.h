#pragma once
// One inference context: a model, a KV cache, scratch buffers, and the forward pass over them.
#include <cstdint>
#include <memory>
#include <vector>

#include "quant/backend.h"
#include "quant/kv_cache.h"
#include "quant/model.h"
#include "quant/thread_pool.h"

namespace quant {

struct SessionOptions {
  int n_ctx = 0;                 // KV capacity in tokens; 0 = the model's training context
  KvType k_type = KvType::fp32;
  KvType v_type = KvType::fp32;
  int max_batch = 512;           // tokens per forward call (longer inputs are split)
};

class Session {
 public:
  Session(const Model& model, ThreadPool& pool, Backend& backend, const SessionOptions& opts);

  // Runs tokens at positions n_past() .. n_past()+n-1 and appends them to the cache.
  // logits: n x n_vocab when all_logits, else 1 x n_vocab for the last token (may be null).
  void eval(const int* tokens, int n, float* logits, bool all_logits);
  void reset() { n_past_ = 0; }
  // Replaces the cache by n positions of unit-normal keys and values, encoded by the cache's types, without
  // running the model: a cache as long as a prefill's for speed measurements, whose kernels take the same
  // time whatever the values. Not a model state: logits after it mean nothing.
  void fill_random(int n, uint64_t seed);
  // Forgets every position from n on (the cache rows are overwritten by later evals).
  void truncate(int n) { if (n < n_past_) n_past_ = n < 0 ? 0 : n; }
  int n_past() const { return n_past_; }
  int n_ctx() const { return n_ctx_; }
  const KvCache& cache() const { return *cache_; }
  const Model& model() const { return model_; }
  const Backend& backend() const { return backend_; }

 private:
  void forward_batch(const int* tokens, int n, float* logits, bool all_logits);

  const Model& model_;
  ThreadPool& pool_;
  Backend& backend_;
  int n_ctx_;
  int max_batch_;
  int n_past_ = 0;
  std::unique_ptr<KvCache> cache_;
  // Activations for one batch, row-major with one row per token, max_batch rows each.
  std::vector<float> x_;           // residual stream (n_embd per row)
  std::vector<float> xb_;          // x normalised: input of the QKV, FFN and output matmuls (n_embd)
  std::vector<float> q_;           // queries (n_head * head_dim)
  std::vector<float> k_, v_;       // this batch's keys and values before the cache (n_head_kv * head_dim)
  std::vector<float> att_;         // attention output, all query heads (n_head * head_dim)
  std::vector<float> gate_, up_;   // FFN gate and up projections (n_ff); gate_ then holds act(gate) * up
  std::vector<float> branch_;      // attention or FFN output, added to x (n_embd)
};

}  // namespace quant
