#pragma once
// Descriptive statistics and seeded percentile-bootstrap confidence intervals (for medians and for
// ratios of medians). Deterministic: the same samples and seed give the same interval on every machine.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace quant::harness {

struct Summary {
  int n = 0;
  double median = 0, mean = 0, sd = 0, min = 0, max = 0;
  double cv = 0;  // sd / mean (0 when n < 2)
};
Summary summarize(const std::vector<double>& x);  // sd with n - 1

double median(std::vector<double> x);
// Linear-interpolation quantile (type 7) of sorted values.
double quantile_sorted(const std::vector<double>& sorted, double q);

struct Interval {
  double lo = 0, hi = 0;
  bool contains(double v) const { return lo <= v && v <= hi; }
};

struct BootstrapOptions {
  int resamples = 2000;
  double level = 0.95;
  uint64_t seed = 1;
};

// Percentile bootstrap of the median.
Interval bootstrap_median_ci(const std::vector<double>& x, const BootstrapOptions& o);
// Percentile bootstrap of median(a) / median(b), a and b resampled independently.
Interval bootstrap_ratio_ci(const std::vector<double>& a, const std::vector<double>& b, const BootstrapOptions& o);

// Seeds per item from a base seed and a name, so an interval does not depend on what else was analysed.
uint64_t derive_seed(uint64_t base, const std::string& name);

// Deterministic generator used by the bootstrap (and by tests that simulate data). std::mt19937_64's
// output sequence is fixed by the C++ standard; the distributions below are our own, so results do not
// depend on the standard library's implementation of std::*_distribution.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  size_t index(size_t n);  // uniform in [0, n)
  double uniform();        // [0, 1)
  double normal();         // standard normal (Box-Muller)
 private:
  std::mt19937_64 engine_;
};

}  // namespace quant::harness
