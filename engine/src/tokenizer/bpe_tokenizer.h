#pragma once
#include <memory>

#include "quant/tokenizer.h"

namespace quant {
// Byte-level BPE ("gpt2" GGUF vocabulary): pre-tokenizer pieces, each byte spelled as a printable
// character, adjacent symbols merged by merge rank.
std::unique_ptr<Tokenizer> make_bpe_tokenizer(const GgufFile& file);
}  // namespace quant
