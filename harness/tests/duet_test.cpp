// Duet timing (`bench-all ab --method duet|duet-parallel`) with fake_quant's serve mode, whose slices
// share a machine drift (FAKE_QUANT_DRIFT) that would swamp separate processes: a slowed head must be
// flagged, an A/A duet must stay silent, and a broken arm must fail its cell with a one-line reason.
#include <gtest/gtest.h>

#include <fstream>

#include "gate_test_support.h"
#include "harness/judge/ab.h"
#include "harness/judge/calibrate.h"
#include "harness/util/json_check.h"
#include "harness/util/process.h"
#include "harness/judge/duet.h"
#include "harness/measure/variant_build.h"
#include "quant/error.h"
#include "harness_test_support.h"
#include "shared_data.h"

namespace quant::harness {
namespace {

struct DuetFixture {
  test::FakeProject p = test::make_fake_project(
      "duet", {{"kv", {"fp32", "q8_0"}}, {"metrics", {{"speed", {{"n_prompt", 16}, {"n_gen", 8}, {"reps", 3}}}}}});
  test::FakeSearchPath paths{p};
  test::ScopedEnv drift{"FAKE_QUANT_DRIFT", "0.2"};  // +-20%: shared by both arms of a round

  PairedRun run(const std::string& method, const std::string& head_slowdown, const std::string& head_binary = FAKE_QUANT_BIN) {
    PairedOptions o = test::fake_paired_options(p, 12, 1, {{"FAKE_QUANT_SEED", "1"}},
                                                {{"FAKE_QUANT_SEED", "2"}, {"FAKE_QUANT_SLOWDOWN", head_slowdown}},
                                                head_binary);
    o.method = method;
    return test::quiet_paired(o);
  }
};

int count(const GateReport& g, Verdict v, const std::string& kind) {
  int n = 0;
  for (const auto& c : g.checks) n += c.decision.verdict == v && c.kind == kind;
  return n;
}

TEST(Duet, FlagsASlowerHeadAndStaysSilentOnAA) {
  DuetFixture f;
  const Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);  // duet keeps its default (1%)
  for (const std::string method : {"duet", "duet-parallel"}) {
    const PairedRun slow = f.run(method, "1.10");
    ASSERT_EQ(slow.cells.size(), 2u);
    EXPECT_EQ(slow.arms[0].cells[0].status, "ok") << slow.arms[0].cells[0].reason;
    EXPECT_EQ(slow.arms[0].cells[0].runs.size(), 13u) << "one warm-up round and 12 measured";
    EXPECT_NE(slow.arms[1].command.find("--method " + method), std::string::npos) << slow.arms[1].command;
    const GateReport g = ab_report(slow, t);
    EXPECT_EQ(count(g, Verdict::regression, "duet"), 4) << method << ": 2 cells x pp, tg";
    EXPECT_EQ(g.checks.at(0).threshold, 0.01);

    const GateReport same = ab_report(f.run(method, "1"), t);
    EXPECT_EQ(count(same, Verdict::regression, "duet") + count(same, Verdict::improvement, "duet"), 0) << method;
    EXPECT_FALSE(same.failed()) << method;
  }
}

TEST(Duet, RecordsEachRoundAsOneRunWithTheSlicesSpeed) {
  DuetFixture f;
  const PairedRun r = f.run("duet", "1");
  const CellResult& c = r.arms[1].cells[0];
  ASSERT_EQ(c.status, "ok");
  EXPECT_TRUE(c.runs[0].warmup);
  EXPECT_FALSE(c.runs[1].warmup);
  EXPECT_EQ(c.runs[1].sample["tg_tok_s"].size(), 1u);
  EXPECT_EQ(c.runs[1].sample["pp_tok_s"].size(), 1u);
  EXPECT_EQ(c.engine["kv"]["k_type"], "fp32");
  EXPECT_EQ(pair_ratios(r.arms[0].cells[0], c, "tg_tok_s").size(), 12u);
}

TEST(Duet, FreshPairsOfProcessesShareTheRounds) {
  DuetFixture f;
  test::ScopedEnv log("FAKE_QUANT_LOG", f.p.root + "/calls.log");
  PairedOptions o = test::fake_paired_options(f.p, 8, 1, {{"FAKE_QUANT_ARM", "A"}}, {{"FAKE_QUANT_ARM", "B"}});
  o.method = "duet";
  o.duet_processes = 3;
  const PairedRun r = test::quiet_paired(o);
  EXPECT_EQ(r.arms[0].cells[0].status, "ok");
  EXPECT_EQ(r.arms[0].cells[0].runs.size(), 9u);
  std::ifstream calls(f.p.root + "/calls.log");
  int started = 0;
  for (std::string line; std::getline(calls, line);) ++started;
  EXPECT_EQ(started, 2 * 2 * 3) << "2 cells x 2 arms x 3 pairs of processes";
}

TEST(Duet, AnArmThatCannotServeFailsItsCellsWithAReason) {
  DuetFixture f;
  const std::string script = f.p.root + "/not-a-server.sh";
  test::write_file(script, "#!/bin/sh\necho 'quant: error: no such mode' >&2\nexit 2\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const PairedRun r = f.run("duet", "1", script);
  for (size_t i = 0; i < r.cells.size(); ++i) {
    EXPECT_EQ(r.arms[1].cells[i].status, "error");
    EXPECT_NE(r.arms[1].cells[i].reason.find("exited with code 2: quant: error: no such mode"), std::string::npos)
        << r.arms[1].cells[i].reason;
  }
  const GateReport g = ab_report(r, test::fixed_thresholds(0.1, 0.1, 0.1));
  ASSERT_EQ(g.checks.size(), 2u);
  for (const auto& c : g.checks) {
    EXPECT_EQ(c.kind, "status");
    EXPECT_NE(c.decision.why.find("head: error"), std::string::npos) << c.decision.why;
  }
}

TEST(Duet, CalibrateJudgesDuetSweepsOnlyAsPairs) {
  DuetFixture f;
  std::vector<PairedRun> sweeps;
  for (int k = 0; k < 3; ++k) sweeps.push_back(f.run("duet", "1"));
  const Calibration c = calibrate(sweeps, test::fixed_thresholds(0.1, 0.1, 0.1));
  EXPECT_EQ(c.method, "duet");
  ASSERT_EQ(c.kinds.size(), 2u);  // pp and tg
  for (const auto& k : c.kinds) {
    EXPECT_EQ(k.kind, "duet");
    EXPECT_EQ(k.comparisons, 6) << "2 cells x 3 sweeps";
    EXPECT_EQ(k.false_alarms_current, 0);
    EXPECT_GE(k.recommended, 0.01) << "the duet floor";
    EXPECT_LT(k.mde_max, 0.10) << k.measure;  // a 20% machine drift shared by both arms does not blind it
  }
  EXPECT_NE(render_calibration_markdown(c).find("method `duet`"), std::string::npos);
}

TEST(Duet, CalibrateCommandRunsDuetSweepsAndReadsTheMethodBack) {
  DuetFixture f;
  const std::string out = f.p.root + "/cal";
  const std::string thresholds = std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json";
  const ProcessResult r = run_process({BENCH_ALL_BIN, "--root", f.p.root, "calibrate", "--suite", f.p.suite_file,
                                       "--variants", f.p.variants_file, "--binary", FAKE_QUANT_BIN, "--method", "duet",
                                       "--sweeps", "2", "--pairs", "5", "--thresholds", thresholds, "--out", out},
                                      {}, 120);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("| tg_tok_s | duet | 4 |"), std::string::npos) << r.out;
  EXPECT_EQ(read_json_file(out + "/calibration.json")["method"], "duet");
  const ProcessResult again = run_process({BENCH_ALL_BIN, "--root", f.p.root, "calibrate", "--from", out,
                                           "--thresholds", thresholds, "--out", f.p.root + "/cal2"},
                                          {}, 120);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("| tg_tok_s | duet | 4 |"), std::string::npos) << again.out;
  const ProcessResult bad = run_process({BENCH_ALL_BIN, "--root", f.p.root, "calibrate", "--method", "lockstep"}, {}, 60);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--method: unknown method 'lockstep'"), std::string::npos) << bad.err;
}

