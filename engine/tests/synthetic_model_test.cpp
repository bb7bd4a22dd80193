// The synthetic model generator (library and quant-synth tool): presets have the real shapes, the
// Q4_K_M mix follows llama-quantize's recipe, the bytes depend only on the spec, every weight type loads
// and gives finite logits, and bad flags give one-line errors.
#include <gtest/gtest.h>

#include <algorithm>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/wait.h>

#include "quant/backend.h"
#include "quant/model.h"
#include "quant/session.h"
#include "quant/sha256.h"
#include "quant/synthetic_model.h"
#include "quant/tokenizer.h"
#include "test_support.h"

namespace quant {
namespace {

TEST(SyntheticModel, PresetsHaveTheRealShapes) {
  auto t = synthetic_preset("tinyllama-1.1b");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->n_embd, 2048); EXPECT_EQ(t->n_layer, 22); EXPECT_EQ(t->n_head, 32); EXPECT_EQ(t->n_head_kv, 4);
  EXPECT_EQ(t->n_ff, 5632); EXPECT_EQ(t->n_vocab, 32000); EXPECT_FALSE(t->tied_embeddings);
  auto s = synthetic_preset("smollm2-135m");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->n_embd, 576); EXPECT_EQ(s->n_layer, 30); EXPECT_EQ(s->n_head, 9); EXPECT_EQ(s->n_head_kv, 3);
  EXPECT_EQ(s->n_ff, 1536); EXPECT_EQ(s->n_vocab, 49152);
  auto l = synthetic_preset("llama3.2-1b");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->n_embd, 2048); EXPECT_EQ(l->n_layer, 16); EXPECT_EQ(l->n_head, 32); EXPECT_EQ(l->n_head_kv, 8);
  EXPECT_EQ(l->n_ff, 8192); EXPECT_EQ(l->n_vocab, 128256);
  EXPECT_FALSE(synthetic_preset("gpt-5"));
}

// Each family preset, cut to one layer and a small vocabulary, loads as its family and runs.
TEST(SyntheticModel, FamilyPresetsLoadAsTheirFamily) {
  const std::vector<std::pair<const char*, const char*>> presets = {
      {"qwen2.5-0.5b", "qwen2"}, {"qwen3-0.6b", "qwen3"}, {"gemma3-1b", "gemma3"}, {"phi3-mini", "phi3"}};
  for (const auto& [name, arch] : presets) {
    auto s = synthetic_preset(name);
    ASSERT_TRUE(s) << name;
    const int head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
    s->n_layer = 1;
    s->n_vocab = 512;
    const std::string p = test::temp_path("family-preset.gguf");
    make_synthetic_model(*s).write(p);
    auto m = Model::load(p);
    EXPECT_EQ(m->config().arch, arch);
    EXPECT_EQ(m->config().head_dim, head_dim) << name;
    EXPECT_EQ(m->config().n_embd, s->n_embd) << name;
    ThreadPool pool(2);
    auto backend = make_cpu_backend(pool);
    SessionOptions o;
    o.n_ctx = 8;
    Session session(*m, pool, *backend, o);
    std::vector<int> ids = {1, 300, 301};
    std::vector<float> logits(ids.size() * 512);
    session.eval(ids.data(), 3, logits.data(), true);
    for (float x : logits) ASSERT_TRUE(std::isfinite(x)) << name;
  }
  EXPECT_EQ(synthetic_preset("gemma3-1b")->sliding_window, 512);
  EXPECT_EQ(synthetic_preset("qwen3-0.6b")->head_dim * 16, 2048);
}

TEST(SyntheticModel, Q4_K_MGivesSixBitsToTheRecipesLayers) {
  SyntheticSpec s = *synthetic_preset("tinyllama-1.1b");
  s.mix = WeightMix::q4_k_m;
  std::set<int> six;
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    const GgmlType v = synthetic_tensor_type(s, p + "attn_v.weight", 2048);
    EXPECT_EQ(v, synthetic_tensor_type(s, p + "ffn_down.weight", 5632)) << l;
    if (v == GgmlType::Q6_K) six.insert(l);
    EXPECT_EQ(synthetic_tensor_type(s, p + "attn_q.weight", 2048), GgmlType::Q4_K);
    EXPECT_EQ(synthetic_tensor_type(s, p + "ffn_up.weight", 2048), GgmlType::Q4_K);
  }
  // 22 layers: i < 2, i >= 19, and (i - 2) % 3 == 2.
  EXPECT_EQ(six, (std::set<int>{0, 1, 4, 7, 10, 13, 16, 19, 20, 21}));
  EXPECT_EQ(synthetic_tensor_type(s, "output.weight", 2048), GgmlType::Q6_K);
  EXPECT_EQ(synthetic_tensor_type(s, "token_embd.weight", 2048), GgmlType::Q4_K);  // untied
  s.tied_embeddings = true;
  EXPECT_EQ(synthetic_tensor_type(s, "token_embd.weight", 2048), GgmlType::Q6_K);  // acts as the output
  // Rows that are not a multiple of 256 fall back like llama-quantize: Q4_K -> Q5_0, Q6_K -> Q8_0.
  EXPECT_EQ(synthetic_tensor_type(s, "blk.3.attn_q.weight", 576), GgmlType::Q5_0);
  EXPECT_EQ(synthetic_tensor_type(s, "output.weight", 576), GgmlType::Q8_0);
}

