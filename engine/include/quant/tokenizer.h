#pragma once
// Text <-> token ids, from the vocabulary stored in the GGUF file.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quant/gguf.h"

namespace quant {

enum class TokenKind { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  int bos = -1, eos = -1, unk = -1;
  bool add_bos = true;
  bool add_space_prefix = true;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Chooses the algorithm from tokenizer.ggml.model; throws InputError for unknown models or bad vocab data.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);

  virtual std::vector<int> encode(std::string_view text, bool add_bos) const = 0;
  // The bytes one token contributes to decoded text (control tokens contribute nothing).
  virtual std::string token_to_piece(int id) const = 0;
  std::string decode(const std::vector<int>& ids) const;

  const Vocab& vocab() const { return vocab_; }
  int n_vocab() const { return static_cast<int>(vocab_.tokens.size()); }
  int bos() const { return vocab_.bos; }
  int eos() const { return vocab_.eos; }

 protected:
  Vocab vocab_;
};

// Reads the common vocabulary arrays and special ids, validating types and ranges.
Vocab read_vocab(const GgufFile& file);

}  // namespace quant
