// The transformer forward pass of every supported family, one batch of consecutive positions at a time.
// Family differences are the flags of ModelConfig::features (marked [flag] below) and the per-layer
// settings of ModelConfig::layers (window, RoPE frequencies):
//   x = embed(tokens) * embd_scale                                   [scale_embeddings]
//   per layer l:
//     h = rmsnorm(x) * attn_norm
//     q, k, v = h Wq + bq, h Wk + bk, h Wv + bv                       [qkv_bias; fused_qkv = row views]
//     q_h, k_h = rmsnorm(q_h) * q_norm, rmsnorm(k_h) * k_norm        [qk_norm, per head]
//     q, k = rope(q, pos), rope(k, pos)                               [rope_style; layer's frequencies]
//     cache <- k, v ; a = softmax(attn_scale * q.K) V over the layer's window
//     o = a Wo ; o = rmsnorm(o) * post_attn_norm                      [post_norms]
//     x += o
//     h = rmsnorm(x) * ffn_norm
//     f = (act(h Wgate) * (h Wup)) Wdown                              [ffn_act; fused_gate_up = row views]
//     f = rmsnorm(f) * post_ffn_norm                                  [post_norms]
//     x += f
//   logits = (rmsnorm(x) * output_norm) Wout
#include <algorithm>
#include <cmath>

#include "model/attention_step.h"
#include "quant/error.h"
#include "quant/ops.h"
#include "quant/session.h"

namespace quant {

Session::Session(const Model& model, ThreadPool& pool, Backend& backend, const SessionOptions& opts)
    : model_(model), pool_(pool), backend_(backend) {
  const ModelConfig& c = model.config();
  n_ctx_ = opts.n_ctx > 0 ? opts.n_ctx : c.n_ctx_train;
  max_batch_ = std::max(1, opts.max_batch);
  KvCacheConfig kc;
  kc.k_type = opts.k_type;
  kc.v_type = opts.v_type;
  kc.n_layer = c.n_layer;
  kc.n_head_kv = c.n_head_kv;
  kc.head_dim = c.head_dim;
  kc.capacity = n_ctx_;
  cache_ = std::make_unique<KvCache>(kc);
  const size_t B = max_batch_;
  const size_t qw = static_cast<size_t>(c.n_head) * c.head_dim, kvw = static_cast<size_t>(c.n_head_kv) * c.head_dim;
  x_.resize(B * c.n_embd);
  xb_.resize(B * c.n_embd);
  q_.resize(B * qw);
  k_.resize(B * kvw);
  v_.resize(B * kvw);
  att_.resize(B * qw);
  gate_.resize(B * c.n_ff);
  up_.resize(B * c.n_ff);
  branch_.resize(B * c.n_embd);
}

void Session::eval(const int* tokens, int n, float* logits, bool all_logits) {
  const int vocab = model_.config().n_vocab;
  for (int i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      throw InputError("token id " + std::to_string(tokens[i]) + " outside the vocabulary (0.." +
                       std::to_string(vocab - 1) + ")");
  if (n_past_ + n > n_ctx_)
    throw InputError("context full: " + std::to_string(n_past_ + n) + " tokens exceed the context size " +
                     std::to_string(n_ctx_) + " (raise -c)");
  for (int done = 0; done < n;) {
    const int m = std::min(max_batch_, n - done);
    const bool last_chunk = done + m == n;
    float* out = nullptr;
    if (logits && all_logits) out = logits + static_cast<size_t>(done) * vocab;
    if (logits && !all_logits && last_chunk) out = logits;
    forward_batch(tokens + done, m, out, all_logits);
    done += m;
  }
}

void Session::forward_batch(const int* tokens, int n, float* logits, bool all_logits) {
  const ModelConfig& c = model_.config();
  const FamilyFeatures& fe = c.features;
  const Weights& w = model_.weights();
  const int E = c.n_embd, F = c.n_ff;
  const size_t nE = static_cast<size_t>(n) * E;
  const int pos0 = n_past_;
  if (backend_.forward({model_, *cache_, pool_, tokens, n, pos0, logits, all_logits})) {  // device-resident pass
    n_past_ += n;
    return;
  }

  // x = embed(tokens) * embd_scale
  for (int t = 0; t < n; ++t) dequantize_row(w.token_embd, tokens[t], &x_[static_cast<size_t>(t) * E]);
  if (c.embd_scale != 1.0f)
    for (size_t i = 0; i < nE; ++i) x_[i] *= c.embd_scale;

  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];

    // h = rmsnorm(x) * attn_norm
    for (int t = 0; t < n; ++t) rmsnorm(&x_[t * E], L.attn_norm.f32(), &xb_[t * E], E, c.rms_eps);
    // q, k, v = h Wq (+ bq), h Wk (+ bk), h Wv (+ bv)
    {
      const Tensor* w_qkv[] = {&L.wq, &L.wk, &L.wv};
      float* y_qkv[] = {q_.data(), k_.data(), v_.data()};
      backend_.matmul_many(w_qkv, 3, xb_.data(), n, y_qkv);
    }
    // biases, q/k norms, rope, cache <- k, v ; a = softmax(attn_scale * q.K) V (model/attention_step.h)
    attention_step(model_, l, *cache_, pool_, {q_.data(), k_.data(), v_.data(), att_.data(), n, pos0});
    // x += (a Wo), normalised first when the family has post-norms
    backend_.matmul(L.wo, att_.data(), n, branch_.data());
    if (fe.post_norms)
      for (int t = 0; t < n; ++t) rmsnorm(&branch_[t * E], L.post_attn_norm.f32(), &branch_[t * E], E, c.rms_eps);
    for (size_t i = 0; i < nE; ++i) x_[i] += branch_[i];

    // h = rmsnorm(x) * ffn_norm ; f = (act(h Wgate) * (h Wup)) Wdown
    for (int t = 0; t < n; ++t) rmsnorm(&x_[t * E], L.ffn_norm.f32(), &xb_[t * E], E, c.rms_eps);
    {
      const Tensor* w_gu[] = {&L.ffn_gate, &L.ffn_up};
      float* y_gu[] = {gate_.data(), up_.data()};
      backend_.matmul_many(w_gu, 2, xb_.data(), n, y_gu);
    }
    if (fe.ffn_act == Activation::gelu_tanh) gelu_tanh_mul(gate_.data(), up_.data(), n * F);
    else silu_mul(gate_.data(), up_.data(), n * F);
    backend_.matmul(L.ffn_down, gate_.data(), n, branch_.data());
    // x += f, normalised first when the family has post-norms
    if (fe.post_norms)
      for (int t = 0; t < n; ++t) rmsnorm(&branch_[t * E], L.post_ffn_norm.f32(), &branch_[t * E], E, c.rms_eps);
    for (size_t i = 0; i < nE; ++i) x_[i] += branch_[i];
  }
  n_past_ += n;
  if (!logits) return;

  // logits = (rmsnorm(x) * output_norm) Wout, for the last row or every row
  const int first = all_logits ? 0 : n - 1;
  for (int t = first; t < n; ++t) rmsnorm(&x_[t * E], w.output_norm.f32(), &xb_[(t - first) * E], E, c.rms_eps);
  backend_.matmul(w.output, xb_.data(), n - first, logits);
}

}  // namespace quant
