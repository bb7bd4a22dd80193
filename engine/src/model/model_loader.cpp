// Reads the model configuration from GGUF metadata and binds every tensor, checking shapes and types.
#include <cmath>

#include "quant/error.h"
#include "quant/matmul.h"
#include "quant/model.h"
#include "families.h"

namespace quant {

namespace {

int checked_int(const GgufFile& f, const std::string& key, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi)
    throw InputError(f.path() + ": key " + key + ": value " + std::to_string(v) + " outside " + std::to_string(lo) +
                     ".." + std::to_string(hi));
  return static_cast<int>(v);
}

class Binder {
 public:
  explicit Binder(const GgufFile& f) : f_(f) {}

  // Binds a tensor that must exist with exactly the given dims (ne0 first).
  Tensor bind(const std::string& name, std::vector<int64_t> dims, bool needs_matmul) const {
    const GgufTensorInfo* ti = f_.find_tensor(name);
    if (!ti) throw InputError(f_.path() + ": missing required tensor " + name);
    return make(*ti, dims, needs_matmul);
  }
  Tensor bind_optional(const std::string& name, std::vector<int64_t> dims, bool needs_matmul) const {
    const GgufTensorInfo* ti = f_.find_tensor(name);
    return ti ? make(*ti, dims, needs_matmul) : Tensor{};
  }

