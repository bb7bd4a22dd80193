#pragma once
// The host-side attention step of one layer, shared by the CPU pass (forward.cpp) and the Vulkan pass
// (backend/vulkan/vulkan_forward.cpp), which keep everything else of a layer on their own devices:
//   q, k, v += biases                                  [qkv_bias]
//   q_h, k_h = rmsnorm(q_h) * q_norm, rmsnorm(k_h) * k_norm   [qk_norm, per head]
//   q, k = rope(q, pos), rope(k, pos)                  [rope_style; the layer's frequencies]
//   cache <- k, v ; att = softmax(attn_scale * q.K) V over the layer's window
#include "quant/kv_cache.h"
#include "quant/model.h"
#include "quant/thread_pool.h"

namespace quant {

// q, k, v: n rows each (n_head * head_dim, n_head_kv * head_dim, n_head_kv * head_dim floats), modified in
// place; att: n rows of n_head * head_dim floats. Positions pos0 .. pos0 + n - 1.
struct AttentionRows {
  float* q;
  float* k;
  float* v;
  float* att;
  int n;
  int pos0;
};

void attention_step(const Model& model, int layer, KvCache& cache, ThreadPool& pool, const AttentionRows& rows);

}  // namespace quant
