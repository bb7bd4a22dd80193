// SIMD kernels against their scalar references, and the half/bfloat16 conversions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/dot.h"
#include "quant/half.h"
#include "test_support.h"

namespace quant {
namespace {

using test::randn;

TEST(Half, RoundTripsEveryHalfValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(fp32_to_fp16(f), h) << std::hex << h;
  }
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // halfway to the next step rounds up to infinity
  EXPECT_EQ(fp32_to_fp16(1.0f + 1.0f / 2048), 0x3c00);  // tie to even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3.0f / 2048), 0x3c02);
  EXPECT_EQ(fp32_to_fp16(5.96e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_FLOAT_EQ(bf16_to_fp32(fp32_to_bf16(3.140625f)), 3.140625f);
}

class DotKernels : public ::testing::TestWithParam<int> {};

TEST_P(DotKernels, MatchScalarReferences) {
  const int n = GetParam();
  auto a = randn(n, 1), b = randn(n, 2);
  EXPECT_NEAR(dot_f32(a.data(), b.data(), n), dot_f32_ref(a.data(), b.data(), n), 1e-4 * n);
  std::vector<uint16_t> h(n), bf(n);
  for (int i = 0; i < n; ++i) { h[i] = fp32_to_fp16(a[i]); bf[i] = fp32_to_bf16(a[i]); }
  EXPECT_NEAR(dot_f16_f32(h.data(), b.data(), n), dot_f16_f32_ref(h.data(), b.data(), n), 1e-4 * n);
  EXPECT_NEAR(dot_bf16_f32(bf.data(), b.data(), n), dot_bf16_f32_ref(bf.data(), b.data(), n), 1e-4 * n);
  if (n % kQK == 0) {
    std::vector<BlockQ8_0> qa(n / kQK), qb(n / kQK);
    std::vector<BlockQ4_0> q4(n / kQK);
    quantize_row_q8_0(a.data(), qa.data(), n);
    quantize_row_q8_0(b.data(), qb.data(), n);
    quantize_row_q4_0(a.data(), q4.data(), n);
    EXPECT_NEAR(dot_q8_0_q8_0(qa.data(), qb.data(), n), dot_q8_0_q8_0_ref(qa.data(), qb.data(), n), 1e-3 * n);
    EXPECT_NEAR(dot_q4_0_q8_0(q4.data(), qb.data(), n), dot_q4_0_q8_0_ref(q4.data(), qb.data(), n), 1e-3 * n);
    // The quantised dot approximates the float one.
    const float exact = dot_f32_ref(a.data(), b.data(), n);
    EXPECT_NEAR(dot_q8_0_q8_0(qa.data(), qb.data(), n), exact, 0.05 * std::sqrt(float(n)));
    EXPECT_NEAR(dot_q4_0_q8_0(q4.data(), qb.data(), n), exact, 0.5 * std::sqrt(float(n)));
  }
  std::vector<float> y = b, y_ref = b;
  axpy_f32(0.37f, a.data(), y.data(), n);
  for (int i = 0; i < n; ++i) y_ref[i] += 0.37f * a[i];
  for (int i = 0; i < n; ++i) EXPECT_NEAR(y[i], y_ref[i], 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Lengths, DotKernels, ::testing::Values(1, 7, 8, 32, 64, 100, 256, 2048));

TEST(Blocks, Q4_0DequantisesToNibblesTimesScale) {
  BlockQ4_0 b{};
  b.d = fp32_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row_q4_0(&b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_FLOAT_EQ(y[j], 0.5f * (j - 8));
    EXPECT_FLOAT_EQ(y[j + 16], 0.5f * (7 - j));
  }
}

}  // namespace
}  // namespace quant
