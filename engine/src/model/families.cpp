// Every supported architecture, as its differences from Llama. Adding a family means one entry here
// (plus loader code only for a genuinely new tensor or metadata key).
#include "families.h"

namespace quant {

namespace {

struct Family {
  const char* arch;
  FamilyFeatures features;
};

const Family kFamilies[] = {
    // Llama 2/3, SmolLM2, Mistral: normal RoPE, SiLU-gated FFN. rope_freqs.weight is detected by the loader.
    {"llama", {}},
    {"qwen2", {.rope_style = RopeStyle::neox, .qkv_bias = true}},
    {"qwen3", {.rope_style = RopeStyle::neox, .qk_norm = true}},
    {"gemma3",
     {.rope_style = RopeStyle::neox, .ffn_act = Activation::gelu_tanh, .qk_norm = true, .post_norms = true,
      .scale_embeddings = true, .swa_period = 6}},
    {"phi3", {.rope_style = RopeStyle::neox, .fused_qkv = true, .fused_gate_up = true}},
};

}  // namespace

const FamilyFeatures* family_features(std::string_view arch) {
  for (const auto& f : kFamilies)
    if (arch == f.arch) return &f.features;
  return nullptr;
}

std::string supported_architectures() {
  std::string s;
  for (const auto& f : kFamilies) s += (s.empty() ? "" : ", ") + std::string(f.arch);
  return s;
}

std::vector<std::string> feature_names(const ModelConfig& c) {
  const FamilyFeatures& f = c.features;
  std::vector<std::string> names;
  names.push_back(f.rope_style == RopeStyle::neox ? "rope_neox" : "rope_normal");
  names.push_back(f.ffn_act == Activation::gelu_tanh ? "ffn_gelu_tanh" : "ffn_silu");
  auto add = [&](bool on, const char* name) { if (on) names.push_back(name); };
  add(f.rope_freq_factors, "rope_freq_factors");
  add(c.tied_embeddings, "tied_embeddings");
  add(f.qkv_bias, "qkv_bias");
  add(f.qk_norm, "qk_norm");
  add(f.post_norms, "post_norms");
  add(f.fused_qkv, "fused_qkv");
  add(f.fused_gate_up, "fused_gate_up");
  add(f.scale_embeddings, "scaled_embeddings");
  add(c.sliding_window > 0, "sliding_window");
  bool linear_scaling = false;
  for (const auto& l : c.layers) linear_scaling |= l.rope_freq_scale != 1.0f;
  add(linear_scaling, "rope_linear_scaling");
  return names;
}

}  // namespace quant
