#include "model/attention_step.h"

#include "quant/ops.h"

namespace quant {

void attention_step(const Model& model, int layer, KvCache& cache, ThreadPool& pool, const AttentionRows& r) {
  const ModelConfig& c = model.config();
  const FamilyFeatures& fe = c.features;
  const LayerWeights& L = model.weights().layers[layer];
  const LayerConfig& lc = c.layers[layer];
  const int hd = c.head_dim, qw = c.n_head * hd, kvw = c.n_head_kv * hd, n = r.n;
  const bool neox = fe.rope_style == RopeStyle::neox;
  if (fe.qkv_bias) {
    add_bias(r.q, L.bq.f32(), n, qw);
    add_bias(r.k, L.bk.f32(), n, kvw);
    add_bias(r.v, L.bv.f32(), n, kvw);
  }
  if (fe.qk_norm) {
    for (int i = 0; i < n * c.n_head; ++i) rmsnorm(&r.q[i * hd], L.q_norm.f32(), &r.q[i * hd], hd, c.rms_eps);
    for (int i = 0; i < n * c.n_head_kv; ++i) rmsnorm(&r.k[i * hd], L.k_norm.f32(), &r.k[i * hd], hd, c.rms_eps);
  }
  for (int t = 0; t < n; ++t) {
    float* q = r.q + static_cast<size_t>(t) * qw;
    float* k = r.k + static_cast<size_t>(t) * kvw;
    rope(q, c.n_head, hd, c.rope_dim, r.pos0 + t, lc.rope_freqs.data(), neox);
    rope(k, c.n_head_kv, hd, c.rope_dim, r.pos0 + t, lc.rope_freqs.data(), neox);
    cache.store(layer, r.pos0 + t, k, r.v + static_cast<size_t>(t) * kvw);
  }
  AttentionParams ap;
  ap.n_head = c.n_head;
  ap.scale = c.attn_scale;
  ap.window = lc.window;
  cache.attend_batch(pool, layer, r.pos0, n, r.q, r.att, ap);
}

}  // namespace quant
