// Pre-tokenisers of byte-level BPE vocabularies, keyed by tokenizer.ggml.pre. The expressions are the
// ones in each model family's tokenizer.json; matching uses ICU, so \p{L}, \p{N}, \p{P} and case folding
// follow the Unicode character database. \s and \S are rewritten to the Unicode White_Space property
// (ICU's own \s leaves out U+000B and U+0085).
#include "pre_tokenizer.h"

#include <unicode/regex.h>
#include <unicode/utext.h>

#include <stdexcept>

namespace quant {

namespace {

// GPT-2: contractions, letters, digits and other symbols each with one optional leading space.
const char* const kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3: case-insensitive contractions, a letter run may take one leading non-letter, numbers in
// groups of up to three digits, newlines kept with the punctuation or whitespace before them.
const char* const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3 but every digit on its own.
const char* const kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Han, (a wide block before it) and Hangul runs, shared by both DeepSeek vocabularies.
const char* const kDeepseekCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
// DeepSeek LLM's letters: the cased letters (Lu, Ll, Lt) of the Unicode version its tokenizer was built
// with, spelled out so that later Unicode additions do not change the split.
const char* const kDeepseekLetters =
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF})"
    R"(\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1})"
    R"(\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5})"
    R"(\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A})"
    R"(\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B})"
    R"(\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC})"
    R"(\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
    R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134})"
    R"(\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})"
    R"(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787})"
    R"(\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A})"
    R"(\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
    R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
// DeepSeek LLM's punctuation: ASCII symbols, their full-width forms, curly quotes, CJK space and stops.
const char* const kDeepseekPunct =
    R"(\s?[\x{21}-\x{2F}\x{3A}-\x{7E}\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";

struct Family {
  std::vector<std::string_view> names;  // tokenizer.ggml.pre values
  std::vector<std::string> expressions;
  bool ignore_merges = false;
};

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {{"gpt-2", "mpt"}, {kGpt2}},
      {{"llama3", "llama-bpe", "llama-v3"}, {kLlama3}, true},
      {{"dbrx", "smaug-bpe"}, {kLlama3}},
      // Single digits first, then GPT-2.
      {{"smollm", "starcoder", "refact"}, {R"(\p{N})", kGpt2}},
      {{"qwen2", "deepseek-r1-qwen"}, {kQwen2}},
      {{"deepseek-llm"}, {R"([\r\n])", kDeepseekLetters, kDeepseekPunct, R"(\s+$)", kDeepseekCjk, R"(\p{N}+)"}},
      {{"deepseek-coder"}, {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"}},
      // Punctuation runs, then GPT-2, then numbers in groups of three digits.
      {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
                    R"([0-9][0-9][0-9])"}},
  };
  return all;
}

// \s -> \p{White_Space}, \S -> \P{White_Space}; every other escape is kept as written.
std::string with_unicode_whitespace(const std::string& e) {
  std::string out;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i] == '\\' && i + 1 < e.size()) {
      const char c = e[i + 1];
      if (c == 's') out += R"(\p{White_Space})";
      else if (c == 'S') out += R"(\P{White_Space})";
      else { out += e[i]; out += c; }
      ++i;
    } else {
      out += e[i];
    }
  }
  return out;
}

}  // namespace

struct PreTokenizer::Impl {
  std::vector<std::unique_ptr<icu::RegexPattern>> patterns;
  bool ignore_merges = false;
};

PreTokenizer::PreTokenizer(const std::vector<std::string>& expressions) : impl_(std::make_unique<Impl>()) {
  for (const auto& e : expressions) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError where{};
    std::unique_ptr<icu::RegexPattern> p(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(with_unicode_whitespace(e)), 0, where, status));
    if (U_FAILURE(status) || !p)
      throw std::invalid_argument("pre-tokenizer expression does not compile (" + std::string(u_errorName(status)) +
                                  " at offset " + std::to_string(where.offset) + "): " + e);
    impl_->patterns.push_back(std::move(p));
  }
}

PreTokenizer::~PreTokenizer() = default;

std::unique_ptr<PreTokenizer> PreTokenizer::for_name(std::string_view pre) {
  for (const auto& f : families())
    for (auto n : f.names)
      if (n == pre) {
        auto p = std::make_unique<PreTokenizer>(f.expressions);
        p->impl_->ignore_merges = f.ignore_merges;
        return p;
      }
  return nullptr;
}

bool PreTokenizer::ignore_merges() const { return impl_->ignore_merges; }

std::string PreTokenizer::known_names() {
  std::string s;
  for (const auto& f : families())
    for (auto n : f.names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (!text.empty()) pieces.push_back(text);
  UErrorCode status = U_ZERO_ERROR;
  UText* ut = nullptr;
  for (const auto& pattern : impl_->patterns) {
    std::unique_ptr<icu::RegexMatcher> m(pattern->matcher(status));
    if (U_FAILURE(status)) throw std::runtime_error("pre-tokenizer: ICU matcher: " + std::string(u_errorName(status)));
    std::vector<std::string_view> next;
    for (std::string_view piece : pieces) {
      // Each piece is matched on its own: anchors and look-ahead stop at its ends.
      ut = utext_openUTF8(ut, piece.data(), static_cast<int64_t>(piece.size()), &status);
      m->reset(ut);
      int64_t done = 0;  // byte offsets (UTF-8 native indexes)
      while (m->find(status) && U_SUCCESS(status)) {
        const int64_t s = m->start64(status), e = m->end64(status);
        if (s > done) next.push_back(piece.substr(done, s - done));
        if (e > s) next.push_back(piece.substr(s, e - s));
        done = e;
      }
      if (U_FAILURE(status)) break;
      if (done < static_cast<int64_t>(piece.size())) next.push_back(piece.substr(done));
    }
    if (U_FAILURE(status)) {
      utext_close(ut);
      throw std::runtime_error("pre-tokenizer: ICU regex: " + std::string(u_errorName(status)));
    }
    pieces = std::move(next);
  }
  utext_close(ut);
  return pieces;
}

}  // namespace quant
