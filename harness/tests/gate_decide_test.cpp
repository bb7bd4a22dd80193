// Sample sizes that can decide: a suite whose repetitions can never reach p < alpha gets "cannot decide"
// (never PASS), "no baseline" has its own outcome and exit code, and every verdict says what it can see.
#include <gtest/gtest.h>

#include "gate_test_support.h"
#include "harness/judge/compare.h"
#include "harness/stats/rank_tests.h"
#include "harness/judge/gate_visibility.h"

namespace quant::harness {
namespace {

TEST(GateDecide, SmallestPossiblePValues) {
  EXPECT_NEAR(mann_whitney_min_p(3, 3), 0.1, 1e-12);       // 2 / C(6, 3)
  EXPECT_NEAR(mann_whitney_min_p(5, 5), 2.0 / 252, 1e-12);  // 2 / C(10, 5)
  EXPECT_NEAR(wilcoxon_min_p(5), 2.0 / 32, 1e-12);
  EXPECT_NEAR(wilcoxon_min_p(6), 2.0 / 64, 1e-12);
}

TEST(GateDecide, ThreeVersusThreeCannotDecideEvenAHugeSlowdown) {
  BootstrapOptions bo;
  const TimingEvidence e = unpaired_evidence({100, 101, 102}, {35, 36, 37}, bo);
  EXPECT_LT(e.ratio, 0.4);
  const Decision d = decide_timing(e, 0.05, 0.1);
  EXPECT_EQ(d.verdict, Verdict::cannot_decide) << d.why;
  EXPECT_NE(d.why.find("smallest possible p is 0.1"), std::string::npos) << d.why;
  // Five per side can: the same separation is a regression.
  const TimingEvidence five = unpaired_evidence({100, 101, 102, 103, 104}, {35, 36, 37, 38, 39}, bo);
  EXPECT_EQ(decide_timing(five, 0.05, 0.1).verdict, Verdict::regression);
}

// The smoke scenario: 3 processes per cell, the current run 2.8x slower: not a PASS.
TEST(GateDecide, SmokeSizedSuiteWithABigSlowdownIsNotAPass) {
  nlohmann::json suite = test::speed_suite();
  suite["metrics"]["speed"]["reps"] = 3;
  auto p = test::make_fake_project("decide-smoke", suite);
  const Results base = test::fake_sweep(p, "base", {{"FAKE_QUANT_NOISE", "0.02"}});
  const std::string file = p.root + "/base.json";
  test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
  const Results slow = test::fake_sweep(p, "slow", {{"FAKE_QUANT_NOISE", "0.02"}, {"FAKE_QUANT_SLOWDOWN", "2.8"}});
  const GateReport g = compare_results(slow, explicit_baseline(slow, file), test::fixed_thresholds(0.1, 0.1, 0.1));
  const std::string md = render_gate_markdown(g);
  EXPECT_EQ(g.outcome(), "cannot decide") << md;
  EXPECT_EQ(gate_exit_code(g), kExitCannotDecide);
  EXPECT_EQ(md.find("PASS"), std::string::npos) << md;
  EXPECT_NE(md.find("## bench-all compare: CANNOT DECIDE"), std::string::npos) << md;
  EXPECT_EQ(gate_json(g)["verdict"], "cannot decide");
  EXPECT_GT(g.count(Verdict::cannot_decide), 0);

  // The same suite with 5 processes per cell decides: the slowdown is a regression.
  suite["metrics"]["speed"]["reps"] = 5;
  auto p5 = test::make_fake_project("decide-five", suite);
  const Results base5 = test::fake_sweep(p5, "base", {{"FAKE_QUANT_NOISE", "0.02"}});
  const std::string file5 = p5.root + "/base.json";
  test::write_file(file5, results_to_json(base5, nlohmann::json::object()).dump());
  const Results slow5 = test::fake_sweep(p5, "slow", {{"FAKE_QUANT_NOISE", "0.02"}, {"FAKE_QUANT_SLOWDOWN", "2.8"}});
  const GateReport g5 = compare_results(slow5, explicit_baseline(slow5, file5), test::fixed_thresholds(0.1, 0.1, 0.1));
  EXPECT_EQ(g5.outcome(), "fail") << render_gate_markdown(g5);
  EXPECT_EQ(gate_exit_code(g5), 1);
  // ... and stays silent on an unchanged tree.
  const Results same5 = test::fake_sweep(p5, "same", {{"FAKE_QUANT_NOISE", "0.02"}});
  const GateReport s5 = compare_results(same5, explicit_baseline(same5, file5), test::fixed_thresholds(0.1, 0.1, 0.1));
  EXPECT_EQ(s5.outcome(), "pass") << render_gate_markdown(s5);
  EXPECT_EQ(gate_exit_code(s5), 0);
}

TEST(GateDecide, NoBaselineHasItsOwnOutcomeAndExitCode) {
  GateReport g;
  g.command = "compare";
  g.thresholds = test::fixed_thresholds(0.1, 0.1, 0.1);
  g.no_baseline = true;
  EXPECT_EQ(g.outcome(), "no baseline");
  EXPECT_EQ(gate_exit_code(g), kExitNoBaseline);
  EXPECT_NE(gate_exit_code(g), 1) << "distinct from a regression";
  EXPECT_NE(render_gate_markdown(g).find("NO BASELINE"), std::string::npos);
}

TEST(GateVisibility, FooterSaysWhatTheGateCanSee) {
  GateReport g;
  g.command = "compare";
  g.thresholds = test::fixed_thresholds(0.1, 0.1, 0.1);
  Check ratio{"cpu", "c", "tg_tok_s", "kv_vs_fp32", "", "", true, {}, 0.1, {Verdict::unchanged, ""}, false};
  g.checks.push_back(ratio);
  g.baselines.push_back({"cpu", "f", "r", {}, true, false});
  // Not calibrated: says so, no made-up figure.
  std::string md = render_gate_markdown(g);
  EXPECT_NE(md.find("not calibrated"), std::string::npos) << md;
  // Calibrated: the larger of the stored MDE and the threshold in use.
  g.thresholds.calibration = {{"date", "2026-12-07"}, {"machine", "test CPU"},
                              {"kinds", {{{"measure", "tg_tok_s"}, {"kind", "ratio"}, {"mde_median", 0.46}, {"mde_max", 0.58}},
                                         {{"measure", "pp_tok_s"}, {"kind", "ratio"}, {"mde_median", 0.44}, {"mde_max", 0.55}}}}};
  md = render_gate_markdown(g);
  EXPECT_NE(md.find("This gate can see slowdowns of 46.0% or more"), std::string::npos) << md;
  EXPECT_NE(md.find("worst cell 58.0%"), std::string::npos) << md;
  // Count checks see their tolerance.
  Check counts{"counts", "c2", "tg_instr_per_token", "counts", "", "", false, {}, 0.01, {Verdict::unchanged, ""}, false};
  g.checks.push_back(counts);
  md = visibility_footer(g);
  EXPECT_NE(md.find("This gate can see slowdowns of 1.0% or more"), std::string::npos) << md;
  EXPECT_NE(md.find("instructions per token under Valgrind: 1.0% or more"), std::string::npos) << md;
}

}  // namespace
}  // namespace quant::harness
