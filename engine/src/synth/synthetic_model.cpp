#include "quant/synthetic_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "quant/blocks.h"
#include "quant/half.h"
#include "model/families.h"

namespace quant {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t hash_name(std::string_view s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// Approximately normal values with the given standard deviation: the sum of four 16-bit uniforms
// (Irwin-Hall), centred and scaled to unit variance. Cheap enough for billions of weights.
void fill_random(float* out, int64_t n, uint64_t seed, float stddev) {
  uint64_t state = seed;
  const float scale = stddev * std::sqrt(3.0f) / 65536.0f;  // var of the sum of 4 U(0,1) is 1/3
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = splitmix64(state);
    const float sum = static_cast<float>((r & 0xffff) + (r >> 16 & 0xffff) + (r >> 32 & 0xffff) + (r >> 48));
    out[i] = (sum - 2.0f * 65535.0f) * scale;
  }
}

// llama-quantize's choice of layers that get more bits in Q4_K_M (attn_v, ffn_down).
bool more_bits(int layer, int n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

int layer_of(std::string_view name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::atoi(std::string(name.substr(4)).c_str());
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

GgmlType k_fallback(GgmlType t, int64_t cols) {
  if (cols % kQK_K == 0) return t;
  switch (t) {
    case GgmlType::Q4_K: return GgmlType::Q5_0;
    case GgmlType::Q5_K: return GgmlType::Q5_1;
    case GgmlType::Q6_K: return GgmlType::Q8_0;
    default: return t;
  }
}

}  // namespace

GgmlType synthetic_tensor_type(const SyntheticSpec& s, std::string_view name, int64_t cols) {
  GgmlType t = s.weight_type;
  if (s.mix == WeightMix::q4_k_m) {
    t = GgmlType::Q4_K;
    const bool output = name == "output.weight" || (name == "token_embd.weight" && s.tied_embeddings);
    if (output) t = GgmlType::Q6_K;
    if ((ends_with(name, ".attn_v.weight") || ends_with(name, ".ffn_down.weight")) && more_bits(layer_of(name), s.n_layer))
      t = GgmlType::Q6_K;
  }
  t = k_fallback(t, cols);
  auto info = ggml_type_info(static_cast<uint32_t>(t));
  if (info && cols % info->block_elems != 0) t = GgmlType::F16;  // e.g. a 32-block type on odd widths
  return t;
}

std::optional<SyntheticSpec> synthetic_preset(std::string_view name) {
  SyntheticSpec s;
  s.name = "synthetic-" + std::string(name);
  if (name == "tiny") return s;
  if (name == "tinyllama-1.1b") {  // TinyLlama-1.1B: Llama 2 architecture, GQA 8:1, untied output
    s.n_embd = 2048; s.n_layer = 22; s.n_head = 32; s.n_head_kv = 4; s.n_ff = 5632; s.n_vocab = 32000;
    s.n_ctx_train = 2048; s.rope_base = 10000; s.tied_embeddings = false;
    return s;
  }
  if (name == "smollm2-135m") {  // SmolLM2-135M: GQA 3:1, tied embeddings
    s.n_embd = 576; s.n_layer = 30; s.n_head = 9; s.n_head_kv = 3; s.n_ff = 1536; s.n_vocab = 49152;
    s.n_ctx_train = 8192; s.rope_base = 100000; s.tied_embeddings = true;
    return s;
  }
  if (name == "llama3.2-1b") {  // Llama-3.2-1B: GQA 4:1, tied embeddings, 128256-token vocabulary
    // context_length is 8192 rather than 131072 so default sessions stay small; rope_freqs is omitted
    // (it changes values, not the work per token).
    s.n_embd = 2048; s.n_layer = 16; s.n_head = 32; s.n_head_kv = 8; s.n_ff = 8192; s.n_vocab = 128256;
    s.n_ctx_train = 8192; s.rope_base = 500000; s.tied_embeddings = true;
    return s;
  }
  // The other families at the shapes users run (context_length capped at 8192 like llama3.2-1b).
  if (name == "qwen2.5-0.5b") {  // Qwen2.5-0.5B: Q/K/V biases, GQA 7:1, tied
    s.arch = "qwen2"; s.n_embd = 896; s.n_layer = 24; s.n_head = 14; s.n_head_kv = 2; s.n_ff = 4864;
    s.n_vocab = 151936; s.n_ctx_train = 8192; s.rope_base = 1000000; s.tied_embeddings = true;
    return s;
  }
  if (name == "qwen3-0.6b") {  // Qwen3-0.6B: q/k norms, head_dim 128 (Q width 2048 > n_embd), tied
    s.arch = "qwen3"; s.n_embd = 1024; s.n_layer = 28; s.n_head = 16; s.n_head_kv = 8; s.head_dim = 128;
    s.n_ff = 3072; s.n_vocab = 151936; s.n_ctx_train = 8192; s.rope_base = 1000000; s.tied_embeddings = true;
    return s;
  }
  if (name == "gemma3-1b") {  // Gemma-3-1B: MQA, head_dim 256, 5 of 6 layers with a 512-token window, tied
    s.arch = "gemma3"; s.n_embd = 1152; s.n_layer = 26; s.n_head = 4; s.n_head_kv = 1; s.head_dim = 256;
    s.n_ff = 6912; s.n_vocab = 262144; s.n_ctx_train = 8192; s.rope_base = 1000000; s.sliding_window = 512;
    s.tied_embeddings = true;
    return s;
  }
  if (name == "phi3-mini") {  // Phi-3-mini-4k: fused QKV and gate/up, MHA, head_dim 96, untied
    s.arch = "phi3"; s.n_embd = 3072; s.n_layer = 32; s.n_head = 32; s.n_head_kv = 32; s.n_ff = 8192;
    s.n_vocab = 32064; s.n_ctx_train = 4096; s.rope_base = 10000; s.tied_embeddings = false;
    return s;
  }
  return std::nullopt;
}

std::vector<std::string> synthetic_weight_type_names() {
  return {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"};
}

std::optional<SyntheticWeights> synthetic_weight_type(std::string_view name) {
  if (name == "Q4_K_M") return SyntheticWeights{GgmlType::Q4_K, WeightMix::q4_k_m};
  const auto names = synthetic_weight_type_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) return std::nullopt;
  for (uint32_t id = 0; id < 64; ++id)
    if (auto info = ggml_type_info(id); info && info->name == name) return SyntheticWeights{info->type, WeightMix::uniform};
  return std::nullopt;
}

std::optional<SyntheticSpec> synthetic_spec(std::string_view preset, std::string_view type, int layers, int ctx,
                                            uint64_t seed) {
  auto spec = synthetic_preset(preset);
  const auto weights = synthetic_weight_type(type);
  if (!spec || !weights) return std::nullopt;
  spec->weight_type = weights->weight_type;
  spec->mix = weights->mix;
  if (layers) spec->n_layer = layers;
  if (ctx) spec->n_ctx_train = ctx;
  spec->seed = seed;
  spec->name += "-" + std::string(type);
  return spec;
}

std::vector<std::string> synthetic_preset_names() {
  return {"tinyllama-1.1b", "smollm2-135m", "llama3.2-1b", "qwen2.5-0.5b", "qwen3-0.6b", "gemma3-1b", "phi3-mini",
          "tiny"};
}

namespace {

// The metadata keys the loader reads for the architecture: sizes, heads, norms, RoPE, sliding window.
void set_hyperparameters(GgufWriter& w, const SyntheticSpec& s, const FamilyFeatures& fam, int hd) {
  const std::string a = s.arch + ".";
  w.set_string("general.architecture", s.arch);
  w.set_string("general.name", s.name);
  w.set_bool("quant.synthetic", true);
  w.set_u32(a + "context_length", s.n_ctx_train);
  w.set_u32(a + "embedding_length", s.n_embd);
  w.set_u32(a + "block_count", s.n_layer);
  w.set_u32(a + "feed_forward_length", s.n_ff);
  w.set_u32(a + "attention.head_count", s.n_head);
  w.set_u32(a + "attention.head_count_kv", s.n_head_kv);
  w.set_u32(a + "attention.key_length", hd);
  w.set_u32(a + "attention.value_length", hd);
  w.set_u32(a + "rope.dimension_count", hd);
  w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (s.rope_base > 0) w.set_f32(a + "rope.freq_base", s.rope_base);
  if (fam.swa_period > 0) w.set_u32(a + "attention.sliding_window", s.sliding_window);
}

// Vocabulary: <unk> <s> </s>, 256 byte tokens, then pieces made of letters (with and without U+2581).
void set_vocabulary(GgufWriter& w, const SyntheticSpec& s) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    tokens.push_back(buf);
    scores.push_back(0);
    types.push_back(6);
  }
  const std::string space = "\xe2\x96\x81";
  for (int i = 0; static_cast<int>(tokens.size()) < s.n_vocab; ++i) {
    std::string piece = (i % 2 ? "" : space);
    int x = i / 2;
    do { piece += static_cast<char>('a' + x % 26); x /= 26; } while (x > 0);
    tokens.push_back(piece);
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
}

// Each tensor is generated (and quantised) when the file is written, rows split across threads;
// row r of tensor `name` always draws from the same seed, so the bytes do not depend on threading.
class LazyTensors {
 public:
  LazyTensors(GgufWriter& w, const SyntheticSpec& s) : w_(w), s_(s) {}

  // cols x rows values drawn from N(0, stddev^2), of the spec's type for `name` (matrices) or `type`.
  void random(const std::string& name, int64_t cols, int64_t rows, GgmlType type, float stddev) const {
    const GgmlType t = rows > 1 ? synthetic_tensor_type(s_, name, cols) : type;
    std::vector<uint64_t> dims = rows > 1 ? std::vector<uint64_t>{uint64_t(cols), uint64_t(rows)}
                                          : std::vector<uint64_t>{uint64_t(cols)};
    const uint64_t tensor_seed = hash_name(name) ^ (s_.seed * 0x9e3779b97f4a7c15ull);
    const int threads = std::max(1, s_.threads);
    w_.add_tensor_lazy(name, dims, t, [=](uint8_t* dst) {
      auto info = ggml_type_info(static_cast<uint32_t>(t));
      const size_t row_bytes = static_cast<size_t>(cols / info->block_elems) * info->block_bytes;
      auto work = [&](int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
          uint64_t row_seed = tensor_seed + static_cast<uint64_t>(r);
          fill_random(row.data(), cols, splitmix64(row_seed), stddev);
          encode_row(t, row.data(), dst + r * row_bytes, static_cast<int>(cols));
        }
      };
      const int n = rows * cols >= (1 << 20) ? threads : 1;
      std::vector<std::thread> pool;
      for (int i = 1; i < n; ++i) pool.emplace_back(work, rows * i / n, rows * (i + 1) / n);
      work(0, rows / n);
      for (auto& th : pool) th.join();
    });
  }
  // n F32 ones (norm weights).
  void ones(const std::string& name, int64_t n) const {
    w_.add_tensor_lazy(name, {uint64_t(n)}, GgmlType::F32, [n](uint8_t* dst) {
      const float one = 1.0f;
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + 4 * i, &one, 4);
    });
  }

