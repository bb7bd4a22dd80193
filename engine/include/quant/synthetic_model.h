#pragma once
// Deterministic random-weight GGUF models of any supported family with a valid SentencePiece vocabulary,
// so speed can be measured (and tests run) without downloading anything. Marked quant.synthetic=true.
#include <cstdint>
#include <string>

#include "quant/ggml_types.h"
#include "quant/gguf_writer.h"

namespace quant {

struct SyntheticSpec {
  std::string name = "synthetic-tiny";
  std::string arch = "llama";  // any supported family: its own tensors and keys are emitted
  int head_dim = 0;            // 0: n_embd / n_head
  int sliding_window = 512;    // gemma3 only
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  int n_ff = 128;
  int n_vocab = 512;      // >= 259 (3 specials + 256 byte tokens)
  int n_ctx_train = 2048;
  GgmlType weight_type = GgmlType::F32;  // matmul weights; norms stay F32
  bool tied_embeddings = true;
  uint64_t seed = 1;
};

GgufWriter make_synthetic_model(const SyntheticSpec& spec);

}  // namespace quant
