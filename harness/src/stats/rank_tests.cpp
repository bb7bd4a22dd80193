#include "harness/stats/rank_tests.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace quant::harness {

namespace {

// Average ranks (1-based) of `x`; `tie_term` receives sum(t^3 - t) over groups of t tied values.
std::vector<double> ranks(const std::vector<double>& x, double& tie_term) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  tie_term = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double avg = (static_cast<double>(i + j) + 2) / 2;
    for (size_t k = i; k <= j; ++k) r[order[k]] = avg;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  return r;
}

// Two-sided p from the lower and upper tail probabilities.
double two_sided(double lower, double upper) { return std::min(1.0, 2 * std::min(lower, upper)); }

// Normal approximation with a continuity correction of 0.5 toward the mean.
double normal_two_sided(double stat, double mean, double var) {
  if (!(var > 0)) return 1.0;
  const double sd = std::sqrt(var);
  const double lo = normal_cdf((stat - mean + 0.5) / sd);
  const double hi = 1 - normal_cdf((stat - mean - 0.5) / sd);
  return two_sided(lo, hi);
}

// Null distribution of U (count of pairs with a > b) for m and n values without ties:
// f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u), as probabilities.
std::vector<double> mann_whitney_null(int m, int n) {
  // table[j][u] holds f(i, j, u) for the current i.
  std::vector<std::vector<double>> prev(n + 1), cur(n + 1);
  for (int j = 0; j <= n; ++j) prev[j] = {1.0};  // f(0, j, 0) = 1
  for (int i = 1; i <= m; ++i) {
    cur[0] = {1.0};
    for (int j = 1; j <= n; ++j) {
      std::vector<double> f(static_cast<size_t>(i * j + 1), 0.0);
      for (size_t u = 0; u < prev[j].size(); ++u) f[u + j] += prev[j][u];  // the largest value is an a
      for (size_t u = 0; u < cur[j - 1].size(); ++u) f[u] += cur[j - 1][u];  // the largest value is a b
      cur[j] = std::move(f);
    }
    std::swap(prev, cur);
  }
  std::vector<double> counts = prev[n];
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  for (double& c : counts) c /= total;
  return counts;
}

// Null distribution of W+ for n nonzero differences without ties: each rank is positive with p = 1/2.
std::vector<double> wilcoxon_null(int n) {
  std::vector<double> f(static_cast<size_t>(n * (n + 1) / 2 + 1), 0.0);
  f[0] = 1;
  int top = 0;
  for (int r = 1; r <= n; ++r) {
    top += r;
    for (int s = top; s >= r; --s) f[s] += f[s - r];
  }
  for (double& c : f) c /= std::ldexp(1.0, n);
  return f;
}

double tail_p(const std::vector<double>& dist, double stat) {
  const size_t k = static_cast<size_t>(std::llround(stat));
  double lower = 0, upper = 0;
  for (size_t u = 0; u < dist.size(); ++u) {
    if (u <= k) lower += dist[u];
    if (u >= k) upper += dist[u];
  }
  return two_sided(lower, upper);
}

}  // namespace

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) return std::numeric_limits<double>::quiet_NaN();
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> all(a);
  all.insert(all.end(), b.begin(), b.end());
  double tie_term = 0;
  const std::vector<double> r = ranks(all, tie_term);
  const double m = static_cast<double>(a.size()), n = static_cast<double>(b.size());
  const double rank_sum_a = std::accumulate(r.begin(), r.begin() + static_cast<long>(a.size()), 0.0);
  const double u = rank_sum_a - m * (m + 1) / 2;
  if (tie_term == 0 && a.size() <= 30 && b.size() <= 30)
    return tail_p(mann_whitney_null(static_cast<int>(a.size()), static_cast<int>(b.size())), u);
  const double big_n = m + n;
  const double var = m * n / 12 * ((big_n + 1) - tie_term / (big_n * (big_n - 1)));
  return normal_two_sided(u, m * n / 2, var);
}

double mann_whitney_min_p(int m, int n) {
  if (m <= 0 || n <= 0) return 1.0;
  std::vector<double> a, b;
  for (int i = 0; i < m; ++i) a.push_back(i);
  for (int i = 0; i < n; ++i) b.push_back(m + i);
  return mann_whitney_p(a, b);
}

double wilcoxon_min_p(int n) {
  if (n <= 0) return 1.0;
  std::vector<double> d;
  for (int i = 1; i <= n; ++i) d.push_back(i);
  return wilcoxon_signed_rank_p(d);
}

double wilcoxon_signed_rank_p(const std::vector<double>& differences) {
  std::vector<double> d;
  for (double x : differences)
    if (x != 0) d.push_back(x);
  if (d.empty()) return 1.0;
  std::vector<double> mag(d.size());
  for (size_t i = 0; i < d.size(); ++i) mag[i] = std::fabs(d[i]);
  double tie_term = 0;
  const std::vector<double> r = ranks(mag, tie_term);
  double w_plus = 0;
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] > 0) w_plus += r[i];
  const double n = static_cast<double>(d.size());
  if (tie_term == 0 && d.size() <= 60) return tail_p(wilcoxon_null(static_cast<int>(d.size())), w_plus);
  const double var = n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48;
  return normal_two_sided(w_plus, n * (n + 1) / 4, var);
}

}  // namespace quant::harness
