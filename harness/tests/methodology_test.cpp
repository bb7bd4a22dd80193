// Methodology rules on a sound fake sweep (no violation) and on copies broken one way each.
#include <gtest/gtest.h>

#include "gate_test_support.h"
#include "harness/judge/methodology.h"

namespace quant::harness {
namespace {

bool broken(const Results& r, const std::string& rule, const std::string& text) {
  for (const auto& v : check_methodology(r))
    if (v.rule == rule && v.message.find(text) != std::string::npos) return true;
  std::string all;
  for (const auto& v : check_methodology(r)) all += v.rule + ": " + v.message + "\n";
  ADD_FAILURE() << "expected " << rule << " (" << text << "), got:\n" << all;
  return false;
}

Results sound_sweep() {
  auto p = test::make_fake_project(
      "method", {{"kv", {"fp32", "q8_0"}},
                 {"metrics", {{"ppl", {{"ctx", {256}}, {"chunks", 10}, {"kld", true}}},
                              {"speed", {{"n_prompt", 32}, {"n_gen", 16}, {"depths", {0}}, {"inner_reps", 3}, {"reps", 3},
                                         {"warmup", 1}}}}}});
  return test::fake_sweep(p, "run", {});
}

CellResult& first(Results& r, Metric m) {
  for (auto& c : r.cells)
    if (c.cell.metric == m) return c;
  throw std::runtime_error("no cell");
}

TEST(Methodology, ASoundSweepBreaksNoRule) {
  const Results r = sound_sweep();
  for (const auto& v : check_methodology(r)) ADD_FAILURE() << v.rule << ": " << v.message;
}

TEST(Methodology, EachRuleCatchesItsMistake) {
  const Results good = sound_sweep();
  {
    Results r = good;
    first(r, Metric::speed).engine["build"]["build_type"] = "Debug";
    EXPECT_TRUE(broken(r, "release-build", "figures from a Debug build"));
  }
  {
    Results r = good;
    first(r, Metric::speed).engine["build"]["cmake_options"]["ENGINE_VULKAN"] = "ON";
    EXPECT_TRUE(broken(r, "default-variant", "ENGINE_VULKAN=ON"));
  }
  {
    Results r = good;
    r.variants[0].variant.cmake_options["ENGINE_VULKAN"] = "ON";
    EXPECT_TRUE(broken(r, "default-variant", "is not the CPU-only Release build users get"));
  }
  {
    Results r = good;
    CellResult& c = first(r, Metric::speed);
    c.runs.resize(3);  // the warm-up and two measured runs
    EXPECT_TRUE(broken(r, "enough-samples", "too few timings"));
  }
  {
    Results r = good;
    first(r, Metric::ppl).runs[0].sample["n_scored"] = 62;
    EXPECT_TRUE(broken(r, "enough-samples", "fewer than 1000 scored tokens"));
  }
  {
    Results r = good;
    first(r, Metric::ppl).runs[0].sample["max_tokens_in_cache"] = 12;
    EXPECT_TRUE(broken(r, "context-filled", "reported at context 256 but the cache held 12 tokens"));
  }
  {
    Results r = good;
    first(r, Metric::speed).runs[2].sample["max_tokens_in_cache"] = 3;
    EXPECT_TRUE(broken(r, "context-filled", "fewer than 16 tokens (3)"));
  }
  {
    Results r = good;
    CellResult* q8 = nullptr;
    for (auto& c : r.cells)
      if (c.cell.metric == Metric::ppl && c.cell.kv.k == "q8_0") q8 = &c;
    q8->runs[0].sample["ppl"] = first(r, Metric::ppl).runs[0].sample["ppl"];
    EXPECT_TRUE(broken(r, "distinct-kv", "KV types fp32,fp32 and q8_0,q8_0 give bit-identical PPL"));
  }
  {
    Results r = good;
    first(r, Metric::speed).engine["build"]["git_commit"] = "other";
    EXPECT_TRUE(broken(r, "same-threads-and-build", "mixes 2 different binaries"));
  }
  {
    Results r = good;
    first(r, Metric::speed).cell.threads = 4;
    EXPECT_TRUE(broken(r, "same-threads-and-build", "different thread counts"));
  }
  {
    Results r = good;
    first(r, Metric::speed).runs[1].sample["test_delay_us"] = 500;
    EXPECT_TRUE(broken(r, "no-test-delay", "QUANT_TEST_DELAY_US"));
  }
}

}  // namespace
}  // namespace quant::harness
