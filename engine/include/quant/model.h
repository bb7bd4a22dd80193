#pragma once
// Model = validated GGUF file + configuration + weight views. Loading checks every tensor the
// architecture needs (name, shape, type) so the forward pass never meets a surprise.
#include <memory>
#include <string>
#include <vector>

#include "quant/gguf.h"
#include "quant/tensor.h"

namespace quant {

// RoPE pairing: normal (GPT-J) rotates dims (2i, 2i+1); neox rotates dims (i, i + rope_dim/2).
enum class RopeStyle { normal, neox };
// FFN gate activation: x = act(h Wgate) * (h Wup).
enum class Activation { silu, gelu_tanh };

// What sets an architecture apart from plain Llama. The loader fills it from general.architecture and the
// tensors present; the forward pass branches on nothing else.
struct FamilyFeatures {
  RopeStyle rope_style = RopeStyle::normal;
  Activation ffn_act = Activation::silu;
  bool qkv_bias = false;          // q, k, v projections add attn_{q,k,v}.bias (qwen2)
  bool qk_norm = false;           // per-head RMSNorm of q and k before RoPE: attn_{q,k}_norm (qwen3, gemma3)
  bool post_norms = false;        // RMSNorm of attention and FFN outputs before the residual add (gemma3)
  bool fused_qkv = false;         // one attn_qkv matrix, rows [Q | K | V] (phi3); bound as three views
  bool fused_gate_up = false;     // ffn_up rows [gate | up] (phi3); bound as two views
  bool scale_embeddings = false;  // token embeddings times sqrt(n_embd) (gemma3)
  int swa_period = 0;             // > 0: every swa_period-th layer is global, the others sliding-window (gemma3: 6)
  bool rope_freq_factors = false; // rope_freqs.weight divides each RoPE frequency (Llama 3.1+ long context)
};

// Per-layer attention settings (gemma3 interleaves sliding-window layers with global ones).
struct LayerConfig {
  int window = 0;                 // > 0: attend only to the last `window` positions
  float rope_base = 10000;        // RoPE base of this layer
  float rope_freq_scale = 1;      // linear RoPE scaling: positions are multiplied by this
  std::vector<float> rope_freqs;  // rope_dim/2 angular speeds: pair i turns by pos * rope_freqs[i] radians
};

struct ModelConfig {
  std::string arch;          // general.architecture, e.g. "llama"
  int n_vocab = 0;           // tokens in the vocabulary (rows of token_embd)
  int n_embd = 0;            // width of the residual stream
  int n_layer = 0;           // transformer blocks
  int n_head = 0;            // query heads
  int n_head_kv = 0;         // key/value heads (n_head / n_head_kv queries share one KV head)
  int head_dim = 0;          // width of one head (need not be n_embd / n_head)
  int n_ff = 0;              // hidden width of the feed-forward network
  int n_ctx_train = 0;       // context length the model was trained for
  float rms_eps = 1e-5f;     // RMSNorm epsilon
  float rope_base = 10000;   // RoPE frequency base (of the global layers)
  int rope_dim = 0;          // leading dims of each head rotated by RoPE
  bool tied_embeddings = false;  // output projection reuses token_embd (no output.weight)
  FamilyFeatures features;
  float embd_scale = 1;      // multiplies the token embeddings
  float attn_scale = 1;      // multiplies q.k before the softmax
  int sliding_window = 0;    // window of the sliding-window layers (0: none)
  std::vector<LayerConfig> layers;  // n_layer entries
};

struct LayerWeights {
  Tensor attn_norm;  // (n_embd)
  Tensor wq;         // (n_embd) -> (n_head * head_dim)
  Tensor wk;         // (n_embd) -> (n_head_kv * head_dim)
  Tensor wv;         // (n_embd) -> (n_head_kv * head_dim)
  Tensor bq, bk, bv; // qkv_bias: (n_head * head_dim), (n_head_kv * head_dim) x 2
  Tensor q_norm;     // qk_norm: (head_dim), shared by all query heads
  Tensor k_norm;     // qk_norm: (head_dim), shared by all KV heads
  Tensor wo;         // (n_head * head_dim) -> (n_embd)
  Tensor post_attn_norm;  // post_norms: (n_embd)
  Tensor ffn_norm;   // (n_embd)
  Tensor ffn_gate;   // (n_embd) -> (n_ff)
  Tensor ffn_up;     // (n_embd) -> (n_ff)
  Tensor ffn_down;   // (n_ff) -> (n_embd)
  Tensor post_ffn_norm;   // post_norms: (n_embd)
};

struct Weights {
  Tensor token_embd;   // (n_vocab rows of n_embd)
  Tensor output_norm;  // (n_embd)
  Tensor output;       // (n_embd) -> (n_vocab); token_embd when tied
  std::vector<LayerWeights> layers;
};

// Architectures Model::load accepts, comma separated (for messages and --info).
std::string supported_architectures();
// Names of the family features a model uses ("rope_neox", "qkv_bias", "sliding_window", ...), for --info.
std::vector<std::string> feature_names(const ModelConfig& c);

class Model {
 public:
  // Opens and validates a GGUF model; by default its bytes are copied into huge-page memory (see
  // WeightMemory). Throws InputError naming the file and the problem.
  static std::unique_ptr<Model> load(const std::string& path, WeightMemory memory = WeightMemory::copy);

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const GgufFile& file() const { return *file_; }
  uint64_t n_params() const { return n_params_; }

  // For the CPU matmuls: rewrites in place the weights whose type has a faster decode layout (Q4_0; see
  // regroup_for_decode), in the private copy only (WeightMemory::copy; a mapping stays as it is). Tensors
  // read by row lookup keep the GGUF layout: token_embd, and output when tied to it. Returns how many
  // tensors changed (also kept for reports); results are bit-identical either way.
  int regroup_for_cpu_decode();
  int regrouped_tensors() const { return regrouped_; }

 private:
  std::unique_ptr<GgufFile> file_;
  ModelConfig config_;
  Weights weights_;
  uint64_t n_params_ = 0;
  int regrouped_ = 0;
};

}  // namespace quant
