// The gate's tests and decision rules against known values (p-values computed independently with
// scipy.stats 1.10: mannwhitneyu / wilcoxon, exact and asymptotic) and their type I error on
// simulated data.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/stats/rank_tests.h"
#include "harness/judge/verdict.h"

namespace quant::harness {
namespace {

TEST(RankTests, MannWhitneyExactKnownValues) {
  EXPECT_NEAR(mann_whitney_p({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
  EXPECT_NEAR(mann_whitney_p({1.1, 2.2, 3.3, 4.4, 5.5}, {6, 7, 8, 9, 10}), 0.007936507936507936, 1e-12);
  EXPECT_NEAR(mann_whitney_p({1, 3, 5, 7, 9, 11}, {2, 4, 6, 8, 10, 12, 14}), 0.4452214452214452, 1e-12);
  // Symmetric in its arguments.
  EXPECT_NEAR(mann_whitney_p({4, 5, 6}, {1, 2, 3}), 0.1, 1e-12);
  EXPECT_TRUE(std::isnan(mann_whitney_p({}, {1})));
}

TEST(RankTests, MannWhitneyWithTiesUsesCorrectedNormal) {
  EXPECT_NEAR(mann_whitney_p({1, 2, 2, 3, 5}, {2, 3, 4, 4, 6, 7}), 0.13862587987892763, 1e-9);
  EXPECT_DOUBLE_EQ(mann_whitney_p({3, 3, 3}, {3, 3, 3}), 1.0);
}

TEST(RankTests, WilcoxonKnownValues) {
  EXPECT_NEAR(wilcoxon_signed_rank_p({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}), 0.03125, 1e-12);
  EXPECT_NEAR(wilcoxon_signed_rank_p({0.1, -0.25, 0.3, 0.45, 0.5, -0.6, 0.7, 0.85}), 0.1953125, 1e-12);
  EXPECT_NEAR(wilcoxon_signed_rank_p({1, -2, 2, 3, 3, 3, -1, 4}), 0.07783911077082932, 1e-9);
  EXPECT_DOUBLE_EQ(wilcoxon_signed_rank_p({0, 0, 0}), 1.0);
}

TEST(RankTests, NormalQuantileInvertsCdf) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(normal_cdf(normal_quantile(0.1)), 0.1, 1e-12);
}

TEST(RankTests, TypeOneErrorStaysAtAlpha) {
  Rng rng(3);
  int mw = 0, wx = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a(6), b(6), d(8);
    for (auto& x : a) x = rng.normal();
    for (auto& x : b) x = rng.normal();
    for (auto& x : d) x = rng.normal();
    mw += mann_whitney_p(a, b) < 0.05;
    wx += wilcoxon_signed_rank_p(d) < 0.05;
  }
  // Exact tests on discrete statistics are conservative: at most alpha (with simulation slack).
  EXPECT_LE(mw, trials * 0.06);
  EXPECT_LE(wx, trials * 0.06);
  EXPECT_GT(mw, trials * 0.02);
  EXPECT_GT(wx, trials * 0.02);
}

TEST(Verdict, TimingRules) {
  TimingEvidence e;
  e.n_base = e.n_cur = 5;
  e.p = 0.01;
  e.ratio = 0.85;
  e.ci = {0.80, 0.90};
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::regression);
  // Significant but within the practical threshold: the CI still reaches below 1 - t.
  e.ratio = 0.97;
  e.ci = {0.94, 0.99};
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::inconclusive);
  e.ci = {0.96, 0.99};
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::unchanged);
  // A large slowdown that the test cannot confirm is not a regression.
  e.ratio = 0.80;
  e.ci = {0.6, 1.1};
  e.p = 0.2;
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::inconclusive);
  e.ratio = 1.2;
  e.ci = {1.1, 1.3};
  e.p = 0.008;
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::improvement);
  // Too few runs, or sample sizes whose smallest possible p is not below alpha: never a pass.
  e.n_cur = 2;
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::cannot_decide);
  e.n_cur = 5;
  e.min_p = 0.1;  // Mann-Whitney 3 vs 3
  EXPECT_EQ(decide_timing(e, 0.05, 0.05).verdict, Verdict::cannot_decide);
}

TEST(Verdict, DeterministicRules) {
  EXPECT_EQ(decide_deterministic(6.1286, 6.1286, {1e-6, 0}, true).verdict, Verdict::unchanged);
  EXPECT_EQ(decide_deterministic(6.1286, 6.1286 * (1 + 5e-7), {1e-6, 0}, true).verdict, Verdict::unchanged);
  const Decision worse = decide_deterministic(6.1286, 6.13, {1e-6, 0}, true);
  EXPECT_EQ(worse.verdict, Verdict::regression);
  EXPECT_NE(worse.why.find("needs a baseline update"), std::string::npos);
  EXPECT_EQ(decide_deterministic(0.97, 0.96, {0, 1e-9}, false).verdict, Verdict::regression);  // top-1 fell
  EXPECT_EQ(decide_deterministic(0.96, 0.97, {0, 1e-9}, false).verdict, Verdict::improvement);
}

TEST(Verdict, EvidenceFromSamples) {
  BootstrapOptions o;
  const std::vector<double> base = {100, 101, 99, 100.5, 99.5}, slow = {90, 91, 89, 90.5, 89.5};
  const TimingEvidence e = unpaired_evidence(base, slow, o);
  EXPECT_NEAR(e.ratio, 0.9, 1e-12);
  EXPECT_LT(e.ci.hi, 1);
  EXPECT_NEAR(e.p, 0.007936507936507936, 1e-12);
  const TimingEvidence p = paired_evidence({0.9, 0.91, 0.89, 0.905, 0.92, 0.88}, o);
  EXPECT_NEAR(p.ratio, 0.9025, 1e-12);
  EXPECT_NEAR(p.p, 0.03125, 1e-12);
  EXPECT_LT(p.ci.hi, 1);
}

}  // namespace
}  // namespace quant::harness
