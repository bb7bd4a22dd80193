// The Vulkan backend's forward pass: the math of model/forward.cpp, with the residual stream and every
// activation resident on the device. Per layer, one command buffer carries the device work from the
// previous layer's attention output up to this layer's Q/K/V:
//   [device]  x += att Wo ; h = rmsnorm(x) ; x += (silu(h Wgate) * (h Wup)) Wdown     (previous layer)
//             h = rmsnorm(x) ; q, k, v = h Wq, h Wk, h Wv                            (this layer)
//   [host]    rope(q, k) ; cache <- k, v ; att = attention(q, cache)
// The host part reads and writes the mapped device buffers in place, so every KV cache type works
// unchanged. Submits per forward batch: n_layer (one before each attention) + 1 (output), or n_layer
// when no logits are wanted.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/kv_cache.h"
#include "quant/ops.h"
#include "vulkan_backend.h"

namespace quant::vk {

void VulkanBackend::run_layers(const ForwardBatch& b) {
  const ModelConfig& c = b.model.config();
  const Weights& w = b.model.weights();
  const int n = b.n;
  const uint32_t E = c.n_embd, hd = c.head_dim, qw = c.n_head * hd, kvw = c.n_head_kv * hd, F = c.n_ff;
  const uint32_t Ep = padded(E), Fp = padded(F);  // device-only rows are padded (see vk_kernels.h)
  Activations& a = activations(c, n);
  const View x{&a.x, 0, Ep}, xb{&a.xb, 0, Ep}, q{&a.q, 0, qw}, k{&a.k, 0, kvw}, v{&a.v, 0, kvw}, att{&a.att, 0, qw},
      gate{&a.gate, 0, Fp}, up{&a.up, 0, Fp};

  for (int t = 0; t < n; ++t) dequantize_row(w.token_embd, b.tokens[t], a.x.floats() + size_t(t) * Ep);

  AttentionParams ap;
  ap.n_head = c.n_head;
  ap.scale = 1.0f / std::sqrt(static_cast<float>(hd));
  uint64_t dispatches = 0;

  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];
    dispatches += kernels_.rmsnorm(x, vector(L.attn_norm), E, c.rms_eps, n, xb);
    dev_.barrier();
    dispatches += kernels_.matmul(weight(L.wq), xb, n, q, false);
    dispatches += kernels_.matmul(weight(L.wk), xb, n, k, false);
    dispatches += kernels_.matmul(weight(L.wv), xb, n, v, false);
    submit();

    float* qh = a.q.floats();
    float* kh = a.k.floats();
    const float* vh = a.v.floats();
    for (int t = 0; t < n; ++t) {
      rope(qh + size_t(t) * qw, c.n_head, hd, c.rope_dim, b.pos0 + t, c.rope_base, false);
      rope(kh + size_t(t) * kvw, c.n_head_kv, hd, c.rope_dim, b.pos0 + t, c.rope_base, false);
      b.cache.store(l, b.pos0 + t, kh + size_t(t) * kvw, vh + size_t(t) * kvw);
    }
    b.cache.attend_batch(b.pool, l, b.pos0, n, qh, a.att.floats(), ap);
    if (l == c.n_layer - 1 && !b.logits) break;  // nothing reads x after the last layer's attention

    dispatches += kernels_.matmul(weight(L.wo), att, n, x, true);
    dev_.barrier();
    dispatches += kernels_.rmsnorm(x, vector(L.ffn_norm), E, c.rms_eps, n, xb);
    dev_.barrier();
    dispatches += kernels_.matmul(weight(L.ffn_gate), xb, n, gate, false);
    dispatches += kernels_.matmul(weight(L.ffn_up), xb, n, up, false);
    dev_.barrier();
    dispatches += kernels_.silu_mul(a.gate, a.up, uint32_t(n) * Fp);
    dev_.barrier();
    dispatches += kernels_.matmul(weight(L.ffn_down), gate, n, x, true);
    dev_.barrier();
  }

  // logits = rmsnorm(x) Wout, for the last token or all of them (in slices that fit the logits buffer)
  if (b.logits) {
    const uint32_t V = c.n_vocab;
    for (int first = b.all_logits ? 0 : n - 1; first < n; first += a.logit_rows) {
      const int rows = std::min(a.logit_rows, n - first);
      dispatches += kernels_.rmsnorm({&a.x, first * Ep, Ep}, vector(w.output_norm), E, c.rms_eps, rows, xb);
      dev_.barrier();
      dispatches += kernels_.matmul(weight(w.output), xb, rows, {&a.logits, 0, V}, false);
      submit();
      const int out_row = b.all_logits ? first : 0;
      std::memcpy(b.logits + size_t(out_row) * V, a.logits.mapped, size_t(rows) * V * sizeof(float));
    }
  }
  stats_.dispatches += dispatches;
}

}  // namespace quant::vk
