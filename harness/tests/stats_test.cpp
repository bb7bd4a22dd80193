// Statistics against known values, bootstrap determinism, and CI coverage on simulated data.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/stats/stats.h"

namespace quant::harness {
namespace {

TEST(Stats, SummaryOfKnownValues) {
  const Summary s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(s.n, 8);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_DOUBLE_EQ(s.median, 4.5);
  EXPECT_NEAR(s.sd, std::sqrt(32.0 / 7.0), 1e-12);  // sample sd, n - 1
  EXPECT_DOUBLE_EQ(s.min, 2);
  EXPECT_DOUBLE_EQ(s.max, 9);
  EXPECT_NEAR(s.cv, std::sqrt(32.0 / 7.0) / 5.0, 1e-12);
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({10}), 10);
  const Summary one = summarize({7});
  EXPECT_EQ(one.sd, 0);
  EXPECT_EQ(one.cv, 0);
}

TEST(Stats, QuantileInterpolatesLinearly) {
  const std::vector<double> s = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 1), 5);
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0.5), 3);
  EXPECT_DOUBLE_EQ(quantile_sorted(s, 0.125), 1.5);
}

TEST(Stats, BootstrapIsDeterministicPerSeed) {
  const std::vector<double> x = {10, 12, 9, 11, 14, 10.5, 13, 9.5, 12.5, 11.5};
  BootstrapOptions o;
  o.seed = 42;
  const Interval a = bootstrap_median_ci(x, o), b = bootstrap_median_ci(x, o);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_LE(a.lo, median(x));
  EXPECT_GE(a.hi, median(x));
  EXPECT_LT(a.lo, a.hi);
  // Ratios of even-sized samples take many distinct values, so another seed must move the interval.
  Rng rng(5);
  std::vector<double> p(20), q(20);
  for (auto& v : p) v = 50 + rng.normal();
  for (auto& v : q) v = 60 + rng.normal();
  const Interval r1 = bootstrap_ratio_ci(p, q, o), r2 = bootstrap_ratio_ci(p, q, o);
  EXPECT_EQ(r1.lo, r2.lo);
  EXPECT_EQ(r1.hi, r2.hi);
  o.seed = 43;
  const Interval r3 = bootstrap_ratio_ci(p, q, o);
  EXPECT_TRUE(r3.lo != r1.lo || r3.hi != r1.hi) << "a different seed must give a different resampling";
  // Seeds derived from names are stable and distinct.
  EXPECT_EQ(derive_seed(1, "cell/a"), derive_seed(1, "cell/a"));
  EXPECT_NE(derive_seed(1, "cell/a"), derive_seed(1, "cell/b"));
  EXPECT_NE(derive_seed(1, "cell/a"), derive_seed(2, "cell/a"));
}

TEST(Stats, ConstantSamplesGiveADegenerateInterval) {
  const Interval i = bootstrap_median_ci({5, 5, 5, 5}, {});
  EXPECT_EQ(i.lo, 5);
  EXPECT_EQ(i.hi, 5);
  const Interval r = bootstrap_ratio_ci({6, 6, 6}, {3, 3}, {});
  EXPECT_EQ(r.lo, 2);
  EXPECT_EQ(r.hi, 2);
}

// Simulated normal data: the 95% interval of the median must contain the true median about 95% of the
// time (percentile bootstrap of a median runs a little under nominal at n = 30).
TEST(Stats, MedianIntervalCoverageOnSimulatedData) {
  Rng rng(2024);
  const int trials = 400, n = 30;
  const double mu = 100, sigma = 5;
  int covered = 0;
  BootstrapOptions o;
  o.resamples = 1000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> x(n);
    for (auto& v : x) v = mu + sigma * rng.normal();
    o.seed = static_cast<uint64_t>(t) + 1;
    covered += bootstrap_median_ci(x, o).contains(mu);
  }
  const double coverage = static_cast<double>(covered) / trials;
  EXPECT_GT(coverage, 0.89) << coverage;
  EXPECT_LT(coverage, 0.995) << coverage;
}

TEST(Stats, RatioIntervalCoverageOnSimulatedData) {
  Rng rng(7);
  const int trials = 300, n = 25;
  int covered = 0;
  BootstrapOptions o;
  o.resamples = 1000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a(n), b(n);
    for (auto& v : a) v = 90 + 4 * rng.normal();
    for (auto& v : b) v = 100 + 4 * rng.normal();
    o.seed = static_cast<uint64_t>(t) + 11;
    covered += bootstrap_ratio_ci(a, b, o).contains(0.9);
  }
  const double coverage = static_cast<double>(covered) / trials;
  EXPECT_GT(coverage, 0.88) << coverage;
  EXPECT_LT(coverage, 0.995) << coverage;
}

TEST(Stats, RngNormalHasUnitMoments) {
  Rng rng(99);
  std::vector<double> x(20000);
  for (auto& v : x) v = rng.normal();
  const Summary s = summarize(x);
  EXPECT_NEAR(s.mean, 0, 0.03);
  EXPECT_NEAR(s.sd, 1, 0.03);
}

}  // namespace
}  // namespace quant::harness
