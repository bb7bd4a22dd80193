// The gate on the real engine: stories260K measured by `quant`, then measured again with the test-only
// slowdown QUANT_TEST_DELAY_US (busy-waiting inside the timed region, about 2-3x slower on this tiny
// model). `compare` against the first sweep and `ab` with the delay in the head's environment must both
// fail with regressions; the delay is recorded in every sample so such runs can never become baselines.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness/store/results.h"
#include "harness/sweep/runner.h"
#include "harness_test_support.h"
#include "shared_data.h"

namespace quant::harness {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDelayUs = "1000";

TEST(GateEndToEnd, InjectedSlowdownIsCaughtByCompareAndAb) {
  const std::string shared = ::quant::test::shared_dir();
  if (::quant::test::shared_file("models/stories260K.gguf").empty())
    END_TEST_MISSING_SHARED(shared + "/models/stories260K.gguf");
  auto p = test::make_fake_project(
      "gate-e2e", {{"models", {{{"name", "stories260K"}, {"file", "stories260K.gguf"}}}},
                   {"texts", {{{"name", "tinystories_a"}, {"file", "tinystories_a.txt"}}}},
                   {"kv", {"fp32"}},
                   {"metrics", {{"speed", {{"n_prompt", 32}, {"n_gen", 16}, {"depths", {0}}, {"inner_reps", 3}, {"reps", 5},
                                           {"warmup", 1}}}}}});
  test::ScopedEnv model("QUANT_MODEL_PATH", shared + "/models"), text("QUANT_TEXT_PATH", shared + "/data");
  auto sweep = [&](const std::string& name) {
    SweepOptions o = p.options(name);
    o.binaries = {{"cpu", QUANT_BIN}};
    std::FILE* log = std::tmpfile();
    const Results r = run_sweep(o, log).results;
    std::fclose(log);
    const std::string file = p.root + "/" + name + ".json";
    test::write_file(file, results_to_json(r, nlohmann::json::object()).dump());
    return std::make_pair(r, file);
  };
  const auto [base, base_file] = sweep("base");
  ASSERT_EQ(base.cells.at(0).status, "ok") << base.cells.at(0).reason;
  std::pair<Results, std::string> slow;
  {
    test::ScopedEnv delay("QUANT_TEST_DELAY_US", kDelayUs);
    slow = sweep("slow");
  }
  ASSERT_EQ(slow.first.cells.at(0).status, "ok") << slow.first.cells.at(0).reason;
  EXPECT_EQ(slow.first.cells[0].runs.back().sample.value("test_delay_us", 0), std::stoi(kDelayUs));
  EXPECT_EQ(base.cells[0].runs.back().sample.value("test_delay_us", -1), 0);

  const std::string thresholds = std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json";
  const ProcessResult cmp = run_process({BENCH_ALL_BIN, "compare", slow.second, "--baseline", base_file, "--thresholds",
                                         thresholds, "--out", p.root + "/cmp"},
                                        {}, 120);
  EXPECT_EQ(cmp.exit_code, 1) << cmp.out << cmp.err;
  const nlohmann::json v = read_json_file(p.root + "/cmp/verdict.json");
  int absolute_regressions = 0;
  for (const auto& c : v["checks"]) absolute_regressions += c["kind"] == "absolute" && c["verdict"] == "regression";
  EXPECT_EQ(absolute_regressions, 2) << cmp.out;  // pp and tg

  // CI's scope (--ratios-only): absolute tok/s are not judged, as if the baseline came from another host.
  const ProcessResult ratios = run_process({BENCH_ALL_BIN, "compare", slow.second, "--baseline", base_file, "--thresholds",
                                            thresholds, "--ratios-only", "--out", p.root + "/cmp-ratios"},
                                           {}, 120);
  const nlohmann::json vr = read_json_file(p.root + "/cmp-ratios/verdict.json");
  int absolute_checks = 0;
  for (const auto& c : vr["checks"]) absolute_checks += c["kind"] == "absolute";
  EXPECT_EQ(ratios.exit_code, 0) << ratios.out << ratios.err;  // a uniform delay leaves fp32-only ratios alone
  EXPECT_EQ(absolute_checks, 0) << ratios.out;
  EXPECT_NE(ratios.out.find("--ratios-only"), std::string::npos) << ratios.out;

  const ProcessResult same = run_process({BENCH_ALL_BIN, "compare", base_file, "--baseline", base_file, "--thresholds",
                                          thresholds, "--out", p.root + "/cmp-same"},
                                         {}, 120);
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;

  const ProcessResult ab = run_process({BENCH_ALL_BIN, "--root", p.root, "ab", "--suite", p.suite_file, "--variants",
                                        p.variants_file, "--base-binary", QUANT_BIN, "--head-binary", QUANT_BIN,
                                        "--head-env", std::string("QUANT_TEST_DELAY_US=") + kDelayUs, "--pairs", "6",
                                        "--thresholds", thresholds, "--out", p.root + "/ab"},
                                       {}, 300);
  EXPECT_EQ(ab.exit_code, 1) << ab.out << ab.err;
  const nlohmann::json a = read_json_file(p.root + "/ab/ab.json");
  EXPECT_EQ(a["verdict"], "fail");
  EXPECT_EQ(a["counts"]["regression"], 2) << ab.out;
}

}  // namespace
}  // namespace quant::harness
