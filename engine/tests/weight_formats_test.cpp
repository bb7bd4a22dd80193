// Dequantisation of every weight format against blocks whose values were worked out by hand from the
// GGUF definitions (literal expectations), plus quantise/dequantise round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/tensor.h"

namespace quant {
namespace {

constexpr uint16_t kHalf = 0x3800;  // 0.5 in fp16
constexpr uint16_t kOne = 0x3c00;   // 1.0
constexpr uint16_t kMinusTwo = 0xc000;

TEST(WeightFormats, Q4_1IsScaleTimesNibblePlusMin) {
  BlockQ4_1 b{};
  b.d = kHalf;
  b.m = kMinusTwo;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float y[32];
  dequantize_row_q4_1(&b, y, 32);
  EXPECT_EQ(y[0], -2.0f);    // 0.5*0 - 2
  EXPECT_EQ(y[5], 0.5f);     // 0.5*5 - 2
  EXPECT_EQ(y[16], 5.5f);    // element 16 = high nibble of byte 0 = 15: 7.5 - 2
  EXPECT_EQ(y[31], -2.0f);   // high nibble of byte 15 = 0
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * j - 2.0f);
    EXPECT_EQ(y[j + 16], 0.5f * (15 - j) - 2.0f);
  }
}

TEST(WeightFormats, Q5_0TakesTheFifthBitFromQh) {
  BlockQ5_0 b{};
  b.d = kHalf;
  const uint32_t qh = 0x80010003u;  // bits 0, 1, 16, 31
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | j << 4);
  float y[32];
  dequantize_row_q5_0(&b, y, 32);
  EXPECT_EQ(y[0], 0.0f);     // q = 0 + 16 -> (16 - 16) * 0.5
  EXPECT_EQ(y[1], 0.5f);     // q = 1 + 16
  EXPECT_EQ(y[2], -7.0f);    // q = 2 -> (2 - 16) * 0.5
  EXPECT_EQ(y[16], 0.0f);    // high nibble of byte 0 = 0, bit 16 set
  EXPECT_EQ(y[17], -7.5f);   // q = 1
  EXPECT_EQ(y[31], 7.5f);    // q = 15 + 16 = 31 -> 15 * 0.5
}

TEST(WeightFormats, Q5_1IsScaleTimesFiveBitsPlusMin) {
  BlockQ5_1 b{};
  b.d = kOne;
  b.m = kMinusTwo;
  const uint32_t qh = 0x00020004u;  // bits 2 and 17
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(3 | 7 << 4);
  float y[32];
  dequantize_row_q5_1(&b, y, 32);
  EXPECT_EQ(y[0], 1.0f);   // 3 - 2
  EXPECT_EQ(y[2], 17.0f);  // 3 + 16 - 2
  EXPECT_EQ(y[16], 5.0f);  // 7 - 2
  EXPECT_EQ(y[17], 21.0f); // 7 + 16 - 2
}

// sc = {1, 2, 3, 4, 17, 33, 49, 63}, m = {0, 1, 2, 3, 20, 36, 52, 60}, packed by hand.
const uint8_t kKScales[12] = {65, 130, 195, 196, 64, 129, 194, 195, 65, 65, 65, 207};

TEST(WeightFormats, KScalesUnpackToSixBits) {
  const int sc[8] = {1, 2, 3, 4, 17, 33, 49, 63}, m[8] = {0, 1, 2, 3, 20, 36, 52, 60};
  for (int j = 0; j < 8; ++j) {
    int s, mm;
    k_scale_min(kKScales, j, s, mm);
    EXPECT_EQ(s, sc[j]) << j;
    EXPECT_EQ(mm, m[j]) << j;
  }
}

TEST(WeightFormats, Q4_KIsSubScaleTimesNibbleMinusSubMin) {
  BlockQ4_K b{};
  b.d = kOne;
  b.dmin = kHalf;
  std::memcpy(b.scales, kKScales, 12);
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i % 16) | (15 - i % 16) << 4);
  float y[256];
  dequantize_row_q4_k(&b, y, 256);
  EXPECT_EQ(y[0], 0.0f);        // chunk 0 low, q 0: 1*0 - 0.5*0
  EXPECT_EQ(y[5], 5.0f);        // 1*5 - 0
  EXPECT_EQ(y[32], 29.5f);      // chunk 0 high, q 15, sc 2, m 1: 30 - 0.5
  EXPECT_EQ(y[67], 8.0f);       // chunk 1 low, q 3, sc 3, m 2: 9 - 1
  EXPECT_EQ(y[161], 444.0f);    // chunk 2 high, q 14, sc 33, m 36: 462 - 18
  EXPECT_EQ(y[202], 464.0f);    // chunk 3 low, q 10, sc 49, m 52: 490 - 26
  EXPECT_EQ(y[239], -30.0f);    // chunk 3 high, q 0, sc 63, m 60
}

