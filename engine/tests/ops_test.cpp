// Vectorised elementwise kernels against plain libm math.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "quant/ops.h"

namespace quant {
namespace {

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

TEST(Ops, AddBiasAddsTheBiasToEveryRow) {
  std::vector<float> x = {1, 2, 3, 10, 20, 30};
  const float bias[3] = {0.5f, -1, 4};
  add_bias(x.data(), bias, 2, 3);
  EXPECT_EQ(x, (std::vector<float>{1.5f, 1, 7, 10.5f, 19, 34}));
}

}  // namespace
}  // namespace quant
