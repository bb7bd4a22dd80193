// llama.cpp as a peer engine: parsing llama-bench / llama-perplexity output (fixture strings in the
// tools' documented formats), the cache type mapping and unsupported cells, finding the binaries, and
// sweeps against fake_llama (a stand-in printing those formats): the "vs llama.cpp" comparisons, the
// PPL cross-check, reports, claims against the peer. One test runs the real llama.cpp build from
// ../shared/peers when it is there.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "harness/stats/analysis.h"
#include "harness/store/baseline.h"
#include "harness/claims/claims.h"
#include "harness/util/paths.h"
#include "harness/measure/peer_llamacpp.h"
#include "harness/report/release_notes.h"
#include "harness/report/report.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness/plan/variants.h"
#include "harness_test_support.h"
#include "quant/error.h"
#include "shared_data.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Shape of llama-bench -o json (two tests: pp and tg), trimmed to the fields the harness reads plus a few.
const char* kBenchJson = R"([
  {"build_commit": "d32676d77", "build_number": 7000, "cpu_info": "AMD EPYC", "gpu_info": "", "backends": "CPU",
   "model_filename": "/m/stories260K.gguf", "model_type": "llama ?B (guessed) all F32", "model_size": 1171200,
   "model_n_params": 292800, "n_batch": 2048, "n_ubatch": 512, "n_threads": 2, "type_k": "q8_0", "type_v": "q8_0",
   "flash_attn": 1, "n_prompt": 128, "n_gen": 0, "n_depth": 256, "avg_ts": 20000.5,
   "samples_ns": [6400000, 6300000], "samples_ts": [20000.0, 20317.5]},
  {"build_commit": "d32676d77", "build_number": 7000, "cpu_info": "AMD EPYC", "gpu_info": "", "backends": "CPU",
   "model_filename": "/m/stories260K.gguf", "model_type": "llama ?B (guessed) all F32", "model_size": 1171200,
   "model_n_params": 292800, "n_batch": 2048, "n_ubatch": 512, "n_threads": 2, "type_k": "q8_0", "type_v": "q8_0",
   "flash_attn": true, "n_prompt": 0, "n_gen": 64, "n_depth": 256, "avg_ts": 3100.0,
   "samples_ns": [20600000, 20700000], "samples_ts": [3106.8, 3091.8]}
])";

// llama-perplexity: running estimates on stdout, log lines (with their time prefix) on stderr.
const char* kPplOut = "[1]13.8059,[2]6.6622,[3]5.2808,[4]6.1290,\n";
const char* kPplErr =
    "0.00.094.210 W load: bad special token: 'tokenizer.ggml.seperator_token_id' = 4294967295, using default id -1\n"
    "0.00.132.718 I system_info: n_threads = 2 (n_threads_batch = 2) / 2 | CPU : SSE3 = 1 | AVX2 = 1 | \n"
    "0.00.132.785 I perplexity: tokenizing the input ..\n"
    "0.00.315.932 I perplexity: calculating perplexity over 4 chunks, n_ctx=256, batch_size=2048, n_seq=8\n"
    "0.00.875.352 I perplexity: 0.56 seconds per pass - ETA 0.01 minutes\n"
    "0.01.410.764 I Final estimate: PPL = 6.1290 +/- 0.45979\n";

TEST(PeerParse, LlamaBenchJson) {
  const auto tests = parse_llama_bench_json(kBenchJson);
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].n_prompt, 128);
  EXPECT_EQ(tests[0].n_gen, 0);
  EXPECT_EQ(tests[0].n_depth, 256);
  EXPECT_EQ(tests[0].n_threads, 2);
  EXPECT_EQ(tests[0].type_k, "q8_0");
  EXPECT_TRUE(tests[0].flash_attn);
  EXPECT_TRUE(tests[1].flash_attn) << "flash_attn as a bool is read too";
  EXPECT_EQ(tests[1].samples_ts, (std::vector<double>{3106.8, 3091.8}));
  EXPECT_EQ(tests[1].raw.at("build_commit"), "d32676d77");
}