 private:
  GgufWriter& w_;
  const SyntheticSpec& s_;
};

// Every tensor the family's layers have, in the order and shapes of a converted model.
void add_tensors(GgufWriter& w, const SyntheticSpec& s, const FamilyFeatures& fam, int hd) {
  const LazyTensors add(w, s);
  const int64_t E = s.n_embd, Q = int64_t(s.n_head) * hd, KV = int64_t(s.n_head_kv) * hd, F = s.n_ff;
  add.random("token_embd.weight", E, s.n_vocab, s.weight_type, 1.0f);
  add.ones("output_norm.weight", E);
  if (!s.tied_embeddings) add.random("output.weight", E, s.n_vocab, s.weight_type, 1.0f / std::sqrt(float(E)));
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add.ones(p + "attn_norm.weight", E);
    if (fam.fused_qkv) {
      add.random(p + "attn_qkv.weight", E, Q + 2 * KV, s.weight_type, 1.0f / std::sqrt(float(E)));
    } else {
      add.random(p + "attn_q.weight", E, Q, s.weight_type, 1.0f / std::sqrt(float(E)));
      add.random(p + "attn_k.weight", E, KV, s.weight_type, 1.0f / std::sqrt(float(E)));
      add.random(p + "attn_v.weight", E, KV, s.weight_type, 1.0f / std::sqrt(float(E)));
    }
    if (fam.qkv_bias) {
      add.random(p + "attn_q.bias", Q, 1, GgmlType::F32, 0.05f);
      add.random(p + "attn_k.bias", KV, 1, GgmlType::F32, 0.05f);
      add.random(p + "attn_v.bias", KV, 1, GgmlType::F32, 0.05f);
    }
    if (fam.qk_norm) {
      add.ones(p + "attn_q_norm.weight", hd);
      add.ones(p + "attn_k_norm.weight", hd);
    }
    add.random(p + "attn_output.weight", Q, E, s.weight_type, 1.0f / std::sqrt(float(Q)));
    if (fam.post_norms) add.ones(p + "post_attention_norm.weight", E);
    add.ones(p + "ffn_norm.weight", E);
    if (fam.fused_gate_up) {
      add.random(p + "ffn_up.weight", E, 2 * F, s.weight_type, 1.0f / std::sqrt(float(E)));
    } else {
      add.random(p + "ffn_gate.weight", E, F, s.weight_type, 1.0f / std::sqrt(float(E)));
      add.random(p + "ffn_up.weight", E, F, s.weight_type, 1.0f / std::sqrt(float(E)));
    }
    add.random(p + "ffn_down.weight", F, E, s.weight_type, 1.0f / std::sqrt(float(F)));
    if (fam.post_norms) add.ones(p + "post_ffw_norm.weight", E);
  }
}

}  // namespace

GgufWriter make_synthetic_model(const SyntheticSpec& s) {
  const FamilyFeatures* fam = family_features(s.arch);
  if (!fam) throw std::invalid_argument("synthetic model: unsupported architecture '" + s.arch + "'");
  if (s.n_vocab < 259 || (s.head_dim == 0 && s.n_embd % s.n_head != 0) || s.n_head % s.n_head_kv != 0)
    throw std::invalid_argument("synthetic model: inconsistent spec");
  const int hd = s.head_dim > 0 ? s.head_dim : s.n_embd / s.n_head;
  GgufWriter w;
  set_hyperparameters(w, s, *fam, hd);
  set_vocabulary(w, s);
  add_tensors(w, s, *fam, hd);
  return w;
}

}  // namespace quant
