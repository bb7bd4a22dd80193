#pragma once
// Constructors of the individual codecs (internal to engine/src/kv). Every codec with a SIMD kernel keeps
// a scalar one too; `isa` picks which one a codec object runs, so tests can hold them against each other.
// The SIMD kernels are chosen at run time (util/x86_target.h), like the matmul kernel sets.
#include <memory>
#include <string>
#include <vector>

#include "quant/cpu_features.h"
#include "quant/kv_codec.h"

namespace quant {

// `isa`: scalar kernels, or (any other set) the AVX2 float kernels plus turbo_kv_4b's integer kernel of
// that set. Available: scalar, or a set this CPU and OS can run (x86-64 builds compile them all in).
bool isa_available(Isa isa);
Isa best_isa();  // selected_isa(): the fastest usable set unless QUANT_ISA asks for a slower one

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