TEST(SyntheticModel, BytesDependOnlyOnTheSpec) {
  SyntheticSpec s;
  s.n_embd = 256;
  s.weight_type = GgmlType::Q4_K;
  s.threads = 1;
  const auto a = make_synthetic_model(s).to_bytes();
  s.threads = 3;
  EXPECT_EQ(a, make_synthetic_model(s).to_bytes());
  s.seed = 2;
  EXPECT_NE(a, make_synthetic_model(s).to_bytes());
  // The streamed file equals the in-memory image.
  const std::string p = test::temp_path("synth-stream.gguf");
  s.seed = 1;
  make_synthetic_model(s).write(p);
  EXPECT_EQ(a, test::read_file(p));
}

TEST(SyntheticModel, EveryWeightTypeLoadsAndGivesFiniteLogits) {
  for (const char* type : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M"}) {
    SyntheticSpec s;
    s.n_embd = 256;
    s.n_ff = 512;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.tied_embeddings = false;
    if (std::string(type) == "Q4_K_M") {
      s.mix = WeightMix::q4_k_m;
    } else {
      for (uint32_t id = 0; id < 64; ++id)
        if (auto info = ggml_type_info(id); info && info->name == type) s.weight_type = info->type;
    }
    const std::string p = test::temp_path("synth-types.gguf");
    make_synthetic_model(s).write(p);
    auto m = Model::load(p);
    if (std::string(type) != "Q4_K_M") {
      EXPECT_EQ(m->weights().layers[0].wq.type, s.weight_type) << type;
    }
    ThreadPool pool(2);
    auto backend = make_cpu_backend(pool);
    SessionOptions o;
    o.n_ctx = 16;
    Session sess(*m, pool, *backend, o);
    std::vector<int> ids = {1, 300, 301, 302, 303};
    std::vector<float> logits(ids.size() * 512);
    sess.eval(ids.data(), static_cast<int>(ids.size()), logits.data(), true);
    double ss = 0;
    for (float x : logits) {
      ASSERT_TRUE(std::isfinite(x)) << type;
      ss += x * x;
    }
    EXPECT_GT(ss, 0) << type;
    EXPECT_EQ(Tokenizer::from_gguf(m->file())->n_vocab(), 512);
  }
}

using ToolRun = test::CommandRun;
ToolRun run(const std::string& bin, const std::string& args) { return test::run_command(bin + " " + args, "synth-stderr.txt"); }

void expect_one_line_error(const ToolRun& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// Caches of generated models (bench-all's .cache/models) are keyed by kSyntheticGeneratorVersion, so any
// change to the bytes written for a spec must bump it: this pins the bytes of one small spec. When it
// fails after an intended change, bump kSyntheticGeneratorVersion and put the new hash here.
TEST(QuantSynthTool, BytesArePinnedToTheGeneratorVersion) {
  const auto spec = synthetic_spec("tiny", "Q4_0", 1, 0, 7);
  ASSERT_TRUE(spec);
  const auto bytes = make_synthetic_model(*spec).to_bytes();
  const std::string hash = sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  EXPECT_EQ(kSyntheticGeneratorVersion, 1);
  EXPECT_EQ(hash, "f51495144ddcb5742e463da77c3a2dfb46612e926079287c910ee187d5be80d9") << "generator version " << kSyntheticGeneratorVersion;
  // quant-synth writes the same bytes for the same flags.
  const std::string p = test::temp_path("tool-pinned.gguf");
  ToolRun r = run(QUANT_SYNTH_BIN, "--preset tiny --type Q4_0 --layers 1 --seed 7 -o " + p);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(sha256_file(p), hash);
  EXPECT_FALSE(synthetic_spec("tiny", "Q9_9", 0, 0, 1));
  EXPECT_FALSE(synthetic_spec("gpt-9", "Q4_0", 0, 0, 1));
}

TEST(QuantSynthTool, WritesALoadableModelAndReportsIt) {
  const std::string p = test::temp_path("tool-smollm2.gguf");
  ToolRun r = run(QUANT_SYNTH_BIN, "--preset smollm2-135m --type Q4_K_M --layers 1 -o " + p + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"weight_bytes_per_token\""), std::string::npos) << r.out;
  auto m = Model::load(p);
  EXPECT_EQ(m->config().n_embd, 576);
  EXPECT_EQ(m->config().n_vocab, 49152);
  EXPECT_EQ(m->weights().layers[0].ffn_down.type, GgmlType::Q6_K);  // layer 0 of 1 gets more bits
  EXPECT_EQ(m->weights().layers[0].wq.type, GgmlType::Q5_0);        // 576-wide rows fall back
}

