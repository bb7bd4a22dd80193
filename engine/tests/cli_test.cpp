// The quant command line as users and the harness drive it: flags, exit codes, one-line errors, JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "quant/backend_factory.h"
#include "quant/synthetic_model.h"
#include "test_support.h"

namespace quant {
namespace {

using CliRun = test::CommandRun;

CliRun run(const std::string& args) { return test::run_command(std::string(QUANT_BIN) + " " + args, "stderr.txt"); }

std::string synthetic_model() {
  static std::string path = [] {
    std::string p = test::temp_path("cli-synth.gguf");
    make_synthetic_model(SyntheticSpec{}).write(p);
    return p;
  }();
  return path;
}

void expect_one_line_error(const CliRun& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no partial output on stdout: " << r.out;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Cli, UnknownFlagsAndValuesExitWithTwo) {
  const std::string m = synthetic_model();
  expect_one_line_error(run(m + " --frobnicate"), 2, "frobnicate");
  expect_one_line_error(run(m + " -k turbo_kv_9b"), 2, "unknown KV cache type 'turbo_kv_9b' (valid: fp32, fp16, q8_0");
  expect_one_line_error(run(m + " -v nope"), 2, "-v/-ctv: unknown KV cache type");
  expect_one_line_error(run(m + " --backend cuda"), 2, "unknown backend 'cuda' (valid: cpu, vulkan)");
  expect_one_line_error(run(m + " --bench -p abc"), 2, "-p: 'abc' is not an integer");
  expect_one_line_error(run(m + " -t 0"), 2, "");
  expect_one_line_error(run(""), 2, "no model given");
  expect_one_line_error(run(m + " --bench --info"), 2, "choose one");
}

TEST(Cli, BadFilesAreOneLineErrors) {
  expect_one_line_error(run("/nonexistent.gguf --info"), 1, "/nonexistent.gguf: cannot open");
  std::string junk = test::temp_path("junk.gguf");
  { FILE* f = fopen(junk.c_str(), "w"); fputs("not a model at all", f); fclose(f); }
  expect_one_line_error(run(junk + " --info --json"), 1, "bad magic");
  expect_one_line_error(run(synthetic_model() + " --ppl /nonexistent.txt -k fp32"), 1, "--ppl /nonexistent.txt: cannot open");
}

TEST(Cli, InfoJsonDescribesTheModel) {
  CliRun r = run("-m " + synthetic_model() + " --info --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "quant.run");
  EXPECT_EQ(j["mode"], "info");
  EXPECT_EQ(j["model"]["arch"], "llama");
  EXPECT_EQ(j["model"]["synthetic"], true);
  EXPECT_EQ(j["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(j["build"]["git_commit"].get<std::string>().empty());
  EXPECT_EQ(j["model"]["weights_memory"], "copy");  // the default
  CliRun mapped = run("-m " + synthetic_model() + " --info --json --mmap");
  ASSERT_EQ(mapped.code, 0) << mapped.err;
  auto jm = nlohmann::json::parse(mapped.out);
  EXPECT_EQ(jm["model"]["weights_memory"], "mmap");
  EXPECT_EQ(jm["model"]["huge_pages_advised"], false);
}

// With the CPU backend, Q4_0 matmul weights are regrouped in the private copy for the decode kernels: the
// JSON says how many, and every logit equals the --mmap run's (GGUF layout), one token at a time and in
// batches (the batch kernels read the regrouped rows too).
TEST(Cli, RegroupedQ4_0WeightsGiveTheMappedFilesLogits) {
  SyntheticSpec spec;
  spec.n_embd = 320;  // 10 blocks a row: one run of 8 regrouped, 2 in GGUF order
  spec.n_ff = 512;
  spec.weight_type = GgmlType::Q4_0;
  spec.tied_embeddings = false;
  const std::string model = test::temp_path("cli-q4_0.gguf");
  make_synthetic_model(spec).write(model);
  const std::string tokens = " --tokens \"1 300 301 302 303 304 305 306 307 308 309\" -k fp32 -v fp32 -t 2 --backend cpu";
  for (const char* batch : {"1", "16"}) {
    const std::string copied = test::temp_path("logits-copy.bin"), mapped = test::temp_path("logits-mmap.bin");
    CliRun c = run(model + tokens + " -b " + batch + " --json --logits-out " + copied);
    CliRun m = run(model + tokens + " -b " + batch + " --json --mmap --logits-out " + mapped);
    ASSERT_EQ(c.code, 0) << c.err;
    ASSERT_EQ(m.code, 0) << m.err;
    EXPECT_EQ(nlohmann::json::parse(c.out)["model"]["regrouped_tensors"], 2 * 7 + 1);  // 7 per layer + output
    EXPECT_EQ(nlohmann::json::parse(m.out)["model"]["regrouped_tensors"], 0);
    const auto a = test::read_file(copied), b = test::read_file(mapped);
    ASSERT_EQ(a.size(), 8u + 11 * 4 + 11 * 512 * 4);
    EXPECT_TRUE(a == b) << "logits differ between the regrouped and the GGUF layout, batch " << batch;
  }
}

TEST(Cli, InfoListsFamilyFeaturesAndRejectsUnknownArchitectures) {
  GgufWriter w = make_synthetic_model(SyntheticSpec{});
  w.set_string("general.architecture", "mamba");
  const std::string bad = test::temp_path("mamba.gguf");
  w.write(bad);
  expect_one_line_error(run(bad + " --info"), 1, "unsupported architecture 'mamba' (supported: llama, qwen2, qwen3, gemma3, phi3)");

  SKIP_WITHOUT_SHARED(model, "reference/archs/gemma3-f32.gguf");
  CliRun r = run(model + " --info --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out)["model"];
  EXPECT_EQ(j["arch"], "gemma3");
  const auto features = j["features"].get<std::vector<std::string>>();
  for (const char* f : {"rope_neox", "ffn_gelu_tanh", "qk_norm", "post_norms", "scaled_embeddings", "sliding_window"})
    EXPECT_NE(std::find(features.begin(), features.end(), f), features.end()) << f;
  EXPECT_EQ(j["sliding_window"], 8);
  ASSERT_EQ(j["layers"].size(), 7u);
  EXPECT_EQ(j["layers"][5]["window"], 0);
  EXPECT_EQ(j["layers"][4]["window"], 8);
  EXPECT_EQ(j["tokenizer"]["model"], "llama");
}

TEST(Cli, BenchJsonKeepsEveryRepetition) {
  CliRun r = run(synthetic_model() + " --bench -p 8 -n 4 -r 3 -t 1 -k fp32 -v fp16 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["bench"]["pp"]["tok_s"].size(), 3u);
  EXPECT_EQ(j["bench"]["tg"]["tok_s"].size(), 3u);
  EXPECT_EQ(j["kv"]["k_type"], "fp32");
  EXPECT_EQ(j["kv"]["v_type"], "fp16");
  EXPECT_EQ(j["backend"]["used"], default_backend_name());  // vulkan in an ENGINE_VULKAN build
  EXPECT_EQ(j["config"]["threads"], 1);
  // fp32 K (4 bytes) + fp16 V (2 bytes) per element: 2 layers x 2 heads x 16 dims.
  EXPECT_EQ(j["kv"]["k_bytes_per_token"], 2 * 2 * 16 * 4);
  EXPECT_EQ(j["kv"]["v_bytes_per_token"], 2 * 2 * 16 * 2);
}

TEST(Cli, ProbeBandwidthPairsEveryDecodeSliceWithAReadPass) {
  CliRun r = run(synthetic_model() + " --bench -p 0 -n 16 -r 2 -t 2 -k fp32 -v fp32 --backend cpu --probe-bandwidth --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& b = j["bench"]["bandwidth"];
  ASSERT_TRUE(b.is_object()) << j["bench"].dump();
  EXPECT_EQ(b["probe"], "read");
  EXPECT_EQ(b["tokens_per_slice"], 8);
  EXPECT_EQ(b["threads"], 2);
  EXPECT_EQ(b["probe_bytes"], 256u << 20);
  const size_t slices = 2 * 16 / 8;  // every measured repetition, not the warm-up
  ASSERT_EQ(b["slice_tok_s"].size(), slices);
  ASSERT_EQ(b["read_gb_s"].size(), slices);
  ASSERT_EQ(b["fraction"].size(), slices);
  const double wbytes = j["bench"]["weight_bytes_per_token"].get<double>();
  double lo = 1e30, hi = 0;
  for (size_t i = 0; i < slices; ++i) {
    const double gbs = wbytes * b["slice_tok_s"][i].get<double>() / 1e9;
    EXPECT_NEAR(b["slice_weight_gb_s"][i].get<double>(), gbs, 1e-9 * gbs);
    const double f = gbs / b["read_gb_s"][i].get<double>();
    EXPECT_NEAR(b["fraction"][i].get<double>(), f, 1e-9 * f);
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  EXPECT_GE(b["median_fraction"].get<double>(), lo);
  EXPECT_LE(b["median_fraction"].get<double>(), hi);
  // Without the flag there is no probe and the field says so.
  r = run(synthetic_model() + " --bench -p 0 -n 8 -r 1 -t 1 --backend cpu --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["bench"]["bandwidth"].is_null());
}

TEST(Cli, ProbeBandwidthRefusesWhatItCannotMeasure) {
  const std::string m = synthetic_model();
  expect_one_line_error(run(m + " --probe-bandwidth -n 8"), 2, "--probe-bandwidth needs --bench");
  expect_one_line_error(run(m + " --bench -p 0 -n 4 --probe-bandwidth"), 2, "--probe-bandwidth: needs -n 8 or more");
  expect_one_line_error(run(m + " --bench -n 8 --backend vulkan --probe-bandwidth"), 2, "use it with --backend cpu");
}

TEST(Cli, CompressedKvTypesReportTheirStoredBytes) {
  CliRun r = run(synthetic_model() + " --bench -p 8 -n 4 -r 1 -t 1 --json");  // default -k turbo_kv_4b -v fp16
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kv"]["k_type"], "turbo_kv_4b");
  // turbo_kv_4b at head dim 16: fp16 norm + 16 x 4 bits = 10 bytes; 2 layers x 2 heads.
  EXPECT_EQ(j["kv"]["k_bytes_per_token"], 2 * 2 * 10);
  EXPECT_DOUBLE_EQ(j["kv"]["k_bits_per_element"].get<double>(), 5.0);
  r = run(synthetic_model() + " --bench -p 8 -n 4 -r 1 -t 1 -k q4_0 -v q8_0 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kv"]["k_bytes_per_token"], 2 * 2 * (2 + 8));   // one 16-element q4_0 block
  EXPECT_EQ(j["kv"]["v_bytes_per_token"], 2 * 2 * (2 + 16));  // one 16-element q8_0 block
}

TEST(Cli, LogitsOutWritesTheReferenceLayout) {
  std::string out = test::temp_path("logits.bin");
  CliRun r = run(synthetic_model() + " --tokens \"1 300 301\" --logits-out " + out + " -k fp32 -v fp32 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<uint8_t> b = test::read_file(out);
  ASSERT_EQ(b.size(), 8u + 3 * 4 + 3 * 512 * 4);
  int32_t n, v;
  std::memcpy(&n, b.data(), 4);
  std::memcpy(&v, b.data() + 4, 4);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(v, 512);
  expect_one_line_error(run(synthetic_model() + " --tokens \"1 x\""), 2, "'x' is not a token id");
}

TEST(Cli, PerplexityJsonOnStories260K) {
  SKIP_WITHOUT_SHARED(model, "models/stories260K.gguf");
  SKIP_WITHOUT_SHARED(text, "data/tinystories_a.txt");
  CliRun r = run(model + " --ppl " + text + " -c 256 --chunks 10 -k fp32 -v fp32 --kld --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["perplexity"]["n_chunks"], 10);
  EXPECT_EQ(j["perplexity"]["n_scored"], 10 * 127);
  EXPECT_EQ(j["perplexity"]["max_tokens_in_cache"], 256);
  EXPECT_GT(j["perplexity"]["ppl"].get<double>(), 1.0);
  // fp32 against the fp32 reference pass: identical distributions.
  EXPECT_NEAR(j["kld"]["mean_kld"].get<double>(), 0.0, 1e-9);
  EXPECT_DOUBLE_EQ(j["kld"]["top1_agreement"].get<double>(), 1.0);
}

}  // namespace
}  // namespace quant