TEST(WeightFormats, Q5_KAddsSixteenFromQh) {
  BlockQ5_K b{};
  b.d = kOne;
  b.dmin = kHalf;
  std::memcpy(b.scales, kKScales, 12);
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i % 16) | (15 - i % 16) << 4);
  for (int l = 0; l < 32; ++l) b.qh[l] = static_cast<uint8_t>(l);
  float y[256];
  dequantize_row_q5_k(&b, y, 256);
  EXPECT_EQ(y[5], 21.0f);     // chunk 0 low, l 5: qh bit 0 set -> q 21
  EXPECT_EQ(y[37], 19.5f);    // chunk 0 high, l 5: bit 1 clear -> q 10, sc 2, m 1: 20 - 0.5
  EXPECT_EQ(y[70], 65.0f);    // chunk 1 low, l 6: bit 2 set -> q 22, sc 3, m 2: 66 - 1
  EXPECT_EQ(y[144], 262.0f);  // chunk 2 low, l 16: bit 4 set -> q 16, sc 17, m 20: 272 - 10
  EXPECT_EQ(y[255], -30.0f);  // chunk 3 high, l 31: bit 7 clear, q 0, m 60
}

TEST(WeightFormats, Q6_KIsScaleTimesSixBitsMinusThirtyTwo) {
  BlockQ6_K b{};
  b.d = kHalf;
  for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<int8_t>(i - 8);
  for (int k = 0; k < 128; ++k) b.ql[k] = static_cast<uint8_t>((k * 37 + 11) & 0xff);
  for (int k = 0; k < 64; ++k) b.qh[k] = static_cast<uint8_t>((k * 7 + 3) & 0xff);
  float y[256];
  dequantize_row_q6_k(&b, y, 256);
  // Worked out from the definition (blocks.h), e.g. y[0]: ql 11, qh 3 -> q = 11 | 3<<4 = 59 - 32 = 27,
  // scale -8: 0.5 * -8 * 27 = -108; y[255]: ql[127] = 102 -> 6, qh[63] = 188 -> 2, q = 38 - 32 = 6,
  // scale 7: 21.
  const std::pair<int, float> expected[] = {{0, -108.0f}, {1, -0.0f},  {40, -9.0f},  {70, -28.0f},
                                            {100, 29.0f}, {127, -9.0f}, {150, -3.5f}, {200, -18.0f},
                                            {255, 21.0f}};
  for (auto [i, v] : expected) EXPECT_EQ(y[i], v) << i;
}

// Quantising random data and decoding it again stays within each format's step size.
template <class Block>
void round_trip(void (*q)(const float*, Block*, int), void (*dq)(const Block*, float*, int), int block, float tol) {
  const int n = 4 * 256;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0, 1);
  std::vector<float> x(n), y(n);
  for (auto& v : x) v = nd(rng);
  std::vector<Block> b(n / block);
  q(x.data(), b.data(), n);
  dq(b.data(), y.data(), n);
  double err = 0, ref = 0;
  for (int i = 0; i < n; ++i) { err += (x[i] - y[i]) * (x[i] - y[i]); ref += x[i] * x[i]; }
  EXPECT_LT(std::sqrt(err / ref), tol);
}

TEST(WeightFormats, QuantiseThenDequantiseIsClose) {
  round_trip<BlockQ4_0>(quantize_row_q4_0, dequantize_row_q4_0, 32, 0.15f);
  round_trip<BlockQ4_1>(quantize_row_q4_1, dequantize_row_q4_1, 32, 0.15f);
  round_trip<BlockQ5_0>(quantize_row_q5_0, dequantize_row_q5_0, 32, 0.08f);
  round_trip<BlockQ5_1>(quantize_row_q5_1, dequantize_row_q5_1, 32, 0.08f);
  round_trip<BlockQ8_0>(quantize_row_q8_0, dequantize_row_q8_0, 32, 0.01f);
  round_trip<BlockQ4_K>(quantize_row_q4_k, dequantize_row_q4_k, 256, 0.15f);
  round_trip<BlockQ5_K>(quantize_row_q5_k, dequantize_row_q5_k, 256, 0.08f);
  round_trip<BlockQ6_K>(quantize_row_q6_k, dequantize_row_q6_k, 256, 0.04f);
}

TEST(WeightFormats, DequantizeRowDispatchesEveryType) {
  BlockQ6_K b{};
  b.d = kOne;
  b.scales[0] = 2;
  b.ql[0] = 5;  // element 0: q = 5 -> 1 * 2 * (5 - 32)
  Tensor t;
  t.type = GgmlType::Q6_K;
  t.ne[0] = 256;
  t.row_bytes = sizeof b;
  t.data = reinterpret_cast<const uint8_t*>(&b);
  float y[256];
  dequantize_row(t, 0, y);
  EXPECT_EQ(y[0], -54.0f);
}

}  // namespace
}  // namespace quant
