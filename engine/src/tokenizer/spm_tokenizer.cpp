// SentencePiece BPE as the "llama" GGUF vocabulary defines it: spaces become U+2581 (with one added
// in front), the text starts as single UTF-8 characters, and the adjacent pair whose concatenation is
// the highest-scoring vocabulary entry is merged until none is left (ties: leftmost first).
// Pieces still missing from the vocabulary are spelled with <0xNN> byte tokens.
#include <array>
#include <queue>
#include <unordered_map>

#include "quant/error.h"
#include "spm_tokenizer.h"
#include "symbol_merge.h"

namespace quant {

namespace {

const std::string kSpace = "\xe2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) return 2;
  if ((c & 0xf0) == 0xe0) return 3;
  if ((c & 0xf8) == 0xf0) return 4;
  return 1;  // stray continuation byte: its own symbol
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class SpmTokenizer final : public Tokenizer {
 public:
  explicit SpmTokenizer(const GgufFile& f) {
    vocab_ = read_vocab(f);
    index_.reserve(vocab_.tokens.size());
    for (size_t i = 0; i < vocab_.tokens.size(); ++i) index_.emplace(vocab_.tokens[i], static_cast<int>(i));
    byte_token_.fill(-1);
    for (size_t i = 0; i < vocab_.tokens.size(); ++i) {
      if (vocab_.kinds[i] != TokenKind::byte) continue;
      const std::string& t = vocab_.tokens[i];
      int hi = t.size() == 6 ? hex_digit(t[3]) : -1, lo = t.size() == 6 ? hex_digit(t[4]) : -1;
      if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>' || hi < 0 || lo < 0)
        throw InputError(f.path() + ": key tokenizer.ggml.tokens: byte token " + std::to_string(i) + " is '" + t +
                         "', expected <0xNN> with two hex digits");
      byte_token_[hi * 16 + lo] = static_cast<int>(i);
    }
    index_special_tokens();
  }

  void encode_text(std::string_view text, bool after_special, std::vector<int>& out) const override {
    std::string s;
    if (vocab_.add_space_prefix && after_special) s = kSpace;
    for (char ch : text) {
      if (ch == ' ') s += kSpace; else s += ch;
    }
    encode_pieces(s, out);
  }

  std::string token_to_piece(int id) const override {
    if (id < 0 || id >= n_vocab()) return {};
    const std::string& t = vocab_.tokens[id];
    switch (vocab_.kinds[id]) {
      case TokenKind::control: case TokenKind::unused: return {};
      case TokenKind::byte: return std::string(1, static_cast<char>(hex_digit(t[3]) * 16 + hex_digit(t[4])));
      default: {
        std::string s;
        for (size_t i = 0; i < t.size();) {
          if (t.compare(i, kSpace.size(), kSpace) == 0) { s += ' '; i += kSpace.size(); }
          else s += t[i++];
        }
        return s;
      }
    }
  }

 private:
  using Symbol = tokenizer_detail::Symbol;
  struct Bigram {
    int left, right;
    float score;
    size_t len;
    bool operator<(const Bigram& o) const { return score < o.score || (score == o.score && left > o.left); }
  };

  void encode_pieces(const std::string& s, std::vector<int>& out) const {
    std::vector<Symbol> sym;
    for (size_t i = 0; i < s.size();) {
      size_t len = std::min(utf8_len(static_cast<unsigned char>(s[i])), s.size() - i);
      int idx = static_cast<int>(sym.size());
      sym.push_back({idx - 1, idx + 1, i, len});
      i += len;
    }
    sym.back().next = -1;
    std::priority_queue<Bigram> queue;
    auto try_pair = [&](int l, int r) {
      if (l < 0 || r < 0) return;
      auto it = index_.find(std::string_view(s).substr(sym[l].start, sym[l].len + sym[r].len));
      if (it == index_.end()) return;
      queue.push({l, r, vocab_.scores[it->second], sym[l].len + sym[r].len});
    };
    tokenizer_detail::join_best_pairs(sym, queue, try_pair);
    tokenizer_detail::emit_pieces(sym, s, index_, out, [&](std::string_view piece) {
      for (unsigned char byte : piece) {
        int id = byte_token_[byte];
        if (id < 0) id = vocab_.unk;
        if (id >= 0) out.push_back(id);
      }
    });
  }

  std::unordered_map<std::string_view, int> index_;
  std::array<int, 256> byte_token_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_spm_tokenizer(const GgufFile& f) { return std::make_unique<SpmTokenizer>(f); }

}  // namespace quant
