// The command line as llama.cpp and llama-bench users type it: -ctk/-ctv and f16/f32, -ngl/-fa answered,
// --version on every tool, -s, typed --help with defaults, and --bench sweeps over comma lists with
// llama-bench's output formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <tuple>

#include "quant/host_load.h"
#include "quant/synthetic_model.h"
#include "test_support.h"

namespace quant {
namespace {

using ToolRun = test::CommandRun;

ToolRun run_tool(const std::string& bin, const std::string& args) {
  return test::run_command(bin + " " + args, "habits-stderr.txt");
}

ToolRun quant(const std::string& args) { return run_tool(QUANT_BIN, args); }

const std::string& model() {
  static const std::string path = [] {
    const std::string p = test::temp_path("habits-synth.gguf");
    make_synthetic_model(SyntheticSpec{}).write(p);
    return p;
  }();
  return path;
}

void expect_usage_error(const ToolRun& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

TEST(CliHabits, LlamaCppCacheTypeSpellingsAndTypeNames) {
  for (const char* flags : {"-ctk q8_0 -ctv f16", "--cache-type-k q8_0 --cache-type-v f16", "-k q8_0 -v fp16",
                            "-ctk=q8_0 -ctv=f16"}) {
    const ToolRun r = quant(model() + " --bench -p 4 -n 2 -r 1 -t 1 --json " + flags);
    ASSERT_EQ(r.code, 0) << flags << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["kv"]["k_type"], "q8_0") << flags;
    EXPECT_EQ(j["kv"]["v_type"], "fp16") << flags;  // f16 is llama.cpp's name for fp16
  }
  const ToolRun f32 = quant(model() + " --info --json -ctk f32");
  ASSERT_EQ(f32.code, 0) << f32.err;
  expect_usage_error(quant(model() + " -ctk q9_0"), "-k/-ctk: unknown KV cache type 'q9_0'");
  expect_usage_error(quant(model() + " -ctv bf16"), "-v/-ctv: unknown KV cache type 'bf16'");
}

TEST(CliHabits, NglAndFlashAttentionGetAnAnswer) {
  expect_usage_error(quant(model() + " -ngl 99"), "--backend vulkan");
  expect_usage_error(quant(model() + " --n-gpu-layers 99"), "--backend vulkan");
  expect_usage_error(quant(model() + " -fa"), "attention always runs fused over the compressed KV cache");
  expect_usage_error(quant(model() + " --bench -fa 1"), "-fa: there is no switch");
}

TEST(CliHabits, EveryToolPrintsItsVersion) {
  for (const auto& [bin, name] : std::initializer_list<std::pair<const char*, const char*>>{
           {QUANT_BIN, "quant"}, {QUANT_SYNTH_BIN, "quant-synth"}, {QUANT_AB_BIN, "quant-ab"},
           {QUANT_BANDWIDTH_BIN, "quant-bandwidth"}}) {
    const ToolRun r = run_tool(bin, "--version");
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out.rfind(std::string(name) + " 0.", 0), 0u) << r.out;
    for (const char* field : {"\ncommit: ", "\nbuild type: ", "\ncompiler: ", "\noptions: ENGINE_VULKAN="})
      EXPECT_NE(r.out.find(field), std::string::npos) << name << " lacks " << field << ": " << r.out;
  }
}

TEST(CliHabits, SeedShortFlag) {
  const ToolRun r = quant(model() + " --info --json -s 7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["config"]["seed"], 7);
}

TEST(CliHabits, HelpShowsTypesAndDefaults) {
  const ToolRun r = quant("--help");
  ASSERT_EQ(r.code, 0) << r.err;
  // CLI11 writes a default as TYPE=VALUE (after any range check).
  for (const char* s : {"-n,--n-predict INT=128", "-k,--cache-type-k TYPE=turbo_kv_4b", "-v,--cache-type-v TYPE=fp16",
                        "--temp FLOAT", "=0.8", "--top-k INT", "=40", "-r,--repetitions INT", "=5", "INT=512",
                        "-d,--depth INT=0", "-s,--seed UINT=0", "not verbose", "-o,--output", "--version"})
    EXPECT_NE(r.out.find(s), std::string::npos) << "--help lacks '" << s << "':\n" << r.out;
  EXPECT_EQ(r.out.find("-n,--n-predict TEXT"), std::string::npos);
}

TEST(CliHabits, BenchOnlyFlagsNeedBench) {
  expect_usage_error(quant(model() + " --depth 64 -n 4"), "--depth needs --bench");
  expect_usage_error(quant(model() + " -d 64 --info"), "--depth needs --bench");
  expect_usage_error(quant(model() + " -o csv --info"), "-o needs --bench");
  expect_usage_error(quant(model() + " --depth-fill random --info"), "--depth-fill needs --bench");
  expect_usage_error(quant(model() + " --bench --depth-fill zeros"), "--depth-fill: unknown value 'zeros' (valid: prefill, random)");
  expect_usage_error(quant(model() + " -t 1,2 --info"), "-t: a comma list of values sweeps them with --bench only");
  expect_usage_error(quant(model() + " --bench -o xml"), "-o: unknown output format 'xml' (valid: md, csv, json, jsonl)");
  expect_usage_error(quant(model() + " --bench -t 1,2 --json"), "--json prints one object, but the lists give 2 runs");
  expect_usage_error(quant(model() + " --bench -o json --json"), "-o and --json: choose one");
  expect_usage_error(quant(model() + " --bench -p 8,,16"), "-p: empty item in the list '8,,16'");
  expect_usage_error(quant(model() + " --bench -n 4,"), "-n: empty item");
}

// -p 4,8 -n 2 -t 1,2 -d 0,4 -ctk f16,q8_0: 2 x 1 x 2 x 2 x 2 = 16 runs, each a quant.run object.
TEST(CliHabits, BenchSweepRunsTheCrossProduct) {
  const ToolRun r = quant(model() + " --bench -p 4,8 -n 2 -t 1,2 -d 0,4 -ctk f16,q8_0 -r 1 -o jsonl");
  ASSERT_EQ(r.code, 0) << r.err;
  std::set<std::tuple<int, int, int, std::string>> seen;
  const auto rows = lines(r.out);
  ASSERT_EQ(rows.size(), 16u) << r.out;
  for (const auto& line : rows) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["schema"], "quant.run");
    EXPECT_EQ(j["bench"]["n_gen"], 2);
    EXPECT_EQ(j["bench"]["tg"]["tok_s"].size(), 1u);
    seen.insert({j["bench"]["n_prompt"].get<int>(), j["config"]["threads"].get<int>(), j["bench"]["depth"].get<int>(),
                 j["kv"]["k_type"].get<std::string>()});
    EXPECT_EQ(j["kv"]["v_type"], "fp16");
  }
  EXPECT_EQ(seen.size(), 16u) << "every combination exactly once";
  for (int p : {4, 8})
    for (int t : {1, 2})
      for (int d : {0, 4})
        for (const char* k : {"fp16", "q8_0"}) EXPECT_TRUE(seen.count({p, t, d, k})) << p << " " << t << " " << d << " " << k;
}

