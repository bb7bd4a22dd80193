#pragma once
// The merge loop the BPE and SentencePiece tokenizers share: a text as a linked list of symbols, the
// best pair of neighbours joined first.
#include <cstddef>
#include <queue>
#include <vector>

namespace quant::tokenizer_detail {

// A run of the text: bytes [start, start + len), its neighbours prev and next (-1 at the ends); len 0
// once joined into its left neighbour.
struct Symbol {
  int prev, next;
  size_t start, len;
};

// Pops `queue`'s best pair (an Entry has left, right and len: the joined length), skips the entries an
// earlier join made stale, joins the pair into its left symbol and offers the new neighbours to
// try_pair(l, r), which pushes them when the vocabulary has their join.
template <class Entry, class TryPair>
void join_best_pairs(std::vector<Symbol>& sym, std::priority_queue<Entry>& queue, TryPair&& try_pair) {
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

}  // namespace quant::tokenizer_detail
