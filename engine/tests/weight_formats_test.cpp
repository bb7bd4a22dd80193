// Dequantisation of every weight format against blocks whose values were worked out by hand from the
// GGUF definitions (literal expectations), plus quantise/dequantise round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/error.h"
#include "quant/half.h"
#include "quant/matmul.h"
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

// One weight type as the loader gives it: rows of GGUF bytes, and the format's own decoder (the reference
// dequantize_row must match, bit for bit).
struct TypeCase {
  GgmlType type;
  size_t block_bytes;
  void (*quantize)(const float* x, uint8_t* out, int n);  // n floats -> n / block elements of blocks
  void (*reference)(const uint8_t* in, float* y, int n);
};

template <class Block, void (*Q)(const float*, Block*, int), void (*DQ)(const Block*, float*, int)>
TypeCase block_case(GgmlType type) {
  return {type, sizeof(Block), [](const float* x, uint8_t* out, int n) { Q(x, reinterpret_cast<Block*>(out), n); },
          [](const uint8_t* in, float* y, int n) { DQ(reinterpret_cast<const Block*>(in), y, n); }};
}

template <uint16_t (*Encode)(float), float (*Decode)(uint16_t)>
TypeCase half_case(GgmlType type) {
  auto encode = [](const float* x, uint8_t* out, int n) {
    for (int i = 0; i < n; ++i) {
      const uint16_t h = Encode(x[i]);
      std::memcpy(out + 2 * i, &h, 2);
    }
  };
  auto decode = [](const uint8_t* in, float* y, int n) {
    for (int i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, in + 2 * i, 2);
      y[i] = Decode(h);
    }
  };
  return {type, 2, encode, decode};
}

// Every type dequantize_row decodes (the loader's weight types), with its reference decoder.
std::vector<TypeCase> every_weight_type() {
  return {
      {GgmlType::F32, 4, [](const float* x, uint8_t* out, int n) { std::memcpy(out, x, 4 * n); },
       [](const uint8_t* in, float* y, int n) { std::memcpy(y, in, 4 * n); }},
      half_case<fp32_to_fp16, fp16_to_fp32>(GgmlType::F16),
      half_case<fp32_to_bf16, bf16_to_fp32>(GgmlType::BF16),
      block_case<BlockQ8_0, quantize_row_q8_0, dequantize_row_q8_0>(GgmlType::Q8_0),
      block_case<BlockQ4_0, quantize_row_q4_0, dequantize_row_q4_0>(GgmlType::Q4_0),
      block_case<BlockQ4_1, quantize_row_q4_1, dequantize_row_q4_1>(GgmlType::Q4_1),
      block_case<BlockQ5_0, quantize_row_q5_0, dequantize_row_q5_0>(GgmlType::Q5_0),
      block_case<BlockQ5_1, quantize_row_q5_1, dequantize_row_q5_1>(GgmlType::Q5_1),
      block_case<BlockQ4_K, quantize_row_q4_k, dequantize_row_q4_k>(GgmlType::Q4_K),
      block_case<BlockQ5_K, quantize_row_q5_k, dequantize_row_q5_k>(GgmlType::Q5_K),
      block_case<BlockQ6_K, quantize_row_q6_k, dequantize_row_q6_k>(GgmlType::Q6_K),
  };
}

// Three rows of 512 random values in the case's encoding; `bytes` must outlive the tensor.
Tensor three_rows(const TypeCase& c, std::vector<uint8_t>& bytes) {
  constexpr int kCols = 512, kRows = 3;
  Tensor t;
  t.name = std::string(ggml_type_name(c.type));
  t.type = c.type;
  t.ne[0] = kCols;
  t.ne[1] = kRows;
  const auto info = ggml_type_info(static_cast<uint32_t>(c.type));
  t.row_bytes = kCols / info->block_elems * info->block_bytes;
  bytes.assign(t.row_bytes * kRows, 0);
  std::mt19937 rng(static_cast<uint32_t>(c.type) + 1);
  std::normal_distribution<float> nd(0, 1);
  std::vector<float> x(kCols);
  for (int r = 0; r < kRows; ++r) {
    for (auto& v : x) v = nd(rng);
    c.quantize(x.data(), bytes.data() + r * t.row_bytes, kCols);
  }
  t.data = bytes.data();
  return t;
}

// Each row of `t` (any layout) decoded by dequantize_row equals the reference decoding of `gguf_bytes`.
void expect_rows_match_reference(const TypeCase& c, const Tensor& t, const std::vector<uint8_t>& gguf_bytes) {
  std::vector<float> got(t.cols()), want(t.cols());
  for (int64_t r = 0; r < t.rows(); ++r) {
    dequantize_row(t, r, got.data());
    c.reference(gguf_bytes.data() + r * t.row_bytes, want.data(), static_cast<int>(t.cols()));
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << t.name << " row " << r;
  }
}

TEST(WeightFormats, DequantizeRowDispatchesEveryType) {
  const auto cases = every_weight_type();
  for (const TypeCase& c : cases) {
    std::vector<uint8_t> bytes;
    const Tensor t = three_rows(c, bytes);
    ASSERT_EQ(t.row_bytes % c.block_bytes, 0u) << t.name;
    expect_rows_match_reference(c, t, bytes);
  }
  // Every other type the GGUF reader knows is refused by name, never decoded as something else.
  for (uint32_t id = 0; id < 64; ++id) {
    const auto info = ggml_type_info(id);
    if (!info || std::any_of(cases.begin(), cases.end(), [&](const TypeCase& c) { return c.type == info->type; }))
      continue;
    Tensor t;
    t.name = "w";
    t.type = info->type;
    t.ne[0] = info->block_elems;
    std::vector<uint8_t> block(info->block_bytes);
    t.row_bytes = block.size();
    t.data = block.data();
    std::vector<float> y(t.ne[0]);
    try {
      dequantize_row(t, 0, y.data());
      ADD_FAILURE() << info->name << " decoded without a reference in every_weight_type()";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(info->name)), std::string::npos) << e.what();
    }
  }
}

TEST(WeightFormats, DequantizeRowReadsRegroupedLayoutsAsGguf) {
  std::vector<GgmlType> regrouped_types;
  for (const TypeCase& c : every_weight_type()) {
    std::vector<uint8_t> gguf_bytes;
    const Tensor gguf = three_rows(c, gguf_bytes);
    std::vector<uint8_t> regrouped_bytes = gguf_bytes;
    Tensor regrouped = gguf;
    regrouped.data = regrouped_bytes.data();
    if (!regroup_for_decode(regrouped, regrouped_bytes.data())) continue;
    SCOPED_TRACE(regrouped.name);
    ASSERT_NE(regrouped.layout, WeightLayout::gguf);
    ASSERT_NE(regrouped_bytes, gguf_bytes) << "the layout did not move any byte";
    expect_rows_match_reference(c, regrouped, gguf_bytes);
    regrouped_types.push_back(c.type);
  }
  EXPECT_EQ(regrouped_types, (std::vector<GgmlType>{GgmlType::Q4_0, GgmlType::Q4_K})) << "the layouts of tensor.h";
}

}  // namespace
}  // namespace quant