TEST(PeerParse, LlamaBenchBadOutputNamesTheProblem) {
  auto message = [](const std::string& out) {
    try {
      parse_llama_bench_json(out);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("[\n"), "llama-bench stdout is not one JSON array");  // what it prints before a failed test
  EXPECT_EQ(message("[]"), "llama-bench stdout is not a non-empty JSON array");
  json t = json::parse(kBenchJson);
  t[0].erase("samples_ts");
  EXPECT_EQ(message(t.dump()), "llama-bench JSON lacks the array samples_ts");
  t = json::parse(kBenchJson);
  t[1]["samples_ts"][0] = 0;
  EXPECT_EQ(message(t.dump()), "llama-bench samples_ts holds a non-positive value");
  t = json::parse(kBenchJson);
  t[0]["n_threads"] = "2";
  EXPECT_EQ(message(t.dump()), "llama-bench JSON n_threads is not an integer");
}

TEST(PeerParse, LlamaPerplexityOutput) {
  const LlamaPerplexity p = parse_llama_perplexity(kPplOut, kPplErr);
  EXPECT_DOUBLE_EQ(p.ppl, 6.1290);
  EXPECT_DOUBLE_EQ(p.uncertainty, 0.45979);
  EXPECT_EQ(p.n_chunks, 4);
  EXPECT_EQ(p.n_ctx, 256);
  EXPECT_EQ(p.n_threads, 2);
  EXPECT_EQ(p.progress_chunks, 4);
  EXPECT_EQ(p.system_info, "system_info: n_threads = 2 (n_threads_batch = 2) / 2 | CPU : SSE3 = 1 | AVX2 = 1 |");
  std::string err = kPplErr;
  err.erase(err.find("0.01.410.764"));
  EXPECT_THROW(parse_llama_perplexity(kPplOut, err), std::runtime_error) << "no final estimate";
  EXPECT_THROW(parse_llama_perplexity(kPplOut, "Final estimate: PPL = 6.1 +/- 0.4\n"), std::runtime_error)
      << "no chunk count";
}

TEST(PeerParse, LimitationsAreToldFromFaults) {
  EXPECT_EQ(llamacpp_limitation("0.00.032.345 E llama_init_from_model: K cache type q8_0 with block size 32 does not "
                                "divide n_embd_head_k=8\n0.00.052.184 E llama_perplexity: failed to create context\n"),
            "llama_init_from_model: K cache type q8_0 with block size 32 does not divide n_embd_head_k=8");
  EXPECT_EQ(llamacpp_limitation("error: invalid parameter for argument: -ctk\nusage: ..."),
            "error: invalid parameter for argument: -ctk");
  EXPECT_EQ(llamacpp_limitation("llama_bench: error: failed to create context with model 'x.gguf'\n"), "");
  EXPECT_EQ(llamacpp_limitation("Segmentation fault\n"), "");
}

TEST(PeerParse, ReadmeTableRows) {
  const json rows = markdown_table_rows(
      "# peer\n\n| what | value |\n|---|---|\n| source | llama.cpp commit d32676d77 |\n| CPU target | `-march=native` |\n"
      "not | a row\n");
  EXPECT_EQ(rows, (json{{"source", "llama.cpp commit d32676d77"}, {"CPU target", "`-march=native`"}}));
}

Variant peer(const std::string& flash_attn = "needed") {
  Variant v;
  v.name = "llama.cpp";
  v.kind = "llama.cpp";
  v.backend = "cpu";
  v.flash_attn = flash_attn;
  return v;
}

Cell cell(Metric m, const std::string& k, const std::string& v) {
  Cell c;
  c.variant = "llama.cpp";
  c.model = "tiny";
  c.text = "tiny";
  c.kv = {k, v};
  c.metric = m;
  c.ctx = 256;
  c.chunks = 16;
  c.n_prompt = 128;
  c.n_gen = 64;
  c.depth = 256;
  c.inner_reps = 3;
  c.threads = 2;
  return c;
}

TEST(PeerMapping, CacheTypesMapOrAreUnsupportedNeverSubstituted) {
  EXPECT_EQ(llamacpp_cache_type("fp16", Metric::speed), "f16");
  EXPECT_EQ(llamacpp_cache_type("q8_0", Metric::speed), "q8_0");
  EXPECT_EQ(llamacpp_cache_type("q4_0", Metric::ppl), "q4_0");
  EXPECT_EQ(llamacpp_cache_type("fp32", Metric::ppl), "f32");
  EXPECT_EQ(llamacpp_cache_type("fp32", Metric::speed), std::nullopt);
  EXPECT_EQ(llamacpp_cache_type("turbo_kv_4b", Metric::ppl), std::nullopt);
  EXPECT_EQ(llamacpp_unsupported(cell(Metric::speed, "turbo_kv_4b", "turbo_kv_4b"), peer()),
            "unsupported by llama.cpp: no turbo_kv_4b cache type");
  EXPECT_EQ(llamacpp_unsupported(cell(Metric::ppl, "fp16", "uniform_4b"), peer()),
            "unsupported by llama.cpp: no uniform_4b cache type");
  EXPECT_EQ(llamacpp_unsupported(cell(Metric::speed, "fp32", "fp32"), peer()),
            "unsupported by llama.cpp: llama-bench has no f32 cache type");
  EXPECT_EQ(llamacpp_unsupported(cell(Metric::ppl, "fp32", "fp32"), peer()), "");
  EXPECT_NE(llamacpp_unsupported(cell(Metric::ppl, "fp16", "q8_0"), peer("off")).find("needs flash attention"),
            std::string::npos);
  EXPECT_EQ(llamacpp_unsupported(cell(Metric::ppl, "q8_0", "fp16"), peer("off")), "");
}

TEST(PeerMapping, FlashAttentionOnlyWhereAQuantisedVCacheNeedsIt) {
  EXPECT_FALSE(llamacpp_flash_attn(cell(Metric::speed, "fp16", "fp16"), peer()));
  EXPECT_FALSE(llamacpp_flash_attn(cell(Metric::speed, "q8_0", "fp16"), peer()));
  EXPECT_TRUE(llamacpp_flash_attn(cell(Metric::speed, "q8_0", "q8_0"), peer()));
  EXPECT_TRUE(llamacpp_flash_attn(cell(Metric::speed, "fp16", "fp16"), peer("on")));
}

TEST(PeerMapping, CommandLinesCarryTheCellsParameters) {
  Inputs in;
  in.models.push_back({"tiny", "tiny.gguf", "/m/tiny.gguf", {}, "aa", false});
  in.texts.push_back({"tiny", "tiny.txt", "/t/tiny.txt", {}, "bb", false});
  EXPECT_EQ(llamacpp_command(cell(Metric::speed, "q8_0", "q8_0"), peer(), "/bin/dir", in),
            (std::vector<std::string>{"/bin/dir/llama-bench", "-m", "/m/tiny.gguf", "-p", "128", "-n", "64", "-d", "256",
                                      "-r", "3", "-o", "json", "-t", "2", "-ctk", "q8_0", "-ctv", "q8_0", "-fa", "on"}));
  EXPECT_EQ(llamacpp_command(cell(Metric::ppl, "fp32", "fp32"), peer(), "/bin/dir", in),
            (std::vector<std::string>{"/bin/dir/llama-perplexity", "-m", "/m/tiny.gguf", "-f", "/t/tiny.txt", "-c", "256",
                                      "--chunks", "16", "-t", "2", "-ctk", "f32", "-ctv", "f32", "-fa", "off"}));
}

TEST(PeerRun, ChecksWhatTheToolReportsAgainstTheCell) {
  Inputs in;
  in.models.push_back({"tiny", "stories260K.gguf", "/m/stories260K.gguf", {}, "aa", false});
  Cell c = cell(Metric::speed, "q8_0", "q8_0");
  c.inner_reps = 2;
  ProcessResult p;
  p.started = true;
  p.exit_code = 0;
  p.out = kBenchJson;
  const std::vector<std::string> argv = {"llama-bench", "-m", "/m/stories260K.gguf"};
  RunRecord r = interpret_llamacpp_run(c, 0, peer(), in, argv, p, "now");
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.sample["pp_tok_s"], json({20000.0, 20317.5}));
  EXPECT_EQ(r.sample["tg_tok_s"], json({3106.8, 3091.8}));
  EXPECT_EQ(r.sample["max_tokens_in_cache"], 256 + 128);
  EXPECT_EQ(r.engine["kv"]["peer_k_type"], "q8_0");
  EXPECT_EQ(r.engine["build"]["build_commit"], "d32676d77");
  EXPECT_EQ(r.engine["config"]["command"], "llama-bench -m /m/stories260K.gguf");
  c.threads = 1;
  r = interpret_llamacpp_run(c, 0, peer(), in, argv, p, "now");
  EXPECT_EQ(r.error, "llama-bench ran with 2 threads, the cell asked for 1");
  c.threads = 2;
  c.inner_reps = 3;
  EXPECT_EQ(interpret_llamacpp_run(c, 0, peer(), in, argv, p, "now").error, "llama-bench reported 2 repetitions, expected 3");
  c.inner_reps = 2;
  c.kv = {"fp16", "fp16"};
  EXPECT_EQ(interpret_llamacpp_run(c, 0, peer(), in, argv, p, "now").error,
            "llama-bench built the cache with K q8_0 / V q8_0, the cell asked for f16 / f16");
  p.exit_code = 1;
  p.out = "[\n";
  p.err = "llama_init_from_model: K cache type q8_0 with block size 32 does not divide n_embd_head_k=8\n"
          "llama_bench: error: failed to create context with model 'x'\n";
  r = interpret_llamacpp_run(c, 0, peer(), in, argv, p, "now");
  EXPECT_EQ(r.status, "error");
  EXPECT_EQ(r.error, "unsupported by llama.cpp: llama_init_from_model: K cache type q8_0 with block size 32 does not "
                     "divide n_embd_head_k=8");
  CellResult cr;
  cr.cell = c;
  cr.runs.push_back(r);
  settle_status(cr);
  EXPECT_EQ(cr.status, "unsupported") << "a limitation of the peer is not a failed cell";
}

