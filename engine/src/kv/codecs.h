#pragma once
// Constructors of the individual codecs (internal to engine/src/kv).
#include <memory>

#include "quant/kv_codec.h"

namespace quant {

std::unique_ptr<KvCodec> make_fp32_codec(int dim);
std::unique_ptr<KvCodec> make_fp16_codec(int dim);

}  // namespace quant