// Separate processes with 3 pairs per cell can never reach alpha: refused before any sweep runs.
TEST(Duet, CalibrateRefusesTooFewProcessesToDecide) {
  DuetFixture f;
  const std::string out = f.p.root + "/cal-few";
  const ProcessResult r = run_process({BENCH_ALL_BIN, "--root", f.p.root, "calibrate", "--suite", f.p.suite_file,
                                       "--variants", f.p.variants_file, "--binary", FAKE_QUANT_BIN, "--pairs", "3",
                                       "--thresholds", std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json",
                                       "--out", out},
                                      {}, 60);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--pairs 3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("use --pairs 6 or more"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing run, nothing written";
}

// The real engine: stories260K served by two quant processes. Big effects only (timing on a shared
// machine): a head 50% slower (QUANT_TEST_SLOWDOWN_PCT) must be flagged; an A/A duet must not move 25%.
TEST(Duet, RealQuantFlagsAHalvedHeadAndNotItself) {
  const std::string shared = ::quant::test::shared_dir();
  if (::quant::test::shared_file("models/stories260K.gguf").empty())
    END_TEST_MISSING_SHARED(shared + "/models/stories260K.gguf");
  auto p = test::make_fake_project(
      "duet-real", {{"models", {{{"name", "stories260K"}, {"file", "stories260K.gguf"}}}},
                    {"texts", {{{"name", "tinystories_a"}, {"file", "tinystories_a.txt"}}}},
                    {"kv", {"q8_0"}},
                    {"metrics", {{"speed", {{"n_prompt", 32}, {"n_gen", 16}, {"depths", {64}}, {"reps", 3}}}}}});
  nlohmann::json t = read_json_file(std::string(QUANT_SOURCE_DIR) + "/baselines/thresholds.json");
  for (const char* m : {"pp_tok_s", "tg_tok_s"}) t["timing"][m]["duet"] = 0.25;
  test::write_file(p.root + "/thresholds.json", t.dump());
  auto ab = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {BENCH_ALL_BIN, "--root", p.root, "ab", "--suite", p.suite_file, "--variants",
                                     p.variants_file, "--base-binary", QUANT_BIN, "--head-binary", QUANT_BIN, "--pairs",
                                     "12", "--thresholds", p.root + "/thresholds.json", "--out", p.root + "/" + name};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = run_process(args, {{"QUANT_MODEL_PATH", shared + "/models"},
                                               {"QUANT_TEXT_PATH", shared + "/data"}}, 300);
    return std::make_pair(r, read_json_file(p.root + "/" + name + "/ab.json"));
  };
  const auto [slow, sv] = ab("slow", {"--head-env", "QUANT_TEST_SLOWDOWN_PCT=50"});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  for (const auto& c : sv["checks"])  // tg: 1 / the median token time; pp (one short batch) may be preempted
    if (c["measure"] == "tg_tok_s") EXPECT_EQ(c["verdict"], "regression") << slow.out;
    else EXPECT_NE(c["verdict"], "improvement") << slow.out;
  const nlohmann::json head = read_json_file(p.root + "/slow/head.results.json");
  EXPECT_GT(head["cells"][0]["runs"][1]["sample"]["test_delay_us"].get<double>(), 0) << "the slowdown is on record";
  const auto [same, av] = ab("same", {});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_EQ(av["counts"]["regression"].get<int>() + av["counts"]["improvement"].get<int>(), 0) << same.out;
}

TEST(Duet, MethodNamesAreChecked) {
  EXPECT_EQ(parse_paired_method("--method", "duet-parallel"), "duet-parallel");
  try {
    parse_paired_method("--method", "lockstep");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--method: unknown method 'lockstep' (valid: processes, duet, duet-parallel)"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace quant::harness
