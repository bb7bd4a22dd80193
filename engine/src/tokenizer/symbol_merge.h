#pragma once
// The merge loop the BPE and SentencePiece tokenizers share: a text as a linked list of symbols, the
// best pair of neighbours joined first.
#include <cstddef>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace quant::tokenizer_detail {

// A run of the text: bytes [start, start + len), its neighbours prev and next (-1 at the ends); len 0
// once joined into its left neighbour.
struct Symbol {
  int prev, next;
  size_t start, len;
};

// Offers every pair of neighbours to try_pair(l, r), which pushes it onto `queue` when the vocabulary has
// their join; then pops the best pair (an Entry has left, right and len: the joined length), skips the
// entries an earlier join made stale, joins the pair into its left symbol and offers its new neighbours.
template <class Entry, class TryPair>
void join_best_pairs(std::vector<Symbol>& sym, std::priority_queue<Entry>& queue, TryPair&& try_pair) {
  for (size_t i = 1; i < sym.size(); ++i) try_pair(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!queue.empty()) {
    const Entry p = queue.top();
    queue.pop();
    Symbol& l = sym[p.left];
    Symbol& r = sym[p.right];
    if (l.len == 0 || r.len == 0 || l.next != p.right || l.len + r.len != p.len) continue;  // stale
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = p.left;
    try_pair(l.prev, p.left);
    try_pair(p.left, l.next);
  }
}

// The symbols left after joining, in order: each piece's id from `index` (a map from string_view), or
// else spell(piece), which adds the ids of the piece's bytes.
template <class Index, class Spell>
void emit_pieces(const std::vector<Symbol>& sym, const std::string& s, const Index& index, std::vector<int>& out,
                 Spell&& spell) {
  for (int i = 0; i >= 0; i = sym[i].next) {
    std::string_view piece = std::string_view(s).substr(sym[i].start, sym[i].len);
    auto it = index.find(piece);
    if (it != index.end()) {
      out.push_back(it->second);
      continue;
    }
    spell(piece);
  }
}

}  // namespace quant::tokenizer_detail
