// Lloyd's algorithm on the positive half of a symmetric law: alternately put each boundary at the midpoint
// of its neighbouring levels and each level at the conditional mean of its cell, until nothing moves.
#include "lloyd_max.h"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace quant::kv {

namespace {

// Integrals of x^0, x^1, x^2 times the (normalised) density over [a, b], 0 <= a <= b <= upper.
struct Moments {
  double m0, m1, m2;
};

class GaussianLaw {
 public:
  double upper() const { return INFINITY; }
  double scale() const { return 1.0; }
  Moments over(double a, double b) const {
    const double pa = phi(a), pb = phi(b);
    const double m0 = 0.5 * (std::erfc(a / std::sqrt(2.0)) - std::erfc(b / std::sqrt(2.0)));
    const double bpb = std::isinf(b) ? 0.0 : b * pb;
    return {m0, pa - pb, m0 + a * pa - bpb};
  }

 private:
  static double phi(double x) { return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }
};

// (1 - x^2)^alpha on [-1, 1]. The first moment has a closed form; the zeroth and second come from a
// table of cumulative Gauss-Legendre integrals over fine panels, plus one short integral inside a panel.
class SphereLaw {
 public:
  explicit SphereLaw(int dim) : alpha_(0.5 * (dim - 3)), cum0_(kPanels + 1), cum2_(kPanels + 1) {
    for (int k = 0; k < kPanels; ++k) {
      const auto [i0, i2] = panel(static_cast<double>(k) / kPanels, static_cast<double>(k + 1) / kPanels);
      cum0_[k + 1] = cum0_[k] + i0;
      cum2_[k + 1] = cum2_[k] + i2;
    }
    norm_ = 1.0 / (2.0 * cum0_[kPanels]);
    scale_ = 1.0 / std::sqrt(static_cast<double>(dim));
  }
  double upper() const { return 1.0; }
  double scale() const { return scale_; }
  Moments over(double a, double b) const {
    const auto [a0, a2] = cumulative(a);
    const auto [b0, b2] = cumulative(b);
    const double m1 = (std::pow(1 - a * a, alpha_ + 1) - std::pow(1 - b * b, alpha_ + 1)) / (2 * (alpha_ + 1));
    return {(b0 - a0) * norm_, m1 * norm_, (b2 - a2) * norm_};
  }

 private:
  static constexpr int kPanels = 4096;
  double g(double x) const { return std::pow(std::max(0.0, 1 - x * x), alpha_); }
  // 8-point Gauss-Legendre rule for the integrals of g and x^2 g over [a, b].
  std::pair<double, double> panel(double a, double b) const {
    static constexpr double kNode[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                                        0.9602898564975363};
    static constexpr double kWeight[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745,
                                          0.1012285362903763};
    const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
    double s0 = 0, s2 = 0;
    for (int i = 0; i < 4; ++i)
      for (double x : {mid - half * kNode[i], mid + half * kNode[i]}) {
        const double gx = g(x);
        s0 += kWeight[i] * gx;
        s2 += kWeight[i] * x * x * gx;
      }
    return {s0 * half, s2 * half};
  }
  std::pair<double, double> cumulative(double x) const {
    if (x >= 1) return {cum0_[kPanels], cum2_[kPanels]};
    const int k = static_cast<int>(x * kPanels);
    const auto [p0, p2] = panel(static_cast<double>(k) / kPanels, x);
    return {cum0_[k] + p0, cum2_[k] + p2};
  }
  double alpha_, norm_ = 0, scale_ = 0;
  std::vector<double> cum0_, cum2_;
};

template <class Law>
Codebook lloyd_max(const Law& law, int bits) {
  if (bits < 1 || bits > 8) throw std::invalid_argument("lloyd_max: bits must be 1..8, got " + std::to_string(bits));
  const int n = 1 << (bits - 1);  // levels on the positive half
  std::vector<double> c(n), t(n + 1);
  // Start evenly spread over +-3 standard deviations (clipped to the support); Lloyd moves them from there.
  const double span = std::min(law.upper(), 3.0 * law.scale());
  for (int k = 0; k < n; ++k) c[k] = span * (k + 0.5) / n;
  t[0] = 0;
  t[n] = law.upper();
  // Converges linearly; 1e-12 of the spread is far below what float codebooks can resolve, and above the
  // rounding noise of the moments, so the loop always ends.
  for (int iter = 0; iter < 200000; ++iter) {
    for (int k = 1; k < n; ++k) t[k] = 0.5 * (c[k - 1] + c[k]);
    double moved = 0;
    for (int k = 0; k < n; ++k) {
      const Moments m = law.over(t[k], t[k + 1]);
      const double next = m.m1 / m.m0;
      moved = std::max(moved, std::fabs(next - c[k]));
      c[k] = next;
    }
    if (moved < 1e-12 * law.scale()) break;
  }
  for (int k = 1; k < n; ++k) t[k] = 0.5 * (c[k - 1] + c[k]);

  Codebook cb;
  for (int k = n - 1; k >= 0; --k) cb.levels.push_back(-c[k]);
  for (int k = 0; k < n; ++k) cb.levels.push_back(c[k]);
  for (int k = n - 1; k >= 1; --k) cb.thresholds.push_back(-t[k]);
  cb.thresholds.push_back(0.0);
  for (int k = 1; k < n; ++k) cb.thresholds.push_back(t[k]);
  double half_mse = 0;
  for (int k = 0; k < n; ++k) {
    const Moments m = law.over(t[k], t[k + 1]);
    half_mse += m.m2 - 2 * c[k] * m.m1 + c[k] * c[k] * m.m0;
  }
  cb.mse = 2 * half_mse;
  return cb;
}

}  // namespace

Codebook lloyd_max_gaussian(int bits) { return lloyd_max(GaussianLaw{}, bits); }

Codebook lloyd_max_sphere(int bits, int dim) {
  if (dim < 3) throw std::invalid_argument("lloyd_max_sphere: dim must be at least 3, got " + std::to_string(dim));
  return lloyd_max(SphereLaw(dim), bits);
}

const Codebook& sphere_codebook(int bits, int dim) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, std::unique_ptr<Codebook>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[{bits, dim}];
  if (!slot) slot = std::make_unique<Codebook>(lloyd_max_sphere(bits, dim));
  return *slot;
}

}  // namespace quant::kv
