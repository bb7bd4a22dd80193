#include "quant/synthetic_model.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

#include "quant/blocks.h"
#include "quant/half.h"
#include "model/families.h"

namespace quant {

namespace {

std::vector<uint8_t> encode_rows(const std::vector<float>& v, int64_t row_len, GgmlType type) {
  std::vector<uint8_t> out;
  const int64_t rows = static_cast<int64_t>(v.size()) / row_len;
  switch (type) {
    case GgmlType::F32:
      out.resize(v.size() * 4);
      std::memcpy(out.data(), v.data(), out.size());
      break;
    case GgmlType::F16: case GgmlType::BF16: {
      out.resize(v.size() * 2);
      auto* h = reinterpret_cast<uint16_t*>(out.data());
      for (size_t i = 0; i < v.size(); ++i) h[i] = type == GgmlType::F16 ? fp32_to_fp16(v[i]) : fp32_to_bf16(v[i]);
      break;
    }
    case GgmlType::Q8_0:
      out.resize(v.size() / kQK * sizeof(BlockQ8_0));
      for (int64_t r = 0; r < rows; ++r)
        quantize_row_q8_0(&v[r * row_len], reinterpret_cast<BlockQ8_0*>(out.data()) + r * row_len / kQK,
                          static_cast<int>(row_len));
      break;
    case GgmlType::Q4_0:
      out.resize(v.size() / kQK * sizeof(BlockQ4_0));
      for (int64_t r = 0; r < rows; ++r)
        quantize_row_q4_0(&v[r * row_len], reinterpret_cast<BlockQ4_0*>(out.data()) + r * row_len / kQK,
                          static_cast<int>(row_len));
      break;
    default: throw std::invalid_argument("synthetic model: unsupported weight type");
  }
  return out;
}

}  // namespace

GgufWriter make_synthetic_model(const SyntheticSpec& s) {
  const FamilyFeatures* fam = family_features(s.arch);
  if (!fam) throw std::invalid_argument("synthetic model: unsupported architecture '" + s.arch + "'");
  if (s.n_vocab < 259 || (s.head_dim == 0 && s.n_embd % s.n_head != 0) || s.n_head % s.n_head_kv != 0)
    throw std::invalid_argument("synthetic model: inconsistent spec");
  const int hd = s.head_dim > 0 ? s.head_dim : s.n_embd / s.n_head;
  const std::string a = s.arch + ".";
  GgufWriter w;
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
  if (fam->swa_period > 0) w.set_u32(a + "attention.sliding_window", s.sliding_window);

  // Vocabulary: <unk> <s> </s>, 256 byte tokens, then pieces made of letters (with and without U+2581).
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

  std::mt19937_64 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto random = [&](int64_t rows, int64_t cols, float stddev) {
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (float& x : v) x = normal(rng) * stddev;
    return v;
  };
  auto add = [&](const std::string& name, int64_t cols, int64_t rows, GgmlType type, const std::vector<float>& v) {
    std::vector<uint64_t> dims = rows > 1 ? std::vector<uint64_t>{uint64_t(cols), uint64_t(rows)}
                                          : std::vector<uint64_t>{uint64_t(cols)};
    w.add_tensor(name, dims, type, encode_rows(v, cols, type));
  };
  const int64_t E = s.n_embd, Q = int64_t(s.n_head) * hd, KV = int64_t(s.n_head_kv) * hd, F = s.n_ff;
  const std::vector<float> ones(static_cast<size_t>(E), 1.0f);
  add("token_embd.weight", E, s.n_vocab, s.weight_type, random(s.n_vocab, E, 1.0f));
  add("output_norm.weight", E, 1, GgmlType::F32, ones);
  if (!s.tied_embeddings) add("output.weight", E, s.n_vocab, s.weight_type, random(s.n_vocab, E, 1.0f / std::sqrt(float(E))));
  const std::vector<float> head_ones(static_cast<size_t>(hd), 1.0f);
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", E, 1, GgmlType::F32, ones);
    if (fam->fused_qkv) {
      add(p + "attn_qkv.weight", E, Q + 2 * KV, s.weight_type, random(Q + 2 * KV, E, 1.0f / std::sqrt(float(E))));
    } else {
      add(p + "attn_q.weight", E, Q, s.weight_type, random(Q, E, 1.0f / std::sqrt(float(E))));
      add(p + "attn_k.weight", E, KV, s.weight_type, random(KV, E, 1.0f / std::sqrt(float(E))));
      add(p + "attn_v.weight", E, KV, s.weight_type, random(KV, E, 1.0f / std::sqrt(float(E))));
    }
    if (fam->qkv_bias) {
      add(p + "attn_q.bias", Q, 1, GgmlType::F32, random(1, Q, 0.05f));
      add(p + "attn_k.bias", KV, 1, GgmlType::F32, random(1, KV, 0.05f));
      add(p + "attn_v.bias", KV, 1, GgmlType::F32, random(1, KV, 0.05f));
    }
    if (fam->qk_norm) {
      add(p + "attn_q_norm.weight", hd, 1, GgmlType::F32, head_ones);
      add(p + "attn_k_norm.weight", hd, 1, GgmlType::F32, head_ones);
    }
    add(p + "attn_output.weight", Q, E, s.weight_type, random(E, Q, 1.0f / std::sqrt(float(Q))));
    if (fam->post_norms) add(p + "post_attention_norm.weight", E, 1, GgmlType::F32, ones);
    add(p + "ffn_norm.weight", E, 1, GgmlType::F32, ones);
    if (fam->fused_gate_up) {
      add(p + "ffn_up.weight", E, 2 * F, s.weight_type, random(2 * F, E, 1.0f / std::sqrt(float(E))));
    } else {
      add(p + "ffn_gate.weight", E, F, s.weight_type, random(F, E, 1.0f / std::sqrt(float(E))));
      add(p + "ffn_up.weight", E, F, s.weight_type, random(F, E, 1.0f / std::sqrt(float(E))));
    }
    add(p + "ffn_down.weight", F, E, s.weight_type, random(E, F, 1.0f / std::sqrt(float(F))));
    if (fam->post_norms) add(p + "post_ffw_norm.weight", E, 1, GgmlType::F32, ones);
  }
  return w;
}

}  // namespace quant