TEST(PeerVariants, KindAndBinDirAreValidated) {
  const std::string dir = test::temp_dir("peer-variants");
  auto load = [&](const std::string& peer_entry) {
    const std::string path = dir + "/variants.json";
    test::write_file(path, R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
      {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release"}, )" + peer_entry + "]}");
    return load_variants(path);
  };
  const VariantSet s = load(R"({"name": "llama.cpp", "kind": "llama.cpp", "bin_dir": ["$LLAMA_CPP_BIN", "../p/bin"]})");
  const Variant* v = s.find("llama.cpp");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_peer());
  EXPECT_EQ(v->bin_dir, (std::vector<std::string>{"$LLAMA_CPP_BIN", "../p/bin"}));
  EXPECT_EQ(v->flash_attn, "needed");
  EXPECT_FALSE(s.find("cpu")->is_peer());
  auto error = [&](const std::string& entry) {
    try {
      load(entry);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(R"({"name": "x", "kind": "vllm", "bin_dir": "a"})").find("unknown kind (valid: quant, llama.cpp)"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "x", "kind": "llama.cpp", "bin_dir": "a", "default": true})").find("default"),
            std::string::npos);
  EXPECT_NE(error(R"({"name": "x", "kind": "llama.cpp"})").find("bin_dir"), std::string::npos);
  EXPECT_NE(error(R"({"name": "x", "kind": "llama.cpp", "bin_dir": "a", "flash_attn": "auto"})").find("flash_attn"),
            std::string::npos);
}

