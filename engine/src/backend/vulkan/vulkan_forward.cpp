// The Vulkan backend's forward pass: the math of model/forward.cpp (read that file first; the family
// flags are the same), with the residual stream and every activation resident on the device. Per layer,
// one command buffer carries the device work from the previous layer's attention output up to this
// layer's Q/K/V projections:
//   [device]  o = a Wo ; x += o, or x += rmsnorm(o) * post_attn_norm                 (previous layer)
//             h = rmsnorm(x) * ffn_norm ; f = (act(h Wgate) * (h Wup)) Wdown
//             x += f, or x += rmsnorm(f) * post_ffn_norm
//             h = rmsnorm(x) * attn_norm ; q, k, v = h Wq, h Wk, h Wv                    (this layer)
//   Q, K and V are one matmul over the stacked matrices, gate, up and the activation another.
//   [host]    q, k, v += biases ; per-head q/k norms ; rope(q, k) ; cache <- k, v ;
//             a = softmax(attn_scale * q.K) V over the layer's window
// The host part reads and writes the mapped device buffers in place, so every KV cache type works
// unchanged. Submits per forward batch: n_layer (one before each attention) + 1 (output), or n_layer
// when no logits are wanted. A family difference added to forward.cpp must be added here too (the
// parity tests over ../shared/reference/archs catch a pass that falls behind).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/attention_step.h"
#include "quant/kv_cache.h"
#include "quant/ops.h"
#include "vulkan_backend.h"

namespace quant::vk {

void VulkanBackend::run_layers(const ForwardBatch& b) {
  const ModelConfig& c = b.model.config();
  const FamilyFeatures& fe = c.features;
  const Weights& w = b.model.weights();
  const int n = b.n, hd = c.head_dim;
  const uint32_t E = c.n_embd, qw = c.n_head * hd, kvw = c.n_head_kv * hd;
  const uint32_t Ep = padded(E), Fp = padded(c.n_ff);  // device-only rows are padded (see vk_kernels.h)
  const Gate gate_act = fe.ffn_act == Activation::gelu_tanh ? Gate::gelu : Gate::silu;
  Activations& a = activations(c, n);
  const View x{&a.x, 0, Ep}, xb{&a.xb, 0, Ep}, hb{&a.hb, 0, Ep}, att{&a.att, 0, qw}, gate{&a.gate, 0, Fp};
  // q, k, v: dense rows for the host, one after the other in the qkv buffer
  const uint32_t k_off = a.batch * qw, v_off = k_off + a.batch * kvw;
  const Outputs qkv{&a.qkv, {qw, qw + kvw}, {0, k_off, v_off}, {qw, kvw, kvw}};
  uint64_t dispatches = 0;
  // y += o, through a norm first when the family has post-norms (o is then computed into hb).
  auto add_output = [&](const Tensor& W, View in, const Tensor& post_norm) {
    if (!fe.post_norms) {
      dispatches += kernels_.matmul(weight(W), in, n, x, true);
      return;
    }
    dispatches += kernels_.matmul(weight(W), in, n, hb, false);
    dev_.barrier();
    dispatches += kernels_.rmsnorm(hb, vector(post_norm), E, c.rms_eps, n, x, true);
  };

  // x = embed(tokens) * embd_scale, written straight into the device buffer
  for (int t = 0; t < n; ++t) {
    float* row = a.x.floats() + size_t(t) * Ep;
    dequantize_row(w.token_embd, b.tokens[t], row);
    if (c.embd_scale != 1.0f)
      for (uint32_t i = 0; i < E; ++i) row[i] *= c.embd_scale;
  }

  for (int l = 0; l < c.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];
    // [device] h = rmsnorm(x) * attn_norm ; q, k, v = h Wq, h Wk, h Wv
    dispatches += kernels_.rmsnorm(x, vector(L.attn_norm), E, c.rms_eps, n, xb, false);
    dev_.barrier();
    dispatches += kernels_.matmul(weights({&L.wq, &L.wk, &L.wv}, false), xb, n, qkv, false);
    submit();

    // [host] biases, q/k norms, rope, cache store, attention: the step forward.cpp runs too
    float* qh = a.qkv.floats();
    float* kh = qh + k_off;
    float* vh = qh + v_off;
    attention_step(b.model, l, b.cache, b.pool, {qh, kh, vh, a.att.floats(), n, b.pos0});
    if (l == c.n_layer - 1 && !b.logits) break;  // nothing reads x after the last layer's attention

    // [device] x += a Wo ; h = rmsnorm(x) * ffn_norm ; x += (act(h Wgate) * (h Wup)) Wdown
    add_output(L.wo, att, L.post_attn_norm);
    dev_.barrier();
    dispatches += kernels_.rmsnorm(x, vector(L.ffn_norm), E, c.rms_eps, n, xb, false);
    dev_.barrier();
    dispatches += kernels_.matmul(weights({&L.ffn_gate, &L.ffn_up}, true), xb, n, Outputs::one(gate), false, gate_act);
    dev_.barrier();
    add_output(L.ffn_down, gate, L.post_ffn_norm);
    dev_.barrier();
  }

  // logits = (rmsnorm(x) * output_norm) Wout, for the last row or every row (in slices that fit the buffer)
  if (b.logits) {
    const uint32_t V = c.n_vocab;
    for (int first = b.all_logits ? 0 : n - 1; first < n; first += a.logit_rows) {
      const int rows = std::min(a.logit_rows, n - first);
      dispatches += kernels_.rmsnorm({&a.x, first * Ep, Ep}, vector(w.output_norm), E, c.rms_eps, rows, xb, false);
      dev_.barrier();
      dispatches += kernels_.matmul(weight(w.output), xb, rows, View{&a.logits, 0, V}, false);
      submit();
      const int out_row = b.all_logits ? first : 0;
      std::memcpy(b.logits + size_t(out_row) * V, a.logits.mapped, size_t(rows) * V * sizeof(float));
    }
  }
  stats_.dispatches += dispatches;
}

}  // namespace quant::vk
