// `calibrate --write` on a noisy machine: the evidence is stored, no threshold is loosened, methods
// calibrated by separate runs (processes, duet, counts) live side by side, and every verdict footer
// states each method's A/A false-alarm rate and detectable slowdown at the threshold kept.
#include <gtest/gtest.h>

#include "gate_test_support.h"
#include "harness/judge/calibration_store.h"
#include "harness/judge/gate_visibility.h"

namespace quant::harness {
namespace {

KindCalibration kind(const std::string& measure, const std::string& k, double current, double recommended) {
  KindCalibration x;
  x.measure = measure;
  x.kind = k;
  x.comparisons = 40;
  x.worst_deviation = recommended / 1.25;
  x.current = current;
  x.recommended = recommended;
  x.false_alarms_current = 3;
  x.false_alarms_recommended = 0;
  x.mde_median_current = 0.30;
  x.mde_max_current = 0.41;
  x.mde_median = 0.52;
  x.mde_max = 0.66;
  return x;
}

Calibration calibration(const std::string& method, std::vector<KindCalibration> kinds) {
  Calibration c;
  c.date = "2026-12-07T07:00:00Z";
  c.machine = "AMD EPYC, 2 cores, Linux x86_64";
  c.suite = "pr";
  c.method = method;
  c.sweeps = 2;
  c.pairs = 5;
  c.cells = 36;
  c.kinds = std::move(kinds);
  return c;
}

TEST(CalibrationStore, NoisyRecommendationNeverLoosensAThreshold) {
  const Thresholds before = test::fixed_thresholds(0.1, 0.1, 0.1);
  const Calibration c = calibration("processes", {kind("tg_tok_s", "compare", 0.1, 0.45), kind("tg_tok_s", "ratio", 0.1, 0.04)});
  const Thresholds after = store_calibration(before, c, {{"load_average_start", {11.0, 8.0, 6.0}}});
  EXPECT_DOUBLE_EQ(after.timing.at("tg_tok_s").compare, 0.1) << "a looser recommendation is only evidence";
  EXPECT_DOUBLE_EQ(after.timing.at("tg_tok_s").ratio, 0.04) << "a stricter one is taken";
  const auto& kinds = after.calibration.at("kinds");
  ASSERT_EQ(kinds.size(), 2u);
  // Figures at the threshold kept: the one in use for compare, the recommendation for ratio.
  EXPECT_DOUBLE_EQ(kinds[0]["threshold"].get<double>(), 0.1);
  EXPECT_EQ(kinds[0]["false_alarms"], 3);
  EXPECT_DOUBLE_EQ(kinds[0]["mde_median"].get<double>(), 0.30);
  EXPECT_DOUBLE_EQ(kinds[0]["recommended"].get<double>(), 0.45);
  EXPECT_DOUBLE_EQ(kinds[1]["threshold"].get<double>(), 0.04);
  EXPECT_DOUBLE_EQ(kinds[1]["mde_median"].get<double>(), 0.52);
  EXPECT_EQ(after.calibration["runs"][0]["load_average_start"][0], 11.0);
  // The file round-trips through the reader.
  EXPECT_EQ(to_json(after)["calibration"], after.calibration);
}

TEST(CalibrationStore, MethodsCalibratedApartAreKeptSideBySide) {
  Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);
  t = store_calibration(t, calibration("processes", {kind("tg_tok_s", "ratio", 0.1, 0.5)}), {});
  Calibration d = calibration("duet", {kind("tg_tok_s", "duet", 0.01, 0.02)});
  d.recommended.calibration = {{"counts", {{"runs", 3}, {"comparisons", 24}, {"false_alarms", 0}, {"mde", 0.01}}}};
  t = store_calibration(t, d, {});
  ASSERT_EQ(t.calibration["kinds"].size(), 2u);
  EXPECT_EQ(t.calibration["runs"].size(), 2u);
  EXPECT_EQ(t.calibration["counts"]["comparisons"], 24);
  // A new calibration of a method replaces the old one, not the other methods.
  t = store_calibration(t, calibration("processes", {kind("tg_tok_s", "ratio", 0.1, 0.5)}), {});
  EXPECT_EQ(t.calibration["kinds"].size(), 2u);
  EXPECT_EQ(t.calibration["runs"].size(), 2u);
  EXPECT_EQ(t.calibration["counts"]["comparisons"], 24);
}

// Count runs calibrated on their own (no timing sweeps): the stored evidence names the count runs'
// machine and suite, not the empty timing calibration's, and no timing kind or run is added.
TEST(CalibrationStore, CountsOnlyCalibrationKeepsItsOwnIdentity) {
  Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);
  Calibration none;  // what calibrate() returns without sweeps
  none.recommended.calibration = {{"counts", {{"runs", 3}, {"comparisons", 240}, {"false_alarms", 0}, {"mde", 0.01},
                                              {"date", "2026-12-07T15:40:00Z"}, {"machine", "AMD EPYC, 2 cores"},
                                              {"suite", "pr"}}}};
  t = store_calibration(t, none, {{"load_average_start", {0.5, 0.6, 0.9}}});
  const auto& ev = t.calibration["counts"]["evidence"];
  EXPECT_EQ(ev["machine"], "AMD EPYC, 2 cores");
  EXPECT_EQ(ev["suite"], "pr");
  EXPECT_EQ(ev["method"], "counts");
  EXPECT_EQ(ev["runs"], 3);
  EXPECT_EQ(ev["load_average_start"][0], 0.5);
  EXPECT_TRUE(t.calibration["kinds"].empty());
  EXPECT_TRUE(t.calibration["runs"].empty());
  EXPECT_DOUBLE_EQ(t.timing.at("tg_tok_s").compare, 0.1);
}