TEST(PeerVariants, BinDirTakesTheFirstCandidateWhoseVariablesAreSet) {
  Variant v = peer();
  v.bin_dir = {"$PEER_TEST_UNSET_VAR/bin", "${PEER_TEST_DIR}/bin", "fallback/bin"};
  std::string from, why;
  unsetenv("PEER_TEST_UNSET_VAR");
  {
    test::ScopedEnv dir("PEER_TEST_DIR", "/opt/llama");
    EXPECT_EQ(llamacpp_bin_dir(v, "/root", "", from, why), "/opt/llama/bin");
    EXPECT_EQ(from, "${PEER_TEST_DIR}/bin");
    EXPECT_EQ(llamacpp_bin_dir(v, "/root", "given", from, why), fs::absolute("given").string());
  }
  unsetenv("PEER_TEST_DIR");
  EXPECT_EQ(llamacpp_bin_dir(v, "/root", "", from, why), "/root/fallback/bin");
  v.bin_dir = {"$PEER_TEST_UNSET_VAR/bin"};
  EXPECT_EQ(llamacpp_bin_dir(v, "/root", "", from, why), "");
  EXPECT_EQ(why, "no bin_dir candidate applies ($PEER_TEST_UNSET_VAR not set)");
}

// A fake project whose variants are the default build and a llama.cpp peer found through $LLAMA_CPP_BIN.
test::FakeProject peer_project(const std::string& name, const json& suite) {
  auto p = test::make_fake_project(name, suite);
  test::write_file(p.variants_file, R"({"schema": "bench-all.variants", "schema_version": 1, "variants": [
    {"name": "cpu", "default": true, "backend": "cpu", "build_type": "Release", "cmake_options": {"ENGINE_VULKAN": "OFF"}},
    {"name": "llama.cpp", "kind": "llama.cpp", "bin_dir": ["$LLAMA_CPP_BIN", "no-such-peer/bin"]}]})");
  return p;
}

