#pragma once
// Known-poor KV cache choices. The 3-5 bit quantisers keep one scale (a norm, a min/step or a q4_0 block
// scale) per block of up to 32-128 coordinates; when the head dim is below 32 a block is the whole short
// head vector and they lose far more, while q8_0 stays close to fp32 at every head dim. The perplexity
// runs behind this rule are in docs/kv-cache.md, "When a KV type is wrong for a model".
#include <string>
#include <vector>

#include "quant/kv_types.h"

namespace quant {

// Head dims below this get a warning for the types that are poor there.
inline constexpr int kSmallHeadDim = 32;

// q4_0, uniform_4b and the TurboQuant types (not fp32, fp16 or q8_0).
bool poor_at_small_head_dim(KvType t);

// One line per poor choice ("-k turbo_kv_4b at head_dim 8: ..., -k q8_0 ..."); empty when none.
std::vector<std::string> kv_type_warnings(KvType k, KvType v, int head_dim);

}  // namespace quant
