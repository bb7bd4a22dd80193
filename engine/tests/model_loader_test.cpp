// Model loading on generated GGUFs: shapes, types and vocabulary data are validated before use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "quant/backend.h"
#include "quant/error.h"
#include "quant/model.h"
#include "quant/session.h"
#include "quant/synthetic_model.h"
#include "quant/tokenizer.h"
#include "test_support.h"

namespace quant {
namespace {

std::string write_model(const GgufWriter& w, const std::string& name) {
  std::string p = test::temp_path(name);
  w.write(p);
  return p;
}

void expect_load_error(const GgufWriter& w, const std::string& needle, bool tokenizer = false) {
  std::string p = write_model(w, "bad.gguf");
  try {
    auto m = Model::load(p);
    if (tokenizer) Tokenizer::from_gguf(m->file());
    FAIL() << "expected error containing '" << needle << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "error must name the file: " << e.what();
  }
}

// Every weight type: SyntheticModel.EveryWeightTypeLoadsAndGivesFiniteLogits. Here the float types and
// the two 8/4-bit ones, each with tied or untied embeddings as the file says.
TEST(ModelLoader, SyntheticModelsReportTiedEmbeddingsAndGiveFiniteLogits) {
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0}) {
    SyntheticSpec spec;
    spec.weight_type = t;
    spec.tied_embeddings = t != GgmlType::F16;
    std::string p = write_model(make_synthetic_model(spec), "synth.gguf");
    auto m = Model::load(p);
    EXPECT_EQ(m->config().tied_embeddings, spec.tied_embeddings);
    ThreadPool pool(2);
    auto backend = make_cpu_backend(pool);
    SessionOptions o;
    o.n_ctx = 64;
    Session s(*m, pool, *backend, o);
    std::vector<int> ids = {1, 300, 301, 302};
    std::vector<float> logits(4 * 512);
    s.eval(ids.data(), 4, logits.data(), true);
    for (float x : logits) ASSERT_TRUE(std::isfinite(x)) << ggml_type_name(t);
    auto tok = Tokenizer::from_gguf(m->file());
    EXPECT_EQ(tok->n_vocab(), 512);
  }
}

TEST(ModelLoader, QuantisedWeightsTrackTheFloatModel) {
  SyntheticSpec spec;
  auto p32 = write_model(make_synthetic_model(spec), "f32.gguf");
  spec.weight_type = GgmlType::Q8_0;
  auto p8 = write_model(make_synthetic_model(spec), "q8.gguf");
  ThreadPool pool(1);
  auto backend = make_cpu_backend(pool);
  std::vector<float> a(512), b(512);
  for (auto [path, out] : {std::pair{p32, &a}, std::pair{p8, &b}}) {
    auto m = Model::load(path);
    SessionOptions o;
    o.n_ctx = 16;
    Session s(*m, pool, *backend, o);
    std::vector<int> ids = {1, 270, 280};
    s.eval(ids.data(), 3, out->data(), false);
  }
  double err = 0, norm = 0;
  for (int i = 0; i < 512; ++i) { err += (a[i] - b[i]) * (a[i] - b[i]); norm += a[i] * a[i]; }
  EXPECT_LT(std::sqrt(err / norm), 0.05);
}

TEST(ModelLoader, RejectsLayerCountBeyondTensors) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  w.set_u32("llama.block_count", 1000000);
  expect_load_error(w, "block_count");
  w.set_u32("llama.block_count", 3);
  expect_load_error(w, "missing required tensor blk.2.attn_norm.weight");
}

TEST(ModelLoader, RejectsUnsupportedArchitectureAndMissingKeys) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  w.set_string("general.architecture", "mamba");
  expect_load_error(w, "unsupported architecture 'mamba'");
  GgufWriter v = make_synthetic_model(SyntheticSpec{});
  v.set_string("llama.embedding_length", "wide");
  expect_load_error(v, "llama.embedding_length: expected an integer, found STRING");
  GgufWriter x = make_synthetic_model(SyntheticSpec{});
  x.set_u32("llama.attention.head_count_kv", 3);
  expect_load_error(x, "does not divide");
}

