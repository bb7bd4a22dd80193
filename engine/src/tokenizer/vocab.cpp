#include "quant/error.h"
#include "quant/tokenizer.h"
#include "special_tokens.h"

namespace quant {

Vocab read_vocab(const GgufFile& f, bool default_add_bos) {
  Vocab v;
  v.model = std::string(f.get_string("tokenizer.ggml.model"));
  if (f.has("tokenizer.ggml.pre")) v.pre = std::string(f.get_string("tokenizer.ggml.pre"));
  const auto& toks = f.get_array("tokenizer.ggml.tokens", GgufValueType::STRING);
  if (toks.empty()) throw InputError(f.path() + ": key tokenizer.ggml.tokens: empty vocabulary");
  const size_t n = toks.size();
  v.tokens.reserve(n);
  for (const auto& t : toks) v.tokens.emplace_back(t.str);

  v.scores.assign(n, 0.0f);
  if (f.has("tokenizer.ggml.scores")) {
    const auto& sc = f.get_array("tokenizer.ggml.scores", GgufValueType::FLOAT32);
    if (sc.size() != n)
      throw InputError(f.path() + ": key tokenizer.ggml.scores: " + std::to_string(sc.size()) + " scores for " +
                       std::to_string(n) + " tokens");
    for (size_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>(sc[i].f);
  }
  v.kinds.assign(n, TokenKind::normal);
  if (f.has("tokenizer.ggml.token_type")) {
    const auto& ty = f.get_array("tokenizer.ggml.token_type", GgufValueType::INT32);
    if (ty.size() != n)
      throw InputError(f.path() + ": key tokenizer.ggml.token_type: " + std::to_string(ty.size()) + " types for " +
                       std::to_string(n) + " tokens");
    for (size_t i = 0; i < n; ++i) {
      if (ty[i].i < 1 || ty[i].i > 6)
        throw InputError(f.path() + ": key tokenizer.ggml.token_type: token " + std::to_string(i) + " has invalid type " +
                         std::to_string(ty[i].i));
      v.kinds[i] = static_cast<TokenKind>(ty[i].i);
    }
  }
  auto special = [&](const char* key, int def) {
    if (!f.has(key)) return def;
    uint64_t id = f.get_uint(key);
    if (id >= n)
      throw InputError(f.path() + ": key " + key + ": token id " + std::to_string(id) + " outside the vocabulary of " +
                       std::to_string(n));
    return static_cast<int>(id);
  };
  v.bos = special("tokenizer.ggml.bos_token_id", -1);
  v.eos = special("tokenizer.ggml.eos_token_id", -1);
  v.unk = special("tokenizer.ggml.unknown_token_id", -1);
  v.add_bos = f.get_bool_or("tokenizer.ggml.add_bos_token", default_add_bos);
  v.add_space_prefix = f.get_bool_or("tokenizer.ggml.add_space_prefix", true);
  return v;
}

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

void Tokenizer::index_special_tokens() { specials_ = std::make_unique<SpecialTokenMatcher>(vocab_); }

std::vector<int> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<int> out;
  if (add_bos && vocab_.bos >= 0) out.push_back(vocab_.bos);
  bool after_special = true;
  for (size_t pos = 0; pos < text.size();) {
    SpecialTokenMatcher::Match m = specials_->find(text, pos, parse_special);
    const size_t end = m.id >= 0 ? m.pos : text.size();
    if (end > pos) encode_text(text.substr(pos, end - pos), after_special, out);
    after_special = false;
    if (m.id < 0) break;
    out.push_back(m.id);
    after_special = true;
    pos = m.pos + m.len;
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string s;
  for (int id : ids) s += token_to_piece(id);
  return s;
}

}  // namespace quant
