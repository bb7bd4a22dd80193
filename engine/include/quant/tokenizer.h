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
  std::string model;            // tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
  std::string pre;              // tokenizer.ggml.pre: the BPE pre-tokenizer ("" when absent)
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenKind> kinds;
  int bos = -1, eos = -1, unk = -1;
  bool add_bos = true;
  bool add_space_prefix = true;
};

class SpecialTokenMatcher;

class Tokenizer {
 public:
  virtual ~Tokenizer();
  // Chooses the algorithm from tokenizer.ggml.model (and, for BPE, tokenizer.ggml.pre); throws InputError
  // for unknown models or pre-tokenizers and for bad vocabulary data.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& file);

  // Text -> ids, BOS first when add_bos. Special tokens spelled out in the text are matched before
  // anything else (leftmost, then longest): user-defined ones always, control ones only when
  // parse_special. The text between them goes through the vocabulary's own algorithm.
  std::vector<int> encode(std::string_view text, bool add_bos, bool parse_special = false) const;
  // The bytes one token contributes to decoded text (control tokens contribute nothing).
  virtual std::string token_to_piece(int id) const = 0;
  std::string decode(const std::vector<int>& ids) const;

  const Vocab& vocab() const { return vocab_; }
  int n_vocab() const { return static_cast<int>(vocab_.tokens.size()); }
  int bos() const { return vocab_.bos; }
  int eos() const { return vocab_.eos; }

 protected:
  Tokenizer();
  // Encodes a stretch of text that holds no special token. `after_special` is true at the start of the
  // text and right after a special token (where SentencePiece adds its space prefix).
  virtual void encode_text(std::string_view text, bool after_special, std::vector<int>& out) const = 0;
  // Call once vocab_ is complete.
  void index_special_tokens();

  Vocab vocab_;

 private:
  std::unique_ptr<SpecialTokenMatcher> specials_;
};

// Reads the common vocabulary arrays and special ids, validating types and ranges. `default_add_bos`
// applies when tokenizer.ggml.add_bos_token is absent.
Vocab read_vocab(const GgufFile& file, bool default_add_bos = true);

}  // namespace quant
