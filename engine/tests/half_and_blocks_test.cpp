// The half-precision conversions and the Q4_0 block layout.
#include <gtest/gtest.h>

#include <cmath>

#include "quant/blocks.h"
#include "quant/half.h"

namespace quant {
namespace {

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
