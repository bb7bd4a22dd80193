#pragma once
// Significance tests behind the gate's verdicts: Mann-Whitney U (baseline vs current, unpaired) and the
// Wilcoxon signed-rank test (A/B pairs). Exact null distributions when the samples are small and free
// of ties; the normal approximation with tie correction otherwise. Two-sided p-values.
#include <vector>

namespace quant::harness {

double normal_cdf(double z);
double normal_quantile(double p);  // inverse of normal_cdf, p in (0, 1)

// H0: a and b come from the same distribution. NaN when either sample is empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

// The smallest two-sided p the tests can give with these sample sizes (completely separated samples;
// all differences of one sign): e.g. 0.1 for Mann-Whitney with 3 vs 3, 0.0625 for 5 signed ranks.
double mann_whitney_min_p(int m, int n);
double wilcoxon_min_p(int n);

// H0: the differences are symmetric around 0 (zeros are dropped). 1 when nothing is left.
double wilcoxon_signed_rank_p(const std::vector<double>& differences);

}  // namespace quant::harness
