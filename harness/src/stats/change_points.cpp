#include "harness/stats/change_points.h"

#include <algorithm>
#include <cmath>

namespace quant::harness {

BestSplit best_split(const std::vector<double>& x, int lo, int hi, int min_seg) {
  min_seg = std::max(min_seg, 2);  // within-sample means need two points
  BestSplit best;
  const int n = hi - lo;
  if (n < 2 * min_seg) return best;
  // to[k][i]: sum of |y_i' - y_k| over i' < i (i <= k), so every sum of distances from a point to a run of
  // earlier points is O(1) and scanning every (tau, kappa) is O(n^2).
  std::vector<double> to(static_cast<size_t>(n) * (n + 1), 0);
  auto row = [&](int k) { return &to[static_cast<size_t>(k) * (n + 1)]; };
  for (int k = 0; k < n; ++k) {
    double* r = row(k);
    for (int i = 0; i < k; ++i) r[i + 1] = r[i] + std::fabs(x[lo + i] - x[lo + k]);
  }
  double within_x = 0;  // pairs inside [0, tau)
  for (int k = 0; k < min_seg - 1; ++k) within_x += row(k)[k];
  for (int tau = min_seg; tau <= n - min_seg; ++tau) {
    within_x += row(tau - 1)[tau - 1];
    const double m = tau;
    double within_y = 0, between = 0;  // Y = [tau, k]: grows one point at a time (kappa = k + 1)
    for (int k = tau; k < n; ++k) {
      const double* r = row(k);
      within_y += r[k] - r[tau];
      between += r[tau];
      const double kk = k - tau + 1;
      if (kk < min_seg) continue;
      const double e = 2 * between / (m * kk) - within_x / (m * (m - 1) / 2) - within_y / (kk * (kk - 1) / 2);
      const double q = m * kk / (m + kk) * e;
      if (best.tau < 0 || q > best.q) best = {lo + tau, lo + k + 1, q};
    }
  }
  return best;
}

namespace {

struct Segment {
  int lo, hi;
  BestSplit split;
};

// Share of permutations of x[lo, hi) whose best split is at least as strong as the observed one.
double permutation_p(const std::vector<double>& x, const Segment& s, const ChangePointOptions& o) {
  Rng rng(o.seed ^ (static_cast<uint64_t>(s.lo) * 1000003u + static_cast<uint64_t>(s.hi)));
  std::vector<double> y(x.begin() + s.lo, x.begin() + s.hi);
  int as_strong = 0;
  for (int r = 0; r < o.permutations; ++r) {
    for (size_t i = y.size() - 1; i > 0; --i) std::swap(y[i], y[rng.index(i + 1)]);  // Fisher-Yates
    if (best_split(y, 0, static_cast<int>(y.size()), o.min_segment).q >= s.split.q) ++as_strong;
  }
  return (as_strong + 1.0) / (o.permutations + 1.0);
}

}  // namespace

std::vector<ChangePoint> find_change_points(const std::vector<double>& values, const ChangePointOptions& o) {
  bool positive = !values.empty();
  for (double v : values) positive &= v > 0;
  std::vector<double> x(values);
  if (positive)
    for (double& v : x) v = std::log(v);
  const int n = static_cast<int>(x.size());
  std::vector<Segment> segments{{0, n, best_split(x, 0, n, o.min_segment)}};
  std::vector<std::pair<int, double>> cuts;  // (index, p)
  // Bisection: test the strongest split of any segment; stop at the first that is not significant.
  for (;;) {
    auto it = std::max_element(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
      return (a.split.tau < 0 ? -1.0 : a.split.q) < (b.split.tau < 0 ? -1.0 : b.split.q);
    });
    if (it == segments.end() || it->split.tau < 0 || it->split.q <= 0) break;
    const double p = permutation_p(x, *it, o);
    if (p >= o.alpha) break;
    const Segment s = *it;
    segments.erase(it);
    cuts.push_back({s.split.tau, p});
    segments.push_back({s.lo, s.split.tau, best_split(x, s.lo, s.split.tau, o.min_segment)});
    segments.push_back({s.split.tau, s.hi, best_split(x, s.split.tau, s.hi, o.min_segment)});
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<ChangePoint> out;
  for (size_t i = 0; i < cuts.size(); ++i) {
    const int lo = i == 0 ? 0 : cuts[i - 1].first, at = cuts[i].first;
    const int hi = i + 1 < cuts.size() ? cuts[i + 1].first : n;
    const std::vector<double> before(values.begin() + lo, values.begin() + at), after(values.begin() + at, values.begin() + hi);
    ChangePoint c;
    c.index = at;
    c.p = cuts[i].second;
    c.before = median(before);
    c.after = median(after);
    c.ratio = c.before != 0 ? c.after / c.before : 0;
    BootstrapOptions b = o.bootstrap;
    b.seed = derive_seed(o.bootstrap.seed, std::to_string(at));
    c.ci = bootstrap_ratio_ci(after, before, b);
    out.push_back(c);
  }
  return out;
}

}  // namespace quant::harness
