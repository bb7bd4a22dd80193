#pragma once
// One inference context: a model, a KV cache, scratch buffers, and the forward pass over them.
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
  // Activations for one batch; sized for max_batch rows.
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_, hb_;
};

}  // namespace quant