 private:
  Tensor make(const GgufTensorInfo& ti, const std::vector<int64_t>& dims, bool needs_matmul) const {
    std::string want, got;
    for (auto d : dims) want += (want.empty() ? "" : " x ") + std::to_string(d);
    for (auto d : ti.dims) got += (got.empty() ? "" : " x ") + std::to_string(d);
    bool ok = ti.dims.size() == dims.size();
    for (size_t i = 0; ok && i < dims.size(); ++i) ok = static_cast<int64_t>(ti.dims[i]) == dims[i];
    if (!ok) throw InputError(f_.path() + ": tensor " + ti.name + " has shape " + got + ", expected " + want);
    if (needs_matmul ? !matmul_supports(ti.type) : ti.type != GgmlType::F32 && !matmul_supports(ti.type))
      throw InputError(f_.path() + ": tensor " + ti.name + " has type " + std::string(ggml_type_name(ti.type)) +
                       ", which this engine does not support");
    Tensor t;
    t.name = ti.name;
    t.type = ti.type;
    for (size_t i = 0; i < ti.dims.size(); ++i) t.ne[i] = static_cast<int64_t>(ti.dims[i]);
    t.data = ti.data;
    t.row_bytes = static_cast<size_t>(ti.n_bytes / (ti.n_elements / ti.dims[0]));
    return t;
  }
  const GgufFile& f_;
};

// Linear RoPE scaling ("position interpolation"): returns the factor positions are multiplied by.
float linear_rope_scale(const GgufFile& f, const std::string& a) {
  std::string type = f.has(a + "rope.scaling.type") ? std::string(f.get_string(a + "rope.scaling.type")) : "";
  std::string factor_key = a + "rope.scaling.factor";
  if (type.empty() && f.has(a + "rope.scale_linear")) {  // older files
    type = "linear";
    factor_key = a + "rope.scale_linear";
  }
  if (type.empty() || type == "none") return 1.0f;
  if (type != "linear")
    throw InputError(f.path() + ": key " + a + "rope.scaling.type: unsupported RoPE scaling '" + type +
                     "' (supported: none, linear)");
  const double factor = f.get_float(factor_key);
  if (!(factor >= 1 && std::isfinite(factor)))
    throw InputError(f.path() + ": key " + factor_key + ": " + std::to_string(factor) + " must be >= 1");
  return static_cast<float>(1.0 / factor);
}

ModelConfig read_config(const GgufFile& f) {
  ModelConfig c;
  c.arch = std::string(f.get_string("general.architecture"));
  const FamilyFeatures* family = family_features(c.arch);
  if (!family)
    throw InputError(f.path() + ": unsupported architecture '" + c.arch + "' (supported: " + supported_architectures() +
                     ")");
  c.features = *family;
  const std::string a = c.arch + ".";
  const uint64_t kMaxDim = 1 << 20;
  c.n_embd = checked_int(f, a + "embedding_length", f.get_uint(a + "embedding_length"), 1, kMaxDim);
  c.n_layer = checked_int(f, a + "block_count", f.get_uint(a + "block_count"), 1, 4096);
  c.n_head = checked_int(f, a + "attention.head_count", f.get_uint(a + "attention.head_count"), 1, 4096);
  c.n_head_kv = checked_int(f, a + "attention.head_count_kv",
                            f.get_uint_or(a + "attention.head_count_kv", static_cast<uint64_t>(c.n_head)), 1, 4096);
  if (c.n_head % c.n_head_kv != 0)
    throw InputError(f.path() + ": key " + a + "attention.head_count_kv: " + std::to_string(c.n_head_kv) +
                     " does not divide head_count " + std::to_string(c.n_head));
  uint64_t default_hd = c.n_embd % c.n_head == 0 ? static_cast<uint64_t>(c.n_embd / c.n_head) : 0;
  c.head_dim = checked_int(f, a + "attention.key_length", f.get_uint_or(a + "attention.key_length", default_hd), 2, 1024);
  if (c.head_dim % 2 != 0) throw InputError(f.path() + ": head dimension " + std::to_string(c.head_dim) + " is odd");
  if (f.has(a + "attention.value_length") && f.get_uint(a + "attention.value_length") != static_cast<uint64_t>(c.head_dim))
    throw InputError(f.path() + ": key " + a + "attention.value_length: " +
                     std::to_string(f.get_uint(a + "attention.value_length")) + " differs from key_length " +
                     std::to_string(c.head_dim) + ", which this engine does not support");
  c.n_ff = checked_int(f, a + "feed_forward_length", f.get_uint(a + "feed_forward_length"), 1, kMaxDim * 8);
  c.n_ctx_train = checked_int(f, a + "context_length", f.get_uint_or(a + "context_length", 2048), 1, 1 << 24);
  c.rms_eps = static_cast<float>(f.get_float_or(a + "attention.layer_norm_rms_epsilon", 1e-5));
  if (!(c.rms_eps > 0 && c.rms_eps < 1))
    throw InputError(f.path() + ": key " + a + "attention.layer_norm_rms_epsilon: " + std::to_string(c.rms_eps) + " is not in (0, 1)");
  c.rope_base = static_cast<float>(f.get_float_or(a + "rope.freq_base", 10000.0));
  if (!(c.rope_base > 1 && std::isfinite(c.rope_base)))
    throw InputError(f.path() + ": key " + a + "rope.freq_base: " + std::to_string(c.rope_base) + " must be > 1");
  c.rope_dim = checked_int(f, a + "rope.dimension_count", f.get_uint_or(a + "rope.dimension_count", c.head_dim), 2,
                           c.head_dim);
  if (c.rope_dim % 2 != 0) throw InputError(f.path() + ": key " + a + "rope.dimension_count is odd");
  const float rope_scale = linear_rope_scale(f, a);

  const FamilyFeatures& fe = c.features;
  c.embd_scale = fe.scale_embeddings ? std::sqrt(static_cast<float>(c.n_embd)) : 1.0f;
  // Gemma 3 27B was trained with query_pre_attn_scalar = n_embd / n_head instead of head_dim.
  const bool gemma3_27b = c.arch == "gemma3" && c.n_layer == 62;
  c.attn_scale = 1.0f / std::sqrt(static_cast<float>(gemma3_27b ? c.n_embd / c.n_head : c.head_dim));

  // Sliding-window families: local layers use their own RoPE base and no RoPE scaling.
  int period = 0;
  float local_base = c.rope_base;
  if (fe.swa_period > 0) {
    c.sliding_window = checked_int(f, a + "attention.sliding_window", f.get_uint(a + "attention.sliding_window"), 1, 1 << 24);
    period = checked_int(f, a + "attention.sliding_window_pattern",
                         f.get_uint_or(a + "attention.sliding_window_pattern", fe.swa_period), 1, 4096);
    local_base = static_cast<float>(f.get_float_or(a + "rope.freq_base_swa", 10000.0));
    if (!(local_base > 1 && std::isfinite(local_base)))
      throw InputError(f.path() + ": key " + a + "rope.freq_base_swa: " + std::to_string(local_base) + " must be > 1");
  }
  c.layers.resize(c.n_layer);
  for (int l = 0; l < c.n_layer; ++l) {
    LayerConfig& lc = c.layers[l];
    const bool local = period > 0 && l % period != period - 1;
    lc.window = local ? c.sliding_window : 0;
    lc.rope_base = local ? local_base : c.rope_base;
    lc.rope_freq_scale = local ? 1.0f : rope_scale;
  }
  return c;
}

// Pair i of layer l turns by pos * freq_scale * base^(-2i/rope_dim) / factor[i] radians.
void fill_rope_freqs(ModelConfig& c, const float* factors) {
  for (LayerConfig& lc : c.layers) {
    lc.rope_freqs.resize(c.rope_dim / 2);
    for (int i = 0; i < c.rope_dim / 2; ++i) {
      double w = lc.rope_freq_scale * std::pow(static_cast<double>(lc.rope_base), -2.0 * i / c.rope_dim);
      if (factors) w /= factors[i];
      lc.rope_freqs[i] = static_cast<float>(w);
    }
  }
}

// Rows [r0, r0 + n) of a matrix, as a matrix of its own (fused projections are bound as views).
Tensor row_view(const Tensor& t, int64_t r0, int64_t n, const std::string& part) {
  Tensor v = t;
  v.name = t.name + "[" + part + "]";
  v.ne[1] = n;
  v.data = t.row(r0);
  return v;
}

// The tensors of block l, shaped by the config; fused QKV and gate/up matrices become row views.
LayerWeights bind_layer(Binder& b, const ModelConfig& c, int l) {
  const FamilyFeatures& fe = c.features;
  const int64_t E = c.n_embd, Q = int64_t(c.n_head) * c.head_dim, KV = int64_t(c.n_head_kv) * c.head_dim, F = c.n_ff;
  const std::string p = "blk." + std::to_string(l) + ".";
  LayerWeights L;
  L.attn_norm = b.bind(p + "attn_norm.weight", {E}, false);
  if (fe.fused_qkv) {
    const Tensor qkv = b.bind(p + "attn_qkv.weight", {E, Q + 2 * KV}, true);
    L.wq = row_view(qkv, 0, Q, "q");
    L.wk = row_view(qkv, Q, KV, "k");
    L.wv = row_view(qkv, Q + KV, KV, "v");
  } else {
    L.wq = b.bind(p + "attn_q.weight", {E, Q}, true);
    L.wk = b.bind(p + "attn_k.weight", {E, KV}, true);
    L.wv = b.bind(p + "attn_v.weight", {E, KV}, true);
  }
  if (fe.qkv_bias) {
    L.bq = b.bind(p + "attn_q.bias", {Q}, false);
    L.bk = b.bind(p + "attn_k.bias", {KV}, false);
    L.bv = b.bind(p + "attn_v.bias", {KV}, false);
  }
  if (fe.qk_norm) {
    L.q_norm = b.bind(p + "attn_q_norm.weight", {c.head_dim}, false);
    L.k_norm = b.bind(p + "attn_k_norm.weight", {c.head_dim}, false);
  }
  L.wo = b.bind(p + "attn_output.weight", {Q, E}, true);
  if (fe.post_norms) L.post_attn_norm = b.bind(p + "post_attention_norm.weight", {E}, false);
  L.ffn_norm = b.bind(p + "ffn_norm.weight", {E}, false);
  if (fe.fused_gate_up) {
    const Tensor gate_up = b.bind(p + "ffn_up.weight", {E, 2 * F}, true);
    L.ffn_gate = row_view(gate_up, 0, F, "gate");
    L.ffn_up = row_view(gate_up, F, F, "up");
  } else {
    L.ffn_gate = b.bind(p + "ffn_gate.weight", {E, F}, true);
    L.ffn_up = b.bind(p + "ffn_up.weight", {E, F}, true);
  }
  L.ffn_down = b.bind(p + "ffn_down.weight", {F, E}, true);
  if (fe.post_norms) L.post_ffn_norm = b.bind(p + "post_ffw_norm.weight", {E}, false);
  return L;
}

// Norms, biases and frequency factors are read as float in the forward pass.
void require_f32_vectors(const Weights& w, const Tensor& rope_freqs, const std::string& path) {
  auto require_f32 = [&](const Tensor& t) {
    if (t.present() && t.type != GgmlType::F32) throw InputError(path + ": tensor " + t.name + " must be F32");
  };
  require_f32(w.output_norm);
  require_f32(rope_freqs);
  for (const auto& L : w.layers)
    for (const Tensor* t : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv, &L.q_norm, &L.k_norm, &L.post_attn_norm,
                            &L.post_ffn_norm})
      require_f32(*t);
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, WeightMemory memory) {
  auto m = std::make_unique<Model>();
  m->file_ = GgufFile::open(path, memory);
  const GgufFile& f = *m->file_;
  ModelConfig& c = m->config_;
  c = read_config(f);

  Binder b(f);
  const GgufTensorInfo* emb = f.find_tensor("token_embd.weight");
  if (!emb) throw InputError(path + ": missing required tensor token_embd.weight");
  if (emb->dims.size() != 2 || emb->dims[1] > (1u << 24))
    throw InputError(path + ": tensor token_embd.weight must be 2-D with at most 2^24 rows");
  c.n_vocab = static_cast<int>(emb->dims[1]);

  const int64_t E = c.n_embd;
  Weights& w = m->weights_;
  w.token_embd = b.bind("token_embd.weight", {E, c.n_vocab}, false);
  w.output_norm = b.bind("output_norm.weight", {E}, false);
  w.output = b.bind_optional("output.weight", {E, c.n_vocab}, true);
  c.tied_embeddings = !w.output.present();
  if (c.tied_embeddings) {
    if (!matmul_supports(w.token_embd.type))
      throw InputError(path + ": tied token_embd.weight has a type this engine cannot multiply by");
    w.output = w.token_embd;
  }
  if (f.find_tensor("rope_factors_long.weight"))
    throw InputError(path + ": tensor rope_factors_long.weight: LongRoPE (128k-context Phi-3) is not supported");
  const GgufTensorInfo* rf = f.find_tensor("rope_freqs.weight");
  Tensor rope_freqs;
  if (rf) {
    rope_freqs = b.bind("rope_freqs.weight", {c.rope_dim / 2}, false);
    c.features.rope_freq_factors = true;
  }
  // Every block the metadata promises must be present; a count far beyond the tensors fails here.
  w.layers.resize(c.n_layer);
  for (int l = 0; l < c.n_layer; ++l) w.layers[l] = bind_layer(b, c, l);
  for (const auto& t : f.tensors()) m->n_params_ += t.n_elements;
  require_f32_vectors(w, rope_freqs, path);
  const float* factors = rope_freqs.present() ? reinterpret_cast<const float*>(rope_freqs.data) : nullptr;
  for (int i = 0; factors && i < c.rope_dim / 2; ++i)
    if (!(factors[i] > 0 && std::isfinite(factors[i])))
      throw InputError(path + ": tensor rope_freqs.weight: entry " + std::to_string(i) + " is not a positive number");
  fill_rope_freqs(c, factors);
  return m;
}

}  // namespace quant
