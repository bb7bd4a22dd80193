#include "harness/stats/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace quant::harness {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Median of x[idx...] computed in place on `scratch`.
double resampled_median(const std::vector<double>& x, Rng& rng, std::vector<double>& scratch) {
  const size_t n = x.size();
  for (size_t i = 0; i < n; ++i) scratch[i] = x[rng.index(n)];
  return median(scratch);
}

}  // namespace

Rng::Rng(uint64_t seed) : engine_(seed) {}

uint64_t Rng::next() { return engine_(); }

size_t Rng::index(size_t n) {
  // Multiply-shift mapping; the bias for the small n used here is far below the bootstrap's own noise.
  return static_cast<size_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0) u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double median(std::vector<double> x) {
  if (x.empty()) throw std::invalid_argument("median of no values");
  const size_t n = x.size(), mid = n / 2;
  std::nth_element(x.begin(), x.begin() + mid, x.end());
  const double hi = x[mid];
  if (n % 2) return hi;
  const double lo = *std::max_element(x.begin(), x.begin() + mid);
  return (lo + hi) / 2;
}

double quantile_sorted(const std::vector<double>& s, double q) {
  if (s.empty()) throw std::invalid_argument("quantile of no values");
  const double pos = q * static_cast<double>(s.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= s.size()) return s.back();
  return s[i] + (pos - static_cast<double>(i)) * (s[i + 1] - s[i]);
}

Summary summarize(const std::vector<double>& x) {
  Summary s;
  s.n = static_cast<int>(x.size());
  if (x.empty()) return s;
  s.median = median(x);
  s.mean = std::accumulate(x.begin(), x.end(), 0.0) / s.n;
  s.min = *std::min_element(x.begin(), x.end());
  s.max = *std::max_element(x.begin(), x.end());
  if (s.n > 1) {
    double ss = 0;
    for (double v : x) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / (s.n - 1));
    s.cv = s.mean != 0 ? s.sd / std::fabs(s.mean) : 0;
  }
  return s;
}

Interval bootstrap_median_ci(const std::vector<double>& x, const BootstrapOptions& o) {
  if (x.empty()) throw std::invalid_argument("bootstrap of no values");
  Rng rng(o.seed);
  std::vector<double> stats(o.resamples), scratch(x.size());
  for (int b = 0; b < o.resamples; ++b) stats[b] = resampled_median(x, rng, scratch);
  std::sort(stats.begin(), stats.end());
  const double a = (1 - o.level) / 2;
  return {quantile_sorted(stats, a), quantile_sorted(stats, 1 - a)};
}

Interval bootstrap_ratio_ci(const std::vector<double>& a, const std::vector<double>& b, const BootstrapOptions& o) {
  if (a.empty() || b.empty()) throw std::invalid_argument("bootstrap of no values");
  Rng rng(o.seed);
  std::vector<double> stats(o.resamples), sa(a.size()), sb(b.size());
  for (int i = 0; i < o.resamples; ++i) {
    const double ma = resampled_median(a, rng, sa);
    const double mb = resampled_median(b, rng, sb);
    stats[i] = ma / mb;
  }
  std::sort(stats.begin(), stats.end());
  const double al = (1 - o.level) / 2;
  return {quantile_sorted(stats, al), quantile_sorted(stats, 1 - al)};
}

uint64_t derive_seed(uint64_t base, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  uint64_t x = base ^ h;
  return splitmix64(x);
}

}  // namespace quant::harness
