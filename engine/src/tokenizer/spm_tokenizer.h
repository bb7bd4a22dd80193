#pragma once
#include <memory>

#include "quant/tokenizer.h"

namespace quant {
// SentencePiece-style "llama" vocabulary: score-ordered merges of adjacent pieces, byte fallback.
std::unique_ptr<Tokenizer> make_spm_tokenizer(const GgufFile& file);
}  // namespace quant