// --depth-fill random: the run says so in its JSON and its Markdown test names, and reaches the same cache
// length as a prefill.
TEST(CliHabits, BenchDepthFillIsRecorded) {
  for (const char* fill : {"prefill", "random"}) {
    const ToolRun r = quant(model() + " --bench -p 4 -n 2 -d 16 -r 1 --json --depth-fill " + fill);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["bench"]["depth_fill"], fill);
    EXPECT_EQ(j["bench"]["max_tokens_in_cache"], 20);
  }
  const ToolRun md = quant(model() + " --bench -p 4 -n 2 -d 16 -r 1 --depth-fill random");
  ASSERT_EQ(md.code, 0) << md.err;
  EXPECT_NE(md.out.find("tg2 @ d16 random"), std::string::npos) << md.out;
}

TEST(CliHabits, BenchOutputFormats) {
  const std::string sweep = model() + " --bench -p 4 -n 2,3 -t 1 -r 2 -ctk f32,q8_0";  // 4 runs, 8 tests
  const ToolRun md = quant(sweep);
  ASSERT_EQ(md.code, 0) << md.err;
  const auto md_lines = lines(md.out);
  ASSERT_GE(md_lines.size(), 2u + 8u);
  EXPECT_EQ(md_lines[0], "| model | backend | threads | batch | K | V | test | tok/s |");
  EXPECT_EQ(std::count_if(md_lines.begin(), md_lines.end(), [](const std::string& l) { return l.rfind("| llama |", 0) == 0; }), 8);
  EXPECT_NE(md.out.find("| fp32 | fp16 | tg3 |"), std::string::npos) << md.out;

  const ToolRun csv = quant(sweep + " -o csv");
  ASSERT_EQ(csv.code, 0) << csv.err;
  const auto csv_lines = lines(csv.out);
  ASSERT_EQ(csv_lines.size(), 1u + 8u) << csv.out;
  EXPECT_EQ(csv_lines[0].rfind("model,arch,backend,threads,batch,k_type,v_type,test,n_prompt,n_gen,depth,reps,mean_tok_s,", 0), 0u);
  const size_t columns = std::count(csv_lines[0].begin(), csv_lines[0].end(), ',');
  for (const auto& l : csv_lines) EXPECT_EQ(std::count(l.begin(), l.end(), ','), static_cast<long>(columns)) << l;
  EXPECT_NE(csv.out.find(",q8_0,fp16,tg3,4,3,0,2,"), std::string::npos) << csv.out;

  const ToolRun json = quant(sweep + " -o json");
  ASSERT_EQ(json.code, 0) << json.err;
  const auto arr = nlohmann::json::parse(json.out);
  ASSERT_TRUE(arr.is_array());
  ASSERT_EQ(arr.size(), 4u);
  EXPECT_EQ(arr[3]["kv"]["k_type"], "q8_0");
  EXPECT_EQ(arr[3]["bench"]["n_gen"], 3);
  EXPECT_EQ(arr[0]["bench"]["pp"]["tok_s"].size(), 2u);
}

