#pragma once
// How the gate turns measurements into a decision; shared by `compare` (baseline vs current), `ab`
// (interleaved pairs) and `calibrate` (A/A). A timing verdict needs both a significant difference
// (Mann-Whitney U or Wilcoxon signed-rank, p < alpha, with the bootstrap CI of the ratio excluding 1)
// and a practical one (the ratio beyond the calibrated threshold). Deterministic figures (PPL, KLD,
// bytes) must match within a tight tolerance; any change needs a reviewed baseline update.
#include <string>
#include <vector>

#include "harness/stats/stats.h"

namespace quant::harness {

// cannot_decide: the samples can never give p < alpha (too few runs), or the figures are not comparable;
// a gate with such a check does not pass.
enum class Verdict { unchanged, regression, improvement, inconclusive, cannot_decide };
const char* verdict_name(Verdict v);

struct TimingEvidence {
  double ratio = 1;  // current / baseline tok/s: below 1 is slower
  Interval ci{1, 1}; // bootstrap CI of the ratio
  double p = 1;      // two-sided p-value of the significance test
  int n_base = 0, n_cur = 0;  // runs (unpaired) or pairs (paired, n_base == n_cur)
  double min_p = 0;  // the smallest p the test can give with these sample sizes
};

struct Decision {
  Verdict verdict = Verdict::unchanged;
  std::string why;  // one line a reader can check against the numbers
};

inline constexpr int kMinRunsForVerdict = 3;

// regression: p < alpha, CI below 1 and ratio < 1 - threshold; improvement: the mirror image;
// cannot_decide: min_p >= alpha or fewer than kMinRunsForVerdict runs (no slowdown could ever be flagged);
// inconclusive: neither, and the CI reaches below 1 - threshold (a relevant slowdown is not ruled out);
// unchanged otherwise.
Decision decide_timing(const TimingEvidence& e, double alpha, double threshold);

// Unpaired: one value per run (the run's median tok/s) for baseline and current.
TimingEvidence unpaired_evidence(const std::vector<double>& base, const std::vector<double>& cur,
                                 const BootstrapOptions& o);
// Paired: one ratio head / base per pair of adjacent runs; the estimate is the median ratio and the
// test is Wilcoxon's on the log ratios.
TimingEvidence paired_evidence(const std::vector<double>& ratios, const BootstrapOptions& o);

struct Tolerance {
  double rel = 0, abs = 0;  // |cur - base| <= abs + rel * |base|
};

// Deterministic figure; `higher_is_worse` picks regression vs improvement for a change.
Decision decide_deterministic(double base, double cur, const Tolerance& tol, bool higher_is_worse);

// Median of each run's samples (the unit the tests treat as independent).
std::vector<double> run_medians(const std::vector<std::vector<double>>& runs);

}  // namespace quant::harness
