#include "codecs.h"
#include "quant/error.h"

namespace quant {

std::unique_ptr<KvCodec> make_kv_codec(KvType type, int dim, uint64_t seed) {
  (void)seed;
  switch (type) {
    case KvType::fp32: return make_fp32_codec(dim);
    case KvType::fp16: return make_fp16_codec(dim);
    default:
      throw InputError("KV cache type " + std::string(kv_type_name(type)) + " is not implemented in this build");
  }
}

}  // namespace quant
