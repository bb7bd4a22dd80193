// The transformer forward pass, one batch of consecutive positions at a time:
//   x = embed(tokens)
//   per layer:  h = rmsnorm(x) ; q,k,v = h Wq, h Wk, h Wv ; rope(q, k) ; cache <- k, v
//               x += attention(q, cache) Wo
//               h = rmsnorm(x) ; x += (silu(h Wgate) * (h Wup)) Wdown
//   logits = rmsnorm(x) Wout
#include <algorithm>
#include <cmath>

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
  xb_.resize(B * std::max<size_t>(c.n_embd, qw));
  q_.resize(B * qw);
  k_.resize(B * kvw);
  v_.resize(B * kvw);
  att_.resize(B * qw);
  gate_.resize(B * c.n_ff);
  up_.resize(B * c.n_ff);
  hb_.resize(B * c.n_embd);
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
  const Weights& w = model_.weights();
  const int E = c.n_embd, hd = c.head_dim;
  const int qw = c.n_head * hd, kvw = c.n_head_kv * hd;
  const int pos0 = n_past_;
  if (backend_.forward({model_, *cache_, pool_, tokens, n, pos0, logits, all_logits})) {  // device-resident pass
    n_past_ += n;
    return;
  }

  for (int t = 0; t < n; ++t) dequantize_row(w.token_embd, tokens[t], &x_[static_cast<size_t>(t) * E]);

  AttentionParams ap;
  ap.n_head = c.n_head;
  ap.scale = 1.0f / std::sqrt(static_cast<float>(hd));

  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];
    const float* attn_norm = reinterpret_cast<const float*>(L.attn_norm.data);
    for (int t = 0; t < n; ++t) rmsnorm(&x_[t * E], attn_norm, &xb_[t * E], E, c.rms_eps);
    backend_.matmul(L.wq, xb_.data(), n, q_.data());
    backend_.matmul(L.wk, xb_.data(), n, k_.data());
    backend_.matmul(L.wv, xb_.data(), n, v_.data());
    for (int t = 0; t < n; ++t) {
      rope(&q_[static_cast<size_t>(t) * qw], c.n_head, hd, c.rope_dim, pos0 + t, c.rope_base, false);
      rope(&k_[static_cast<size_t>(t) * kvw], c.n_head_kv, hd, c.rope_dim, pos0 + t, c.rope_base, false);
      cache_->store(l, pos0 + t, &k_[static_cast<size_t>(t) * kvw], &v_[static_cast<size_t>(t) * kvw]);
    }
    cache_->attend_batch(pool_, l, pos0, n, q_.data(), att_.data(), ap);
    backend_.matmul(L.wo, att_.data(), n, hb_.data());
    for (size_t i = 0; i < static_cast<size_t>(n) * E; ++i) x_[i] += hb_[i];

    const float* ffn_norm = reinterpret_cast<const float*>(L.ffn_norm.data);
    for (int t = 0; t < n; ++t) rmsnorm(&x_[t * E], ffn_norm, &xb_[t * E], E, c.rms_eps);
    backend_.matmul(L.ffn_gate, xb_.data(), n, gate_.data());
    backend_.matmul(L.ffn_up, xb_.data(), n, up_.data());
    silu_mul(gate_.data(), up_.data(), n * c.n_ff);
    backend_.matmul(L.ffn_down, gate_.data(), n, hb_.data());
    for (size_t i = 0; i < static_cast<size_t>(n) * E; ++i) x_[i] += hb_[i];
  }
  n_past_ += n;
  if (!logits) return;

  const float* out_norm = reinterpret_cast<const float*>(w.output_norm.data);
  const int first = all_logits ? 0 : n - 1;
  for (int t = first; t < n; ++t) rmsnorm(&x_[t * E], out_norm, &xb_[(t - first) * E], E, c.rms_eps);
  backend_.matmul(w.output, xb_.data(), n - first, logits);
}

}  // namespace quant