// The default build runs fake_quant; the peer is found through its bin_dir.
SweepOptions peer_options(const test::FakeProject& p, const std::string& out = "run") {
  SweepOptions o = p.options(out);
  o.binaries.erase("vulkan");
  return o;
}

Results sweep(const SweepOptions& o) {
  std::FILE* log = std::tmpfile();
  const Results r = run_sweep(o, log).results;
  std::fclose(log);
  return r;
}

const json kPeerSuite = {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp32", "fp16", "q8_0", "turbo_kv_4b"}}};

TEST(PeerSweep, MeasuresTheSameCellsAndComparesThem) {
  const auto p = peer_project("peer-sweep", kPeerSuite);
  test::FakeSearchPath paths(p);
  test::ScopedEnv bin("LLAMA_CPP_BIN", FAKE_LLAMA_DIR);
  test::ScopedEnv limit("FAKE_LLAMA_BLOCK_LIMIT", "1");
  test::ScopedEnv tg("FAKE_LLAMA_TG", "500");  // fake_quant's fp16 generation runs near 1000 tok/s
  test::ScopedEnv log("FAKE_LLAMA_LOG", p.root + "/peer.log");
  const Results r = sweep(peer_options(p));
  auto status = [&](const std::string& id) {
    const CellResult* c = r.cell(id);
    return c ? c->status + (c->reason.empty() ? "" : ": " + c->reason) : "absent";
  };
  EXPECT_EQ(status("llama.cpp/tiny/fp16,fp16/speed/p16n8/d0"), "ok");
  EXPECT_EQ(status("llama.cpp/tiny/fp32,fp32/ppl/tiny/c64"), "ok");
  EXPECT_EQ(status("llama.cpp/tiny/fp32,fp32/speed/p16n8/d0"),
            "unsupported: unsupported by llama.cpp: llama-bench has no f32 cache type");
  EXPECT_EQ(status("llama.cpp/tiny/turbo_kv_4b,turbo_kv_4b/ppl/tiny/c64"),
            "unsupported: unsupported by llama.cpp: no turbo_kv_4b cache type");
  const std::string block = "unsupported: unsupported by llama.cpp: llama_init_from_model: K cache type q8_0 with block "
                            "size 32 does not divide n_embd_head_k=8";
  EXPECT_EQ(status("llama.cpp/tiny/q8_0,q8_0/speed/p16n8/d0"), block) << "told by a diagnostic llama-bench -v";
  EXPECT_EQ(status("llama.cpp/tiny/q8_0,q8_0/ppl/tiny/c64"), block) << "llama-perplexity said nothing";
  EXPECT_EQ(sweep_exit_code(r), 3) << "the peer's limitations are unsupported cells, not failures";
  const CellResult& ok = *r.cell("llama.cpp/tiny/fp16,fp16/speed/p16n8/d0");
  ASSERT_EQ(ok.runs.size(), 4u) << "same warm-up and repetitions as quant's cells";
  EXPECT_EQ(ok.runs[1].sample["tg_tok_s"].size(), 3u);
  EXPECT_FALSE(r.cell("llama.cpp/tiny/fp32,fp32/ppl/tiny/c64")->cell.kld) << "the peer runs no KLD pass";
  const VariantResult* v = r.variant("llama.cpp");
  ASSERT_TRUE(v && v->build.built) << (v ? v->build.reason : "no variant");
  EXPECT_EQ(v->build.peer["version"], "version: 0 (fake); built with fake for the harness tests");
  EXPECT_EQ(v->build.peer["files"].size(), 2u);
  EXPECT_EQ(v->build.peer["bin_dir_from"], "$LLAMA_CPP_BIN");
  EXPECT_NE(test::read_file(p.root + "/peer.log").find("llama-bench -m " + p.model_dir + "/tiny.gguf -p 16 -n 8 -d 0 -r 3 -o json -t 1 -ctk f16 -ctv f16 -fa off"),
            std::string::npos);

  const Analysis a = analyze(r);
  const Comparison* tg_cmp = a.compare_to("vs_peer", "cpu/tiny/fp16,fp16/speed/p16n8/d0",
                                          "llama.cpp/tiny/fp16,fp16/speed/p16n8/d0", "tg_tok_s");
  ASSERT_TRUE(tg_cmp);
  EXPECT_GT(tg_cmp->ratio, 1.2) << "fake_quant's fp16 tg over the fake peer's 500 tok/s";
  EXPECT_FALSE(a.compare("variant_vs_default", "llama.cpp/tiny/fp16,fp16/speed/p16n8/d0", "tg_tok_s"))
      << "the peer is not a build of quant";
  ASSERT_EQ(a.cross_checks.size(), 2u);  // fp32 and fp16 perplexity, measured by both
  const std::string report = render_report(r, a);
  EXPECT_NE(report.find("| vs llama.cpp [95% CI] |"), std::string::npos);
  EXPECT_NE(report.find("### quant vs llama.cpp: `tiny`"), std::string::npos);
  EXPECT_NE(report.find("PPL cross-check"), std::string::npos);
  EXPECT_NE(report.find("unsupported by llama.cpp |"), std::string::npos);
  EXPECT_NE(report.find("(peer engine llama.cpp, reported, never gated)"), std::string::npos);
  const std::string notes = render_release_notes("1.0.0", r, a, std::nullopt, "");
  EXPECT_NE(notes.find("| vs llama.cpp [95% CI] |"), std::string::npos);
  EXPECT_NE(notes.find("### quant vs llama.cpp: `tiny`"), std::string::npos);

  // Results round-trip with the peer's kind and provenance.
  const std::string file = p.root + "/results.json";
  test::write_file(file, results_to_json(r, to_json(a)).dump());
  const Results back = load_results(file);
  EXPECT_TRUE(back.variant("llama.cpp")->variant.is_peer());
  EXPECT_EQ(back.variant("llama.cpp")->build.peer, v->build.peer);
  EXPECT_EQ(render_report(back, analyze(back)), report);

  // A baseline never stores the peer: it is reported, not gated.
  std::ostringstream blog;
  const auto written = update_baseline(r, p.root, blog);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_TRUE(written[0].ends_with("/cpu.json"));
}

TEST(PeerSweep, CrossCheckFindsAPerplexityBeyondTheErrors) {
  const auto p = peer_project("peer-cross", {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp16"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv bin("LLAMA_CPP_BIN", FAKE_LLAMA_DIR);
  test::ScopedEnv ppl("FAKE_LLAMA_PPL", "50");
  test::ScopedEnv se("FAKE_LLAMA_SE", "0.01");
  const Results r = sweep(peer_options(p));
  const Analysis a = analyze(r);
  ASSERT_EQ(a.cross_checks.size(), 1u);
  EXPECT_FALSE(a.cross_checks[0].agree);
  EXPECT_NE(render_report(r, a).find("**DIFFER**: one of the two engines is wrong"), std::string::npos);
}

TEST(PeerSweep, APeerNotInstalledNeverFailsTheSweep) {
  const auto p = peer_project("peer-missing", {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp16"}}});
  test::FakeSearchPath paths(p);
  const std::string empty = test::temp_dir("empty-peer");
  test::ScopedEnv bin("LLAMA_CPP_BIN", empty);
  const Results r = sweep(peer_options(p));
  const CellResult* c = r.cell("llama.cpp/tiny/fp16,fp16/speed/p16n8/d0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, "unsupported");
  EXPECT_EQ(c->reason, "unsupported: not installed: no executable " + empty + "/llama-bench (bin_dir from $LLAMA_CPP_BIN)")
      << "a set LLAMA_CPP_BIN is used alone, never silently replaced by the next candidate";
  EXPECT_EQ(r.cell("cpu/tiny/fp16,fp16/speed/p16n8/d0")->status, "ok");
  EXPECT_EQ(sweep_exit_code(r), 3);
  const std::string report = render_report(r, analyze(r));
  EXPECT_NE(report.find("unsupported: not installed |"), std::string::npos);
}

TEST(PeerSweep, ALostFinalLineIsRunAgainAtMostTwice) {
  const auto p = peer_project("peer-lost", {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp16", "fp32"}},
                                            {"metrics", {{"ppl", {{"ctx", {64}}, {"chunks", 2}}}}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv bin("LLAMA_CPP_BIN", FAKE_LLAMA_DIR);
  const std::string count = p.root + "/lose-tail";
  test::write_file(count, "4");  // fp16: the first three runs lose it (one too many); fp32: the fourth, then fine
  test::ScopedEnv lose("FAKE_LLAMA_LOSE_TAIL", count);
  const Results r = sweep(peer_options(p));
  const CellResult* fp16 = r.cell("llama.cpp/tiny/fp16,fp16/ppl/tiny/c64");
  const CellResult* fp32 = r.cell("llama.cpp/tiny/fp32,fp32/ppl/tiny/c64");
  ASSERT_TRUE(fp16 && fp32);
  EXPECT_EQ(fp16->status, "error");
  EXPECT_EQ(fp16->reason, "llama-perplexity printed no \"Final estimate: PPL = X +/- Y\" line");
  EXPECT_EQ(fp32->status, "ok") << fp32->reason;
  EXPECT_EQ(fp32->runs[0].sample["reruns"], 1);
}

TEST(PeerSweep, APeerFaultIsAnError) {
  const auto p = peer_project("peer-fault", {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp16"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv bin("LLAMA_CPP_BIN", FAKE_LLAMA_DIR);
  test::ScopedEnv threads("FAKE_LLAMA_THREADS", "7");
  const Results r = sweep(peer_options(p));
  const CellResult* c = r.cell("llama.cpp/tiny/fp16,fp16/ppl/tiny/c64");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, "error");
  EXPECT_EQ(c->reason, "llama-perplexity ran with 7 threads, the cell asked for 1");
  EXPECT_EQ(sweep_exit_code(r), 1);
}

TEST(PeerClaims, SpeedRatioAgainstThePeer) {
  const auto p = peer_project("peer-claims", {{"variants", {"cpu", "llama.cpp"}}, {"kv", {"fp16"}}});
  test::FakeSearchPath paths(p);
  test::ScopedEnv bin("LLAMA_CPP_BIN", FAKE_LLAMA_DIR);
  test::ScopedEnv tg("FAKE_LLAMA_TG", "400");
  const Results r = sweep(peer_options(p));
  const std::string file = p.root + "/claims.json";
  test::write_file(file, R"({"schema": "bench-all.claims", "schema_version": 1, "claims": [
    {"id": "vs-llama", "text": "On tiny with an fp16 cache quant generates tokens faster than llama.cpp.",
     "checks": [{"measure": "speed_ratio", "select": {"model": "tiny", "kv": "fp16", "depth": 0}, "timing": "tg",
                 "against": {"variant": "llama.cpp"}, "bound": "lower", "op": ">", "value": 1}]},
    {"id": "vs-llama-10x", "text": "On tiny with an fp16 cache quant generates tokens 10x faster than llama.cpp.",
     "checks": [{"measure": "speed_ratio", "select": {"model": "tiny", "kv": "fp16", "depth": 0}, "timing": "tg",
                 "against": {"variant": "llama.cpp"}, "bound": "lower", "op": ">=", "value": 10}]}]})");
  const ClaimsFile claims = load_claims(file);
  const ClaimOutcome yes = evaluate_claim(*claims.find("vs-llama"), r);
  EXPECT_TRUE(yes.pass) << (yes.reasons.empty() ? "" : yes.reasons[0]);
  ASSERT_EQ(yes.checks.size(), 1u);
  EXPECT_NE(yes.checks[0].figure.find("llama.cpp/tiny/fp16,fp16/speed/p16n8/d0"), std::string::npos);
  EXPECT_FALSE(evaluate_claim(*claims.find("vs-llama-10x"), r).pass);

  // Without the peer installed the claim is not covered by the run (not false, not true).
  const std::string empty = test::temp_dir("no-peer");
  test::ScopedEnv none("LLAMA_CPP_BIN", empty);
  const Results without = sweep(peer_options(p, "without-peer"));
  const ClaimOutcome uncovered = evaluate_claim(*claims.find("vs-llama"), without);
  EXPECT_FALSE(uncovered.pass);
  ASSERT_EQ(uncovered.checks.size(), 1u);
  EXPECT_TRUE(uncovered.checks[0].absent) << uncovered.checks[0].why;
}

// The real llama.cpp build of ../shared/peers on stories260K, beside the real quant: both measure the
// fp16 cache and their perplexities agree within the errors.
TEST(PeerReal, LlamaCppOnStories260K) {
  const std::string root = QUANT_SOURCE_DIR;
  const std::string bin_dir = shared_dir(root) + "/peers/llama.cpp/bin";
  const std::string model = shared_dir(root) + "/models/stories260K.gguf";
  const std::string text = shared_dir(root) + "/data/tinystories_a.txt";
  for (const auto& f : {bin_dir + "/llama-bench", model, text})
    if (!fs::exists(f)) END_TEST_MISSING_SHARED(f + " (the real-peer test needs it)");
  auto p = peer_project("peer-real", {{"variants", {"cpu", "llama.cpp"}},
                                      {"models", {{{"name", "stories260K"}, {"file", model}}}},
                                      {"texts", {{{"name", "tinystories_a"}, {"file", text}}}},
                                      {"kv", {"fp16", "q8_0"}},
                                      {"metrics", {{"ppl", {{"ctx", {128}}, {"chunks", 4}, {"kld", false}}},
                                                   {"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"inner_reps", 2}, {"reps", 2}}}}}});
  test::ScopedEnv bin("LLAMA_CPP_BIN", bin_dir);
  SweepOptions o = peer_options(p);
  o.binaries = {{"cpu", QUANT_BIN}};
  const Results r = sweep(o);
  for (const auto& id : {"llama.cpp/stories260K/fp16,fp16/speed/p16n8/d0", "llama.cpp/stories260K/fp16,fp16/ppl/tinystories_a/c128",
                         "cpu/stories260K/fp16,fp16/ppl/tinystories_a/c128"}) {
    const CellResult* c = r.cell(id);
    ASSERT_TRUE(c) << id;
    EXPECT_EQ(c->status, "ok") << id << ": " << c->reason;
  }
  for (const auto& id : {"llama.cpp/stories260K/q8_0,q8_0/speed/p16n8/d0", "llama.cpp/stories260K/q8_0,q8_0/ppl/tinystories_a/c128"})
    EXPECT_EQ(r.cell(id)->status, "unsupported") << id << ": llama.cpp's q8_0 blocks of 32 do not divide stories260K's head dim 8";
  const Analysis a = analyze(r);
  ASSERT_EQ(a.cross_checks.size(), 1u);
  EXPECT_TRUE(a.cross_checks[0].agree) << a.cross_checks[0].ppl << " vs " << a.cross_checks[0].peer_ppl;
  EXPECT_LT(std::fabs(a.cross_checks[0].ppl - a.cross_checks[0].peer_ppl), 0.01 * a.cross_checks[0].peer_ppl);
}

}  // namespace
}  // namespace quant::harness
