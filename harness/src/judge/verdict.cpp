#include "harness/judge/verdict.h"

#include <algorithm>
#include <cmath>

#include "harness/stats/format.h"
#include "harness/stats/rank_tests.h"

namespace quant::harness {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::unchanged: return "unchanged";
    case Verdict::regression: return "regression";
    case Verdict::improvement: return "improvement";
    case Verdict::inconclusive: return "inconclusive";
    case Verdict::cannot_decide: return "cannot decide";
  }
  return "?";
}

Decision decide_timing(const TimingEvidence& e, double alpha, double threshold) {
  const std::string numbers = fmt_ratio_ci(e.ratio, e.ci) + ", p=" + fmt("%.3g", e.p) + ", threshold " +
                              fmt_percent(threshold, 1);
  if (std::min(e.n_base, e.n_cur) < kMinRunsForVerdict)
    return {Verdict::cannot_decide, "too few runs (" + std::to_string(std::min(e.n_base, e.n_cur)) + " < " +
                                        std::to_string(kMinRunsForVerdict) + ") for a verdict: " + numbers};
  if (e.min_p >= alpha)
    return {Verdict::cannot_decide, "with " + std::to_string(e.n_base) + " vs " + std::to_string(e.n_cur) +
                                        " samples the test's smallest possible p is " + fmt("%.3g", e.min_p) +
                                        " >= alpha " + fmt("%.3g", alpha) +
                                        ": no slowdown can be flagged (more repetitions needed): " + numbers};
  const bool significant = e.p < alpha;
  if (significant && e.ci.hi < 1 && e.ratio < 1 - threshold)
    return {Verdict::regression, "slower: " + numbers};
  if (significant && e.ci.lo > 1 && e.ratio > 1 + threshold)
    return {Verdict::improvement, "faster: " + numbers};
  if (e.ci.lo < 1 - threshold)
    return {Verdict::inconclusive, "too noisy to rule out a slowdown beyond the threshold: " + numbers};
  return {Verdict::unchanged, "within the threshold: " + numbers};
}

namespace {

Interval percentile_interval(std::vector<double> stats, double level) {
  std::sort(stats.begin(), stats.end());
  const double a = (1 - level) / 2;
  return {quantile_sorted(stats, a), quantile_sorted(stats, 1 - a)};
}

}  // namespace

TimingEvidence unpaired_evidence(const std::vector<double>& base, const std::vector<double>& cur,
                                 const BootstrapOptions& o) {
  TimingEvidence e;
  e.n_base = static_cast<int>(base.size());
  e.n_cur = static_cast<int>(cur.size());
  if (base.empty() || cur.empty()) return e;
  e.ratio = median(cur) / median(base);
  e.ci = bootstrap_ratio_ci(cur, base, o);
  e.p = mann_whitney_p(cur, base);
  e.min_p = mann_whitney_min_p(static_cast<int>(cur.size()), static_cast<int>(base.size()));
  return e;
}

TimingEvidence paired_evidence(const std::vector<double>& ratios, const BootstrapOptions& o) {
  TimingEvidence e;
  e.n_base = e.n_cur = static_cast<int>(ratios.size());
  if (ratios.empty()) return e;
  e.ratio = median(ratios);
  std::vector<double> logs;
  for (double r : ratios) logs.push_back(std::log(r));
  e.p = wilcoxon_signed_rank_p(logs);
  e.min_p = wilcoxon_min_p(static_cast<int>(ratios.size()));
  Rng rng(o.seed);
  std::vector<double> stats(static_cast<size_t>(o.resamples)), scratch(ratios.size());
  for (auto& s : stats) {
    for (auto& x : scratch) x = ratios[rng.index(ratios.size())];
    s = median(scratch);
  }
  e.ci = percentile_interval(stats, o.level);
  return e;
}

Decision decide_deterministic(double base, double cur, const Tolerance& tol, bool higher_is_worse) {
  const double diff = cur - base;
  const std::string numbers = fmt("%.10g", base) + " -> " + fmt("%.10g", cur) + " (" + fmt("%+.3g", diff) + ")";
  if (std::fabs(diff) <= tol.abs + tol.rel * std::fabs(base)) {
    if (diff == 0) return {Verdict::unchanged, "identical: " + fmt("%.10g", cur)};
    return {Verdict::unchanged, "within tolerance: " + numbers};
  }
  const bool worse = higher_is_worse ? diff > 0 : diff < 0;
  return {worse ? Verdict::regression : Verdict::improvement,
          std::string(worse ? "worse" : "better") + ", needs a baseline update if intended: " + numbers};
}

std::vector<double> run_medians(const std::vector<std::vector<double>>& runs) {
  std::vector<double> m;
  for (const auto& r : runs)
    if (!r.empty()) m.push_back(median(r));
  return m;
}

}  // namespace quant::harness