TEST(CalibrationStore, FooterStatesFalseAlarmsAndDetectableSlowdownPerMethod) {
  Thresholds t = test::fixed_thresholds(0.1, 0.1, 0.1);
  t = store_calibration(t, calibration("processes", {kind("tg_tok_s", "ratio", 0.1, 0.5), kind("tg_tok_s", "compare", 0.1, 0.5)}),
                        {{"load_average_start", {9.5, 8.0, 6.0}}});
  Calibration d = calibration("duet", {kind("tg_tok_s", "duet", 0.01, 0.02)});
  d.recommended.calibration = {{"counts", {{"runs", 3}, {"comparisons", 24}, {"false_alarms", 0}, {"mde", 0.01}}}};
  t = store_calibration(t, d, {{"load_average_start", {7.25, 8.0, 6.0}}});
  GateReport g;
  g.command = "compare";
  g.thresholds = t;
  g.checks.push_back({"cpu", "c", "tg_tok_s", "kv_vs_fp32", "", "", true, {}, 0.1, {Verdict::unchanged, ""}, false});
  g.checks.push_back({"counts", "c2", "tg_instr_per_token", "counts", "", "", false, {}, 0.01, {Verdict::unchanged, ""}, false});
  g.baselines.push_back({"cpu", "f", "r", {}, true, false});
  const std::string md = visibility_footer(g);
  EXPECT_NE(md.find("within-run ratios vs the baseline (separate processes): 30.0% or more (worst cell 41.0%); "
                    "A/A false alarms 3 of 40 (7.5%); calibrated 2026-12-07T07:00:00Z, 2 x 5 pairs of 36 cells, "
                    "load average 9.5"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("instructions per token under Valgrind: 1.0% or more; A/A false alarms 0 of 24 (0.0%); 3 count runs"),
            std::string::npos)
      << md;
  // Methods calibrated but not used by this verdict are stated too: compare timing and duet.
  EXPECT_NE(md.find("Calibrated but not used by this verdict"), std::string::npos) << md;
  EXPECT_NE(md.find("absolute tok/s vs the baseline (separate processes): 30.0% or more"), std::string::npos) << md;
  EXPECT_NE(md.find("duet timing (`bench-all ab --method duet`): 30.0% or more (worst cell 41.0%); A/A false alarms 3 of 40"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("load average 7.2"), std::string::npos) << md;
  // An A/B verdict by duet says what its own method sees.
  GateReport ab;
  ab.command = "ab";
  ab.thresholds = t;
  ab.checks.push_back({"cpu", "c", "tg_tok_s", "duet", "", "", true, {}, 0.01, {Verdict::unchanged, ""}, false});
  EXPECT_NE(visibility_footer(ab).find("This gate can see slowdowns of 30.0% or more"), std::string::npos)
      << visibility_footer(ab);
}

}  // namespace
}  // namespace quant::harness