// --json stays what bench-all parses: one object, the table on stderr; plus the machine's load.
TEST(CliHabits, JsonRecordsLoadAndGovernor) {
  const ToolRun r = quant(model() + " --bench -p 4 -n 2 -r 1 -t 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "bench");
  EXPECT_NE(r.err.find("| model | backend |"), std::string::npos) << r.err;
  const auto& sys = j["system"];
  ASSERT_TRUE(sys.contains("load_average"));
  ASSERT_TRUE(sys.contains("cpu_governor"));  // null where the kernel exposes no cpufreq
  EXPECT_EQ(sys["load_average"].size(), 3u);
  for (const auto& l : sys["load_average"]) EXPECT_GE(l.get<double>(), 0.0);
  EXPECT_TRUE(sys["cpu_governor"].is_null() || sys["cpu_governor"].is_string());
  EXPECT_EQ(j["build"]["version"].get<std::string>().rfind("0.", 0), 0u);
}

TEST(CliHabits, HighLoadWarningThreshold) {
  EXPECT_EQ(high_load_warning(HostLoad{{0.4, 0.2, 0.1}, std::nullopt, 2}), "");
  EXPECT_EQ(high_load_warning(HostLoad{{0.9, 0.2, 0.1}, std::nullopt, 2}), "");   // under one busy core
  EXPECT_NE(high_load_warning(HostLoad{{1.0, 0.2, 0.1}, std::nullopt, 2}), "");   // half of 2 cores
  EXPECT_EQ(high_load_warning(HostLoad{{3.0, 1.0, 1.0}, "performance", 16}), "");  // 3 of 16 cores
  const std::string w = high_load_warning(HostLoad{{9.5, 1.0, 1.0}, std::nullopt, 16});
  EXPECT_NE(w.find("load average 9.50 over the last minute on 16 cores"), std::string::npos) << w;
  EXPECT_EQ(high_load_warning(HostLoad{{}, std::nullopt, 2}), "");  // unreadable: nothing to say
  const HostLoad here = read_host_load();
  EXPECT_GE(here.n_cores, 1);
}

}  // namespace
}  // namespace quant
