#pragma once
// Finds special tokens spelled out in text (e.g. "<|endoftext|>"), leftmost first, longest at a position.
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quant/tokenizer.h"

namespace quant {

class SpecialTokenMatcher {
 public:
  // Indexes the user-defined tokens (always matched) and the control and unknown-type ones (matched only
  // when parsing specials), skipping empty texts.
  explicit SpecialTokenMatcher(const Vocab& vocab);

  struct Match { size_t pos = 0, len = 0; int id = -1; };
  // The first special token in text[from..]; id -1 when there is none.
  Match find(std::string_view text, size_t from, bool parse_special) const;

 private:
  struct Node { int id = -1; bool control = false; };
  std::vector<Node> nodes_;                    // node 0 is the root
  std::unordered_map<uint64_t, int> edges_;    // (node << 8 | byte) -> child node
  bool any_ = false;
};

}  // namespace quant