TEST(ModelLoader, SyntheticModelsOfEveryFamilyLoadAndRun) {
  const std::vector<std::pair<std::string, std::string>> families = {
      {"llama", "rope_normal"}, {"qwen2", "qkv_bias"}, {"qwen3", "qk_norm"}, {"gemma3", "sliding_window"},
      {"phi3", "fused_qkv"}};
  for (const auto& [arch, marker] : families) {
    SyntheticSpec spec;
    spec.arch = arch;
    spec.n_layer = 6;          // gemma3: layers 0-4 local, 5 global
    spec.sliding_window = 3;
    if (arch == "qwen3" || arch == "gemma3") spec.head_dim = 32;  // != n_embd / n_head
    auto m = Model::load(write_model(make_synthetic_model(spec), "family.gguf"));
    const auto names = feature_names(m->config());
    EXPECT_NE(std::find(names.begin(), names.end(), marker), names.end()) << arch;
    EXPECT_EQ(m->config().head_dim, spec.head_dim ? spec.head_dim : 16) << arch;
    ThreadPool pool(2);
    auto backend = make_cpu_backend(pool);
    std::vector<int> ids = {1, 300, 301, 302, 303, 304, 305, 306, 307, 308};
    std::vector<std::vector<float>> out;
    for (int batch : {512, 3}) {
      SessionOptions o;
      o.n_ctx = 16;
      o.max_batch = batch;
      Session s(*m, pool, *backend, o);
      out.emplace_back(ids.size() * 512);
      s.eval(ids.data(), static_cast<int>(ids.size()), out.back().data(), true);
    }
    for (size_t i = 0; i < out[0].size(); ++i) {
      ASSERT_TRUE(std::isfinite(out[0][i])) << arch;
      ASSERT_NEAR(out[0][i], out[1][i], 1e-4) << arch << " logit " << i;
    }
  }
}

// A llama file relabelled as another family lacks that family's tensors or keys: the error names them.
TEST(ModelLoader, FamilyTensorsAndKeysAreRequired) {
  auto relabel = [](const std::string& arch) {
    SyntheticSpec spec;
    GgufWriter w = make_synthetic_model(spec);
    const std::string a = arch + ".";
    w.set_string("general.architecture", arch);
    w.set_u32(a + "embedding_length", spec.n_embd);
    w.set_u32(a + "block_count", spec.n_layer);
    w.set_u32(a + "feed_forward_length", spec.n_ff);
    w.set_u32(a + "attention.head_count", spec.n_head);
    w.set_u32(a + "attention.head_count_kv", spec.n_head_kv);
    return w;
  };
  expect_load_error(relabel("qwen2"), "missing required tensor blk.0.attn_q.bias");
  expect_load_error(relabel("qwen3"), "missing required tensor blk.0.attn_q_norm.weight");
  expect_load_error(relabel("phi3"), "missing required tensor blk.0.attn_qkv.weight");
  expect_load_error(relabel("gemma3"), "gemma3.attention.sliding_window");
  GgufWriter g = relabel("gemma3");
  g.set_u32("gemma3.attention.sliding_window", 4);
  expect_load_error(g, "missing required tensor blk.0.attn_q_norm.weight");
  GgufWriter y = make_synthetic_model(SyntheticSpec{});
  y.set_string("llama.rope.scaling.type", "yarn");
  expect_load_error(y, "unsupported RoPE scaling 'yarn'");
}

TEST(ModelLoader, RejectsWrongShapes) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  w.set_u32("llama.feed_forward_length", 100);
  expect_load_error(w, "has shape 64 x 128, expected 64 x 100");
}

TEST(ModelLoader, RejectsTokenScoresOfTheWrongType) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  std::vector<uint8_t> payload = {0, 0, 0, 0};  // element type UINT8
  uint64_t n = 512;
  payload.insert(payload.end(), reinterpret_cast<uint8_t*>(&n), reinterpret_cast<uint8_t*>(&n) + 8);
  payload.resize(payload.size() + 512, 1);
  w.set_raw("tokenizer.ggml.scores", GgufValueType::ARRAY, payload);
  expect_load_error(w, "tokenizer.ggml.scores: expected array of FLOAT32, found array of UINT8", true);
}

TEST(ModelLoader, RejectsMalformedByteTokens) {
  for (const char* bad : {"<0x-1>", "<0xZZ>", "<0x1>", "<0x100>"}) {
    GgufWriter w = make_synthetic_model(SyntheticSpec{});
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    for (int b = 0; b < 256; ++b) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      tokens.push_back(b == 65 ? bad : buf);
    }
    while (tokens.size() < 512) tokens.push_back("t" + std::to_string(tokens.size()));
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    expect_load_error(w, "byte token 68", true);
  }
}

TEST(ModelLoader, RejectsSpecialIdsOutsideTheVocabulary) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  w.set_u32("tokenizer.ggml.bos_token_id", 100000);
  expect_load_error(w, "tokenizer.ggml.bos_token_id", true);
}

TEST(Session, RejectsOutOfRangeTokensAndFullContext) {
  std::string p = write_model(make_synthetic_model(SyntheticSpec{}), "ok.gguf");
  auto m = Model::load(p);
  ThreadPool pool(1);
  auto backend = make_cpu_backend(pool);
  SessionOptions o;
  o.n_ctx = 4;
  Session s(*m, pool, *backend, o);
  int bad = 512;
  EXPECT_THROW(s.eval(&bad, 1, nullptr, false), InputError);
  std::vector<int> five(5, 1);
  EXPECT_THROW(s.eval(five.data(), 5, nullptr, false), InputError);
  EXPECT_EQ(s.n_past(), 0);
}

}  // namespace
}  // namespace quant
