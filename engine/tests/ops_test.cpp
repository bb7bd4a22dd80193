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

}  // namespace
}  // namespace quant
