// The gate's power and false-alarm rate, shown with the fake engine (chosen effect and noise: 2% per
// timing, 1% per process). Thresholds come from `calibrate` on A/A sweeps of the same fake, as they do
// for the real machine. Then: a 10% slowdown must be flagged in >= 95% of simulated runs, and with
// nothing changed false alarms must stay <= 5%, for `compare` (baseline vs current) and `ab` (paired).
#include <gtest/gtest.h>

#include <memory>

#include "gate_test_support.h"
#include "harness/judge/ab.h"
#include "harness/judge/calibrate.h"
#include "harness/judge/compare.h"
#include "harness/measure/variant_build.h"

namespace quant::harness {
namespace {

const std::map<std::string, std::string> kNoise = {{"FAKE_QUANT_NOISE", "0.02"}, {"FAKE_QUANT_RUN_NOISE", "0.01"}};
const char* kTenPercentSlower = "1.1111111";  // tok/s x 0.9

// Speed cells fp32 and q8_0, 5 runs of 3 timings each, no warm-up run (the fake needs none).
nlohmann::json power_suite() {
  nlohmann::json s = test::speed_suite();
  s["metrics"]["speed"]["warmup"] = 0;
  return s;
}

struct Fixture {
  test::FakeProject p = test::make_fake_project("power", power_suite());
  std::vector<std::unique_ptr<test::ScopedEnv>> env;
  std::unique_ptr<test::FakeSearchPath> paths;
  Fixture() {
    env.push_back(std::make_unique<test::ScopedEnv>("FAKE_QUANT_SEED_FILE", p.root + "/seed"));
    for (const auto& [k, v] : kNoise) env.push_back(std::make_unique<test::ScopedEnv>(k.c_str(), v));
    paths = std::make_unique<test::FakeSearchPath>(p);
  }
  PairedRun paired(const std::map<std::string, std::string>& head_env) {
    return test::quiet_paired(test::fake_paired_options(p, 6, 0, {}, head_env));
  }
  Results sweep(const std::string& name, bool slow) {
    std::map<std::string, std::string> e;
    if (slow) e["FAKE_QUANT_SLOWDOWN"] = kTenPercentSlower;
    return test::fake_sweep(p, name, e);
  }
};

Thresholds calibrated(Fixture& f) {
  std::vector<PairedRun> sweeps;
  for (int k = 0; k < 3; ++k) sweeps.push_back(f.paired({}));
  const Calibration c = calibrate(sweeps, test::fixed_thresholds(0.10, 0.10, 0.10));
  for (const auto& k : c.kinds) {
    EXPECT_GT(k.comparisons, 0) << k.kind;
    EXPECT_LT(k.recommended, 0.10) << k.measure << " " << k.kind << ": this noise must allow detecting 10%";
    EXPECT_LE(k.mde_max, 0.10) << k.measure << " " << k.kind;
    // At the 10% threshold in use, nothing under 10% can be a regression, and this noise detects ~10%.
    EXPECT_GE(k.mde_max_current, 0.10) << k.measure << " " << k.kind;
    EXPECT_LE(k.mde_max_current, 0.15) << k.measure << " " << k.kind;
    EXPECT_LE(k.mde_max, k.mde_max_current + 0.005) << "a lower threshold cannot need a larger slowdown";
  }
  return c.recommended;
}

bool is_alarm(const Check& c) {
  return c.has_timing && (c.decision.verdict == Verdict::regression || c.decision.verdict == Verdict::improvement);
}

TEST(GatePower, CompareFlagsTenPercentAndRarelyFalseAlarms) {
  Fixture f;
  const Thresholds t = calibrated(f);
  const int trials = 20;
  int slowed_checks = 0, flagged = 0, runs_flagged = 0, aa_checks = 0, alarms = 0, runs_alarmed = 0;
  Results base = f.sweep("s0", false);
  for (int i = 0; i < trials; ++i) {
    const std::string file = f.p.root + "/base.json";
    test::write_file(file, results_to_json(base, nlohmann::json::object()).dump());
    const Results slow = f.sweep("slow" + std::to_string(i), true);
    const GateReport gs = compare_results(slow, explicit_baseline(slow, file), t);
    bool any = false;
    for (const auto& c : gs.checks)
      if (c.kind == "absolute") {
        ++slowed_checks;
        flagged += c.decision.verdict == Verdict::regression;
        any |= c.decision.verdict == Verdict::regression;
      }
    runs_flagged += any && gs.failed();
    const Results next = f.sweep("s" + std::to_string(i + 1), false);
    const GateReport ga = compare_results(next, explicit_baseline(next, file), t);
    bool alarm = false;
    for (const auto& c : ga.checks)
      if (c.has_timing) {
        ++aa_checks;
        alarms += is_alarm(c);
        alarm |= is_alarm(c);
      }
    runs_alarmed += alarm;
    base = next;  // each A/A trial compares two fresh sweeps
  }
  EXPECT_GE(runs_flagged, 0.95 * trials) << flagged << " of " << slowed_checks << " checks";
  EXPECT_GE(flagged, 0.95 * slowed_checks);
  EXPECT_LE(runs_alarmed, 0.05 * trials) << alarms << " of " << aa_checks << " checks";
  EXPECT_LE(alarms, 0.05 * aa_checks);
  RecordProperty("compare_power", std::to_string(flagged) + "/" + std::to_string(slowed_checks));
  RecordProperty("compare_false_alarms", std::to_string(alarms) + "/" + std::to_string(aa_checks));
}

TEST(GatePower, AbFlagsTenPercentAndRarelyFalseAlarms) {
  Fixture f;
  const Thresholds t = calibrated(f);
  const int trials = 15;
  int slowed_checks = 0, flagged = 0, runs_flagged = 0, aa_checks = 0, alarms = 0, runs_alarmed = 0;
  for (int i = 0; i < trials; ++i) {
    const GateReport gs = ab_report(f.paired({{"FAKE_QUANT_SLOWDOWN", kTenPercentSlower}}), t);
    int hits = 0, n = 0;
    for (const auto& c : gs.checks) {
      n += c.has_timing;
      hits += c.decision.verdict == Verdict::regression;
    }
    slowed_checks += n;
    flagged += hits;
    runs_flagged += gs.failed();
    const GateReport ga = ab_report(f.paired({}), t);
    bool alarm = false;
    for (const auto& c : ga.checks) {
      aa_checks += c.has_timing;
      alarms += is_alarm(c);
      alarm |= is_alarm(c);
    }
    runs_alarmed += alarm;
  }
  EXPECT_GE(runs_flagged, 0.95 * trials);
  EXPECT_GE(flagged, 0.95 * slowed_checks) << flagged << " of " << slowed_checks;
  EXPECT_LE(runs_alarmed, 0.05 * trials);
  EXPECT_LE(alarms, 0.05 * aa_checks) << alarms << " of " << aa_checks;
}

}  // namespace
}  // namespace quant::harness
