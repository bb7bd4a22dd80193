#include <string>

#include "codecs.h"
#include "quant/error.h"
#include "quant/cpu_features.h"
#include "simd.h"

namespace quant {

bool isa_available(Isa isa) {
  if (isa == Isa::scalar) return true;
#ifdef QUANT_X86_TARGETS
  return isa_usable(isa);
#else
  return false;
#endif
}

Isa best_isa() { return avx2_selected() ? selected_isa() : Isa::scalar; }

std::string_view kv_kernels_name() { return isa_name(best_isa()); }

namespace {
void require_multiple_of_8(KvType type, int dim) {
  if (dim <= 0 || dim % 8 != 0)
    throw InputError("KV cache type " + std::string(kv_type_name(type)) +
                     " needs a head dimension that is a positive multiple of 8 (this model has " + std::to_string(dim) +
                     ")");
}
}  // namespace

std::vector<int> kv_block_dims(KvType type, int dim) {
  require_multiple_of_8(type, dim);
  constexpr int kMaxBlock = 128;
  std::vector<int> blocks;
  for (int left = dim; left > 0; left -= kMaxBlock) blocks.push_back(left < kMaxBlock ? left : kMaxBlock);
  return blocks;
}

int ggml_kv_block(KvType type, int dim) {
  require_multiple_of_8(type, dim);
  if (dim <= 32) return dim;
  for (int b : {32, 16, 8})
    if (dim % b == 0) return b;
  return 8;  // unreachable: dim is a multiple of 8
}

std::unique_ptr<KvCodec> make_kv_codec(KvType type, int dim, uint64_t seed, Isa isa) {
  if (dim <= 0) throw InputError("KV cache: head dimension must be positive (got " + std::to_string(dim) + ")");
  if (!isa_available(isa)) throw InputError("KV cache: " + std::string(isa_name(isa)) + " kernels requested but not usable here (not compiled in, or the CPU lacks them)");
  switch (type) {
    case KvType::fp32: return make_fp32_codec(dim, isa);
    case KvType::fp16: return make_fp16_codec(dim, isa);
    case KvType::q8_0: return make_q8_0_codec(dim, isa);
    case KvType::q4_0: return make_q4_0_codec(dim, isa);
    case KvType::uniform_4b: return make_uniform_4b_codec(dim, isa);
    case KvType::turbo_kv_3b:
    case KvType::turbo_kv_4b:
    case KvType::turbo_kv_5b:
    case KvType::turbo_kv_4bo: return make_turbo_codec(type, dim, seed, isa);
  }
  throw InputError("KV cache: unknown type");
}

std::unique_ptr<KvCodec> make_kv_codec(KvType type, int dim, uint64_t seed) {
  return make_kv_codec(type, dim, seed, best_isa());
}

}  // namespace quant
