// Vectorised elementwise kernels against plain libm math.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "quant/ops.h"

namespace quant {
namespace {

TEST(Ops, SoftmaxMatchesLibm) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0, 4);
  for (int n : {1, 7, 8, 9, 64, 1000}) {
    std::vector<float> x(n);
    for (auto& v : x) v = nd(rng);
    x[0] = -1e30f;  // a masked-out score: exactly zero weight
    std::vector<float> got = x;
    const float scale = 0.125f;
    softmax_scaled(got.data(), n, scale);
    double mx = -INFINITY, sum = 0;
    for (float v : x) mx = std::max<double>(mx, double(v) * scale);
    for (float v : x) sum += std::exp(double(v) * scale - mx);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      const double want = std::exp(double(x[i]) * scale - mx) / sum;
      EXPECT_NEAR(got[i], want, 1e-6 * want + 1e-12) << "n=" << n << " i=" << i;
      total += got[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
    if (n > 1) EXPECT_EQ(got[0], 0.0f);
  }
}

TEST(Ops, SiluMulMatchesLibmIncludingLargeInputs) {
  std::vector<float> a = {-200.0f, -90.0f, -20.0f, -1.0f, -0.0f, 0.5f, 3.0f, 20.0f, 90.0f, 200.0f, 1e-3f};
  std::vector<float> b(a.size(), 2.0f), got = a;
  silu_mul(got.data(), b.data(), static_cast<int>(a.size()));
  for (size_t i = 0; i < a.size(); ++i) {
    const double want = a[i] / (1.0 + std::exp(-double(a[i]))) * 2.0;
    EXPECT_NEAR(got[i], want, 2e-6 * std::fabs(want) + 1e-30) << a[i];
    EXPECT_TRUE(std::isfinite(got[i]));
  }
}

}  // namespace
}  // namespace quant
