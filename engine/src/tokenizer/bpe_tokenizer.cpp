// Byte-level BPE as GPT-2-style GGUF vocabularies define it:
//   1. the pre-tokenizer named by tokenizer.ggml.pre cuts the text into pieces;
//   2. each byte of a piece becomes one symbol, spelled with GPT-2's byte characters;
//   3. the adjacent pair whose concatenation is the earliest entry of tokenizer.ggml.merges is merged,
//      leftmost first among equals, until no listed pair is left;
//   4. every remaining symbol is a vocabulary entry.
#include "bpe_tokenizer.h"

#include <queue>
#include <unordered_map>

#include "byte_level.h"
#include "pre_tokenizer.h"
#include "quant/error.h"
#include "symbol_merge.h"

namespace quant {

namespace {

class BpeTokenizer final : public Tokenizer {
 public:
  explicit BpeTokenizer(const GgufFile& f) {
    // GPT-2 tokenizers add no BOS unless the file says so.
    vocab_ = read_vocab(f, /*default_add_bos=*/false);
    if (vocab_.pre.empty())
      throw InputError(f.path() + ": key tokenizer.ggml.pre is missing, so the BPE pre-tokenizer is unknown (supported: " +
                       PreTokenizer::known_names() + ")");
    pre_ = PreTokenizer::for_name(vocab_.pre);
    if (!pre_)
      throw InputError(f.path() + ": key tokenizer.ggml.pre: unknown pre-tokenizer '" + vocab_.pre + "' (supported: " +
                       PreTokenizer::known_names() + ")");

    index_.reserve(vocab_.tokens.size());
    for (size_t i = 0; i < vocab_.tokens.size(); ++i) index_.emplace(vocab_.tokens[i], static_cast<int>(i));

    const auto& merges = f.get_array("tokenizer.ggml.merges", GgufValueType::STRING);
    rank_.reserve(merges.size());
    for (size_t r = 0; r < merges.size(); ++r) {
      std::string_view m = merges[r].str;
      const size_t space = m.find(' ', 1);
      if (space == std::string_view::npos || space + 1 >= m.size())
        throw InputError(f.path() + ": key tokenizer.ggml.merges: entry " + std::to_string(r) + " '" + std::string(m) +
                         "' is not two symbols separated by a space");
      rank_.emplace(std::string(m), static_cast<int>(r));  // first listing of a pair keeps its rank
    }
    for (int b = 0; b < 256; ++b) {
      auto it = index_.find(byte_to_symbol(static_cast<uint8_t>(b)));
      byte_token_[b] = it == index_.end() ? -1 : it->second;
    }
    index_special_tokens();
  }

  std::string token_to_piece(int id) const override {
    if (id < 0 || id >= n_vocab()) return {};
    switch (vocab_.kinds[id]) {
      case TokenKind::control: case TokenKind::unused: return {};
      case TokenKind::user_defined: case TokenKind::unknown: return vocab_.tokens[id];  // stored as plain text
      default: return symbols_to_bytes(vocab_.tokens[id]);
    }
  }

 protected:
  void encode_text(std::string_view text, bool, std::vector<int>& out) const override {
    std::string symbols;
    for (std::string_view piece : pre_->split(text)) {
      symbols.clear();
      for (unsigned char b : piece) symbols += byte_to_symbol(b);
      if (pre_->ignore_merges()) {
        auto it = index_.find(symbols);
        if (it != index_.end()) { out.push_back(it->second); continue; }
      }
      merge(symbols, out);
    }
  }

 private:
  using Symbol = tokenizer_detail::Symbol;
  struct Pair {
    int left, right, rank;
    size_t len;
    // priority_queue pops the largest: lowest rank first, then leftmost.
    bool operator<(const Pair& o) const { return rank > o.rank || (rank == o.rank && left > o.left); }
  };

  void merge(const std::string& s, std::vector<int>& out) const {
    std::vector<Symbol> sym;
    for (size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3;  // byte symbols are 1..3 UTF-8 bytes
      const int idx = static_cast<int>(sym.size());
      sym.push_back({idx - 1, idx + 1, i, len});
      i += len;
    }
    if (sym.empty()) return;
    sym.back().next = -1;
    std::priority_queue<Pair> queue;
    std::string key;
    auto try_pair = [&](int l, int r) {
      if (l < 0 || r < 0) return;
      key.assign(s, sym[l].start, sym[l].len);
      key += ' ';
      key.append(s, sym[r].start, sym[r].len);
      auto it = rank_.find(key);
      if (it != rank_.end()) queue.push({l, r, it->second, sym[l].len + sym[r].len});
    };
    tokenizer_detail::join_best_pairs(sym, queue, try_pair);
    tokenizer_detail::emit_pieces(sym, s, index_, out, [&](std::string_view piece) {
      // A merge result the vocabulary lacks: spell it byte by byte.
      for (unsigned char b : symbols_to_bytes(piece)) out.push_back(byte_id(b));
    });
  }

  int byte_id(unsigned char b) const {
    if (byte_token_[b] >= 0) return byte_token_[b];
    if (vocab_.unk >= 0) return vocab_.unk;
    throw InputError("BPE vocabulary has no token for byte 0x" + std::string(1, "0123456789ABCDEF"[b >> 4]) +
                     std::string(1, "0123456789ABCDEF"[b & 15]) + " and no unknown token");
  }

  std::unique_ptr<PreTokenizer> pre_;
  std::unordered_map<std::string_view, int> index_;  // token text -> id (views into vocab_.tokens)
  std::unordered_map<std::string, int> rank_;        // "left right" -> merge rank
  int byte_token_[256];
};

}  // namespace

std::unique_ptr<Tokenizer> make_bpe_tokenizer(const GgufFile& f) { return std::make_unique<BpeTokenizer>(f); }

}  // namespace quant
