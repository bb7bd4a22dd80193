#pragma once
// Byte-level BPE pre-tokenisation: the text is cut into pieces by a model-specific sequence of Unicode
// regular expressions before any merge happens, so no token ever spans two pieces.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace quant {

class PreTokenizer {
 public:
  // Compiles the expressions of a tokenizer.ggml.pre value. Returns null for names it does not know.
  static std::unique_ptr<PreTokenizer> for_name(std::string_view pre);
  // Compiles an explicit expression list (tests). Throws std::invalid_argument on a bad pattern.
  explicit PreTokenizer(const std::vector<std::string>& expressions);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Applies the expressions in order. Each one cuts every current piece into its matches and the
  // unmatched stretches between them (both kept), so the pieces always concatenate back to `text`.
  // Invalid UTF-8 is never dropped: its bytes stay inside some piece.
  std::vector<std::string_view> split(std::string_view text) const;
  // Llama 3's BPE emits a piece that is already a vocabulary entry whole, without merging.
  bool ignore_merges() const;

  // Names accepted by for_name, for error messages.
  static std::string known_names();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quant
