#pragma once
// Constructors of the individual codecs (internal to engine/src/kv). Every codec with a SIMD kernel keeps
// a scalar one too; `isa` picks which one a codec object runs, so tests can hold them against each other.
#include <memory>
#include <string>
#include <vector>

#include "quant/kv_codec.h"

namespace quant {

enum class Isa { scalar, avx2 };
bool isa_available(Isa isa);
Isa best_isa();  // avx2 when the build targets AVX2 + FMA + F16C, else scalar

// Block split shared by uniform_4b and TurboQuant: blocks of at most 128 coordinates (multiples of 8).
std::vector<int> kv_block_dims(KvType type, int dim);
// q8_0 / q4_0 block length: 32, or the head dimension when smaller, or 16 or 8 when 32 does not divide it.
int ggml_kv_block(KvType type, int dim);

std::unique_ptr<KvCodec> make_fp32_codec(int dim, Isa isa);
std::unique_ptr<KvCodec> make_fp16_codec(int dim, Isa isa);
std::unique_ptr<KvCodec> make_q8_0_codec(int dim, Isa isa);
std::unique_ptr<KvCodec> make_q4_0_codec(int dim, Isa isa);
std::unique_ptr<KvCodec> make_uniform_4b_codec(int dim, Isa isa);
std::unique_ptr<KvCodec> make_turbo_codec(KvType type, int dim, uint64_t seed, Isa isa);

// make_kv_codec with an explicit kernel choice.
std::unique_ptr<KvCodec> make_kv_codec(KvType type, int dim, uint64_t seed, Isa isa);

}  // namespace quant
