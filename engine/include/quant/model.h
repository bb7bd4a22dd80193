#pragma once
// Model = validated GGUF file + configuration + weight views. Loading checks every tensor the
// architecture needs (name, shape, type) so the forward pass never meets a surprise.
#include <memory>
#include <string>
#include <vector>

#include "quant/gguf.h"
#include "quant/tensor.h"

namespace quant {

struct ModelConfig {
  std::string arch;          // general.architecture, e.g. "llama"
  int n_vocab = 0;           // tokens in the vocabulary (rows of token_embd)
  int n_embd = 0;            // width of the residual stream
  int n_layer = 0;           // transformer blocks
  int n_head = 0;            // query heads
  int n_head_kv = 0;         // key/value heads (n_head / n_head_kv queries share one KV head)
  int head_dim = 0;          // width of one head
  int n_ff = 0;              // hidden width of the feed-forward network
  int n_ctx_train = 0;       // context length the model was trained for
  float rms_eps = 1e-5f;     // RMSNorm epsilon
  float rope_base = 10000;   // RoPE frequency base
  int rope_dim = 0;          // leading dims of each head rotated by RoPE
  bool tied_embeddings = false;  // output projection reuses token_embd (no output.weight)
};

struct LayerWeights {
  Tensor attn_norm;  // (n_embd)
  Tensor wq;         // (n_embd) -> (n_head * head_dim)
  Tensor wk;         // (n_embd) -> (n_head_kv * head_dim)
  Tensor wv;         // (n_embd) -> (n_head_kv * head_dim)
  Tensor wo;         // (n_head * head_dim) -> (n_embd)
  Tensor ffn_norm;   // (n_embd)
  Tensor ffn_gate;   // (n_embd) -> (n_ff)
  Tensor ffn_up;     // (n_embd) -> (n_ff)
  Tensor ffn_down;   // (n_ff) -> (n_embd)
};

struct Weights {
  Tensor token_embd;   // (n_vocab rows of n_embd)
  Tensor output_norm;  // (n_embd)
  Tensor output;       // (n_embd) -> (n_vocab); token_embd when tied
  std::vector<LayerWeights> layers;
};

class Model {
 public:
  // Opens, validates and maps a GGUF model. Throws InputError naming the file and the problem.
  static std::unique_ptr<Model> load(const std::string& path);

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }
  const GgufFile& file() const { return *file_; }
  uint64_t n_params() const { return n_params_; }

 private:
  std::unique_ptr<GgufFile> file_;
  ModelConfig config_;
  Weights weights_;
  uint64_t n_params_ = 0;
};

}  // namespace quant
