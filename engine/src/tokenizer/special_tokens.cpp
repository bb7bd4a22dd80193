#include "special_tokens.h"

namespace quant {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& v) : nodes_(1) {
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    const TokenKind k = v.kinds[id];
    if (k != TokenKind::user_defined && k != TokenKind::control && k != TokenKind::unknown) continue;
    const std::string& text = v.tokens[id];
    if (text.empty()) continue;
    int node = 0;
    for (unsigned char c : text) {
      const uint64_t key = static_cast<uint64_t>(node) << 8 | c;
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        it = edges_.emplace(key, static_cast<int>(nodes_.size())).first;
        nodes_.emplace_back();
      }
      node = it->second;
    }
    // Two ids with the same text: the first one wins, as a lookup by text would give.
    if (nodes_[node].id < 0) nodes_[node] = {static_cast<int>(id), k != TokenKind::user_defined};
    any_ = true;
  }
}

SpecialTokenMatcher::Match SpecialTokenMatcher::find(std::string_view text, size_t from, bool parse_special) const {
  if (!any_) return {};
  for (size_t pos = from; pos < text.size(); ++pos) {
    Match best;
    int node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      auto it = edges_.find(static_cast<uint64_t>(node) << 8 | static_cast<unsigned char>(text[i]));
      if (it == edges_.end()) break;
      node = it->second;
      const Node& n = nodes_[node];
      if (n.id >= 0 && (parse_special || !n.control)) best = {pos, i + 1 - pos, n.id};
    }
    if (best.id >= 0) return best;
  }
  return {};
}

}  // namespace quant