TEST(QuantSynthTool, BadFlagsGiveOneLineErrors) {
  const std::string p = test::temp_path("never.gguf");
  expect_one_line_error(run(QUANT_SYNTH_BIN, "--preset gpt5 --type Q4_0 -o " + p), 2, "unknown preset 'gpt5'");
  expect_one_line_error(run(QUANT_SYNTH_BIN, "--preset tiny --type Q3_K -o " + p), 2, "unknown weight type 'Q3_K'");
  expect_one_line_error(run(QUANT_SYNTH_BIN, "--preset tiny --type Q4_0"), 2, "--output is required");
  expect_one_line_error(run(QUANT_SYNTH_BIN, "--preset tiny --type Q4_0 --layers 0 -o " + p), 2, "--layers");
  expect_one_line_error(run(QUANT_SYNTH_BIN, "--preset tiny --type Q4_0 -o /nonexistent-dir/x.gguf"), 1,
                        "/nonexistent-dir/x.gguf: cannot create file");
  EXPECT_FALSE(std::ifstream(p).good());
}

TEST(QuantBandwidthTool, ReportsPositiveBandwidthAsJson) {
  ToolRun r = run(QUANT_BANDWIDTH_BIN, "--size-mib 16 -r 1 -t 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"read_gb_s\""), std::string::npos);
  expect_one_line_error(run(QUANT_BANDWIDTH_BIN, "--size-mib 1"), 2, "--size-mib");
}

TEST(QuantAbTool, AlternatesSlicesAndPairsThemWithTheFirstConfiguration) {
  const std::string m = test::temp_path("ab-synth.gguf");
  make_synthetic_model(SyntheticSpec{}).write(m);
  ToolRun r = run(QUANT_AB_BIN, m + " --kv fp32:fp32 --kv turbo_kv_4b:fp16 --kv q8_0:q8_0 --depth 12 --rounds 3 --slice 2 -t 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "quant.ab");
  EXPECT_EQ(j["depth"], 12);
  ASSERT_EQ(j["configs"].size(), 3u);
  EXPECT_EQ(j["configs"][1]["k_type"], "turbo_kv_4b");
  EXPECT_EQ(j["configs"][1]["v_type"], "fp16");
  for (const auto& c : j["configs"]) {
    ASSERT_EQ(c["slice_tok_s"].size(), 3u);
    for (const auto& v : c["slice_tok_s"]) EXPECT_GT(v.get<double>(), 0.0);
  }
  EXPECT_DOUBLE_EQ(j["configs"][0]["median_ratio_to_first"].get<double>(), 1.0);
  EXPECT_EQ(j["configs"][0]["slices_faster_than_first"], 0);
  // The reported ratio is the median of the per-round ratios.
  std::vector<double> ratio;
  for (int i = 0; i < 3; ++i)
    ratio.push_back(j["configs"][2]["slice_tok_s"][i].get<double>() / j["configs"][0]["slice_tok_s"][i].get<double>());
  std::sort(ratio.begin(), ratio.end());
  EXPECT_DOUBLE_EQ(j["configs"][2]["median_ratio_to_first"].get<double>(), ratio[1]);
}

TEST(QuantAbTool, BadConfigurationsGiveOneLineErrors) {
  const std::string m = test::temp_path("ab-synth-bad.gguf");
  make_synthetic_model(SyntheticSpec{}).write(m);
  expect_one_line_error(run(QUANT_AB_BIN, m + " --kv fp32:fp32"), 2, "at least two configurations");
  expect_one_line_error(run(QUANT_AB_BIN, m + " --kv fp32:fp32 --kv turbo:fp16"), 2, "unknown KV cache type 'turbo'");
  expect_one_line_error(run(QUANT_AB_BIN, m + " --kv fp32 --kv fp16:fp16"), 2, "expected K:V");
  expect_one_line_error(run(QUANT_AB_BIN, m + " --kv fp32:fp32 --kv fp16:fp16 --slice 0"), 2, "--slice");
  expect_one_line_error(run(QUANT_AB_BIN, "/nonexistent.gguf --kv fp32:fp32 --kv fp16:fp16"), 1, "/nonexistent.gguf");
}

}  // namespace
}  // namespace quant
