#pragma once
// Deterministic random-weight GGUF models of any supported family with a valid SentencePiece vocabulary,
// so speed can be measured (and tests run) without downloading anything. Marked quant.synthetic=true.
// Presets reproduce the shapes of real models (TinyLlama-1.1B, SmolLM2-135M, Llama-3.2-1B, Qwen2.5-0.5B,
// Qwen3-0.6B, Gemma-3-1B, Phi-3-mini); the bytes
// depend only on the spec (seed included), never on the thread count.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quant/ggml_types.h"
#include "quant/gguf_writer.h"

namespace quant {

// How matmul weights get their types.
enum class WeightMix {
  uniform,  // every matmul weight (embedding included) has weight_type
  q4_k_m,   // llama-quantize's Q4_K_M recipe: Q4_K, with Q6_K for the output (and a tied embedding) and
            // for attn_v / ffn_down of layers i < n/8, i >= 7n/8 and every third layer in between
};

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
  float rope_base = 0;    // 0: not written (the loader's default, 10000)
  GgmlType weight_type = GgmlType::F32;  // matmul weights; norms stay F32
  WeightMix mix = WeightMix::uniform;
  bool tied_embeddings = true;
  uint64_t seed = 1;
  int threads = 1;        // generation threads (the output does not depend on it)
};

// The generator's version: bump it whenever the bytes written for some spec change (caches of generated
// models, e.g. bench-all's under .cache/models/, are keyed by it). A test pins the bytes of one spec.
inline constexpr int kSyntheticGeneratorVersion = 1;

GgufWriter make_synthetic_model(const SyntheticSpec& spec);

// The type tensor `name` (a GGUF tensor name, e.g. "blk.3.attn_v.weight") of row length `cols` gets.
// K types on rows that are not a multiple of 256 fall back as llama-quantize does (Q4_K -> Q5_0,
// Q5_K -> Q5_1, Q6_K -> Q8_0).
GgmlType synthetic_tensor_type(const SyntheticSpec& spec, std::string_view name, int64_t cols);

// Presets by name ("tinyllama-1.1b", "smollm2-135m", "llama3.2-1b", "qwen2.5-0.5b", "qwen3-0.6b",
// "gemma3-1b", "phi3-mini", "tiny"); nullopt for unknown names.
std::optional<SyntheticSpec> synthetic_preset(std::string_view name);
std::vector<std::string> synthetic_preset_names();

// Weight types by quant-synth's names ("F32", "Q4_0", ..., "Q4_K_M"): the weight type and mix to set on a
// spec; nullopt for unknown names.
struct SyntheticWeights {
  GgmlType weight_type;
  WeightMix mix;
};
std::optional<SyntheticWeights> synthetic_weight_type(std::string_view name);
std::vector<std::string> synthetic_weight_type_names();

// The spec `quant-synth --preset P --type T [--layers L] [--ctx C] --seed S` writes (bench-all generates
// suite models through it, so both give the same bytes); nullopt for an unknown preset or type.
// layers and ctx 0: the preset's.
std::optional<SyntheticSpec> synthetic_spec(std::string_view preset, std::string_view type, int layers, int ctx,
                                            uint64_t seed);

}  // namespace quant
