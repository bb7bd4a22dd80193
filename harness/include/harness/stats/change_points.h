#pragma once
// Change points in a series of per-commit figures: E-divisive means (Matteson and James, 2014), the
// method MongoDB's and Apache Otava's performance tooling use. It makes no assumption about the noise's
// distribution (this VM's timings are skewed and heavy-tailed), finds several steps by bisection, and
// its permutation test bounds the false steps per series. Values are compared on a log scale, so a
// 20% drop and a 25% rise (its inverse) weigh the same.
#include <cstdint>
#include <vector>

#include "harness/stats/stats.h"

namespace quant::harness {

struct ChangePointOptions {
  int permutations = 199;  // permutation test of each candidate split
  double alpha = 0.01;     // a split is kept when its permutation p-value is below this
  int min_segment = 3;     // points on each side of a split, at least
  BootstrapOptions bootstrap{2000, 0.95, 1};  // interval of the step's ratio
  uint64_t seed = 1;       // permutations are seeded: the same series gives the same answer
};

struct ChangePoint {
  int index = 0;             // the first point after the step (the step lies between index-1 and index)
  double before = 0, after = 0;  // medians of the segments on either side
  double ratio = 1;          // after / before
  Interval ci{1, 1};         // bootstrap interval of the ratio
  double p = 1;              // permutation p-value of the split
};

// Steps in `values` (positive figures in commit order), ordered by index. Deterministic.
std::vector<ChangePoint> find_change_points(const std::vector<double>& values, const ChangePointOptions& o = {});

// The strongest split of x[lo, hi): the E-divisive statistic q compares X = [lo, tau) with Y = [tau,
// kappa) for every tau and every right end kappa (each side at least min_seg points), so a step that is
// undone later (A B A) is found as readily as one that stays. Exposed for tests; tau is -1 when the
// segment is too short.
struct BestSplit {
  int tau = -1, kappa = -1;
  double q = 0;
};
BestSplit best_split(const std::vector<double>& x, int lo, int hi, int min_seg);

}  // namespace quant::harness
