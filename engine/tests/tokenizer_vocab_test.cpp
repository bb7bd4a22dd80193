// Tokenizers against published test vectors (../shared/data/tokenizer): every string of every
// vocabulary reproduced id for id, and the pre-tokenizer splits reproduced piece for piece.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "quant/error.h"
#include "quant/gguf_writer.h"
#include "quant/tokenizer.h"
#include "test_support.h"
#include "tokenizer/pre_tokenizer.h"

namespace quant {
namespace {

struct Case { std::string text; std::vector<int> ids; };

// NAME.gguf.inp holds strings separated by "\n__ggml_vocab_test__\n"; NAME.gguf.out one line of ids each.
std::vector<Case> read_cases(const std::string& inp_path, const std::string& out_path) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::string inp = test::read_text(inp_path);
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    size_t end = inp.find(sep, pos);
    if (end == std::string::npos) break;
    texts.push_back(inp.substr(pos, end - pos));
    pos = end + sep.size();
  }
  std::istringstream out(test::read_text(out_path));
  std::vector<Case> cases;
  std::string line;
  for (const auto& t : texts) {
    if (!std::getline(out, line)) break;
    std::istringstream ids(line);
    Case c{t, {}};
    for (int id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size()) << out_path << " has fewer lines than " << inp_path << " has strings";
  return cases;
}

std::string show(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += " " + std::to_string(id);
  return s;
}

class VocabFile : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabFile, ReproducesEveryTestString) {
  const std::string name = std::string("data/tokenizer/ggml-vocab-") + GetParam() + ".gguf";
  SKIP_WITHOUT_SHARED(vocab_path, name);
  SKIP_WITHOUT_SHARED(inp_path, name + ".inp");
  SKIP_WITHOUT_SHARED(out_path, name + ".out");
  auto file = GgufFile::open(vocab_path);
  auto tok = Tokenizer::from_gguf(*file);
  const std::vector<Case> cases = read_cases(inp_path, out_path);
  ASSERT_GE(cases.size(), 40u);
  int failures = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::vector<int> got = tok->encode(c.text, /*add_bos=*/false, /*parse_special=*/true);
    if (got != c.ids) ++failures;
    EXPECT_EQ(show(got), show(c.ids)) << GetParam() << " string " << i << ": '" << c.text << "'";
    // Decoding gives the bytes back (SentencePiece adds its space prefix in front).
    if (c.text.empty()) continue;
    const bool spm = tok->vocab().model == "llama";
    const std::string want = spm && tok->vocab().add_space_prefix ? " " + c.text : c.text;
    EXPECT_EQ(tok->decode(c.ids), want) << GetParam() << " string " << i;
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " strings";
}

INSTANTIATE_TEST_SUITE_P(Published, VocabFile,
                         ::testing::Values("gpt-2", "falcon", "deepseek-llm", "deepseek-coder", "mpt", "llama-spm",
                                           "phi-3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// pretokenize.json: {family: {regex, cases: [{text, pieces}]}}; family -> our tokenizer.ggml.pre name.
TEST(PreTokenizer, ReproducesReferenceSplits) {
  SKIP_WITHOUT_SHARED(path, "data/tokenizer/pretokenize.json");
  const auto j = nlohmann::json::parse(test::read_text(path));
  const std::vector<std::pair<std::string, std::string>> families = {
      {"llama3", "llama-bpe"}, {"qwen2", "qwen2"}, {"gpt2", "gpt-2"}};
  for (const auto& [family, pre_name] : families) {
    ASSERT_TRUE(j.contains(family)) << family;
    auto pre = PreTokenizer::for_name(pre_name);
    ASSERT_TRUE(pre) << pre_name;
    const auto& cases = j[family]["cases"];
    ASSERT_GE(cases.size(), 20u);
    for (const auto& c : cases) {
      const std::string text = c["text"];
      std::vector<std::string> got;
      for (auto p : pre->split(text)) got.emplace_back(p);
      EXPECT_EQ(got, c["pieces"].get<std::vector<std::string>>()) << family << ": '" << text << "'";
    }
  }
}

TEST(PreTokenizer, EveryKnownNameCompilesAndKeepsAllBytes) {
  // Invalid UTF-8, a lone continuation byte and a NUL must survive the split unchanged.
  const std::string text = std::string("abc \xff\x80 d\0e 12345 \xe4\xb8\xad\xe6\x96\x87 x", 24);
  std::istringstream names(PreTokenizer::known_names());
  int n = 0;
  for (std::string name; std::getline(names, name, ',');) {
    if (name.front() == ' ') name.erase(0, 1);
    auto pre = PreTokenizer::for_name(name);
    ASSERT_TRUE(pre) << name;
    std::string joined;
    for (auto p : pre->split(text)) {
      EXPECT_FALSE(p.empty()) << name;
      joined += p;
    }
    EXPECT_EQ(joined, text) << name;
    ++n;
  }
  EXPECT_GE(n, 9);
  EXPECT_EQ(PreTokenizer::for_name("no-such-pre"), nullptr);
}

GgufWriter tiny_bpe_vocab(const std::string& pre) {
  GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  if (!pre.empty()) w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab", "<|end|>", "<x>"});
  w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 3, 4});
  w.set_string_array("tokenizer.ggml.merges", {"a b"});
  return w;
}

std::unique_ptr<Tokenizer> load_tokenizer(const GgufWriter& w, const std::string& name) {
  const std::string p = test::temp_path(name);
  w.write(p);
  auto f = GgufFile::open(p);
  return Tokenizer::from_gguf(*f);  // the tokenizer copies what it needs from the file
}

TEST(BpeTokenizer, UnknownOrMissingPreTokenizerIsAnErrorNamingIt) {
  try {
    load_tokenizer(tiny_bpe_vocab("bogus-pre"), "bogus-pre.gguf");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown pre-tokenizer 'bogus-pre'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bogus-pre.gguf"), std::string::npos) << msg;
  }
  try {
    load_tokenizer(tiny_bpe_vocab(""), "no-pre.gguf");
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.pre is missing"), std::string::npos) << e.what();
  }
}

TEST(BpeTokenizer, SpecialTokensAreMatchedBeforeSplittingAndDecodeBack) {
  auto tok = load_tokenizer(tiny_bpe_vocab("gpt-2"), "tiny-bpe.gguf");
  // "ab" merges; the user-defined "<x>" always matches; the control "<|end|>" only when parsing specials.
  EXPECT_EQ(tok->encode("ab<x>ba", false), (std::vector<int>{2, 4, 1, 0}));
  EXPECT_EQ(tok->encode("ab<|end|>", false, true), (std::vector<int>{2, 3}));
  EXPECT_EQ(tok->decode({2, 4, 3, 1}), "ab<x>b");  // control tokens decode to nothing
  EXPECT_FALSE(tok->vocab().add_bos);                // GPT-2 default when the key is absent
}

}  // namespace
}  // namespace quant
