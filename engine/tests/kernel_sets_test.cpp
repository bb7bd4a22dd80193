// Every kernel set this CPU can run against the scalar reference set, for every weight type and for
// tile shapes with ragged edges; the reference set against plain double-precision math on the
// dequantised weights and activations. Sets the CPU cannot run are skipped with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "ops/kernels.h"
#include "ops/matmul_internal.h"
#include "quant/blocks.h"
#include "quant/cpu_features.h"
#include "quant/half.h"
#include "quant/matmul.h"

#include "test_support.h"

namespace quant {
namespace {

struct Weights {
  std::vector<uint8_t> bytes;
  Tensor t;
  std::vector<float> dequantised;  // rows x cols
};

size_t row_bytes(GgmlType type, int cols) {
  switch (type) {
    case GgmlType::F32: return cols * 4;
    case GgmlType::F16: case GgmlType::BF16: return cols * 2;
    case GgmlType::Q8_0: return cols / 32 * sizeof(BlockQ8_0);
    case GgmlType::Q4_0: return cols / 32 * sizeof(BlockQ4_0);
    case GgmlType::Q4_1: return cols / 32 * sizeof(BlockQ4_1);
    case GgmlType::Q5_0: return cols / 32 * sizeof(BlockQ5_0);
    case GgmlType::Q5_1: return cols / 32 * sizeof(BlockQ5_1);
    case GgmlType::Q4_K: return cols / 256 * sizeof(BlockQ4_K);
    case GgmlType::Q5_K: return cols / 256 * sizeof(BlockQ5_K);
    case GgmlType::Q6_K: return cols / 256 * sizeof(BlockQ6_K);
    default: return 0;
  }
}

Weights make_weights(GgmlType type, int rows, int cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0, 1);
  Weights w;
  const size_t rb = row_bytes(type, cols);
  w.bytes.resize(rb * rows);
  w.dequantised.resize(static_cast<size_t>(rows) * cols);
  std::vector<float> f(cols);
  for (int r = 0; r < rows; ++r) {
    for (auto& v : f) v = nd(rng);
    encode_row(type, f.data(), w.bytes.data() + r * rb, cols);
  }
  w.t.name = "test";
  w.t.type = type;
  w.t.ne[0] = cols;
  w.t.ne[1] = rows;
  w.t.row_bytes = rb;
  w.t.data = w.bytes.data();
  for (int r = 0; r < rows; ++r) dequantize_row(w.t, r, &w.dequantised[static_cast<size_t>(r) * cols]);
  return w;
}

using test::randn;

// The activations as the kernels see them, decoded back to floats.
std::vector<float> decoded_activations(const QActs& a, const float* x) {
  std::vector<float> out(static_cast<size_t>(a.n_tok) * a.K);
  for (int t = 0; t < a.n_tok; ++t)
    for (int k = 0; k < a.K; ++k) {
      float v = 0;
      switch (a.fmt) {
        case ActFormat::f32: v = x[t * a.K + k]; break;
        case ActFormat::q8_32: v = a.d[t * a.ld_d + k / 32] * a.qs[t * a.ld_qs + k]; break;
        case ActFormat::q8_256: v = a.d[t * a.ld_d + k / 256] * a.qs[t * a.ld_qs + k]; break;
        case ActFormat::q8_pair: {
          const int b = k / 32, j = k % 32, p = b / 2, h = b % 2;
          const int pos = p * 64 + (j < 16 ? 0 : 32) + 16 * h + j % 16;
          v = a.bd[t * a.ld_b + b] * a.qs[t * a.ld_qs + pos];
          break;
        }
      }
      out[static_cast<size_t>(t) * a.K + k] = v;
    }
  return out;
}

const GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                           GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                           GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

bool is_float(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }
bool is_k(GgmlType t) { return t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K; }

TEST(KernelSets, ReferenceEqualsExactMathOnDecodedOperands) {
  ThreadPool pool(1);
  for (GgmlType type : kTypes) {
    for (int K : {256, 768}) {
      if (!is_k(type) && K == 768) continue;
      const int rows = 5, n_tok = 3;
      Weights w = make_weights(type, rows, K, 11);
      auto x = randn(static_cast<size_t>(n_tok) * K, 12);
      ActStorage st;
      const QActs a = quantize_activations(*kernel_set_ref(), type, x.data(), n_tok, K, st);
      auto xd = decoded_activations(a, x.data());
      std::vector<float> y(static_cast<size_t>(n_tok) * rows);
      matmul_with(*kernel_set_ref(), pool, w.t, x.data(), n_tok, y.data());
      for (int t = 0; t < n_tok; ++t)
        for (int r = 0; r < rows; ++r) {
          double exact = 0, mag = 0;
          for (int k = 0; k < K; ++k) {
            exact += double(w.dequantised[size_t(r) * K + k]) * xd[size_t(t) * K + k];
            mag += std::fabs(double(w.dequantised[size_t(r) * K + k]) * xd[size_t(t) * K + k]);
          }
          EXPECT_NEAR(y[t * rows + r], exact, 1e-5 * mag + 1e-6) << ggml_type_name(type) << " K=" << K;
        }
    }
  }
}

TEST(KernelSets, QuantisedActivationsApproximateTheFloats) {
  const int K = 512;
  auto x = randn(K, 3);
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q6_K}) {
    ActStorage st;
    const QActs a = quantize_activations(*kernel_set_ref(), type, x.data(), 1, K, st);
    auto xd = decoded_activations(a, x.data());
    for (int k = 0; k < K; ++k) EXPECT_NEAR(xd[k], x[k], 0.03) << ggml_type_name(type);
  }
}

class EverySet : public ::testing::TestWithParam<Isa> {};

TEST_P(EverySet, QuantisesActivationsExactlyLikeTheReference) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q4_K}) {
    for (int K : {96, 256, 2048}) {
      if (is_k(type) && K % 256) continue;
      const int n_tok = 3;
      auto x = randn(static_cast<size_t>(n_tok) * K, 5);
      x[7] = 0.0f;
      ActStorage s1, s2;
      const QActs a = quantize_activations(ks, type, x.data(), n_tok, K, s1);
      const QActs r = quantize_activations(*kernel_set_ref(), type, x.data(), n_tok, K, s2);
      EXPECT_EQ(0, std::memcmp(a.qs, r.qs, n_tok * a.ld_qs)) << ggml_type_name(type) << " K=" << K;
      EXPECT_EQ(0, std::memcmp(a.d, r.d, n_tok * a.ld_d * sizeof(float)));
      if (a.fmt == ActFormat::q8_32 || a.fmt == ActFormat::q8_256) {
        EXPECT_EQ(0, std::memcmp(a.bsums, r.bsums, n_tok * a.ld_bsums * 2)) << ggml_type_name(type) << " sums";
      }
      if (a.fmt == ActFormat::q8_256) {
        EXPECT_EQ(0, std::memcmp(a.qs_il, r.qs_il, n_tok * a.ld_qs)) << "interleaved copy, K=" << K;
      }
      if (a.fmt == ActFormat::q8_pair) {  // per block, and per group of 8 in the decode kernels' lane order
        EXPECT_EQ(0, std::memcmp(a.bd, r.bd, n_tok * a.ld_b * 4));
        EXPECT_EQ(0, std::memcmp(a.boff, r.boff, n_tok * a.ld_b * 4));
        EXPECT_EQ(0, std::memcmp(a.bds, r.bds, n_tok * a.ld_b * 4));
        EXPECT_EQ(0, std::memcmp(a.gd, r.gd, n_tok * a.ld_g * 4));
        EXPECT_EQ(0, std::memcmp(a.goff, r.goff, n_tok * a.ld_g * 4));
        EXPECT_EQ(0, std::memcmp(a.gds, r.gds, n_tok * a.ld_g * 4));
      }
    }
  }
}

TEST_P(EverySet, MatchesTheReferenceOnEveryTypeAndTileEdge) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  ThreadPool pool(2);
  for (GgmlType type : kTypes) {
    // Row lengths: odd block counts (nibble pairs with a zero partner), groups of 8 blocks with and
    // without leftover blocks, one and several super-blocks.
    for (int K : {96, 256, 288, 320, 1024, 2304}) {
      if (is_k(type) && K % 256) continue;
      for (int rows : {1, 3, 37}) {
        Weights w = make_weights(type, rows, K, static_cast<uint64_t>(K * 131 + rows));
        for (int n_tok : {1, 2, 5, 9, 14}) {  // 9 and 14: batch kernels, passes of 8 (AVX-512 K formats) or 4 tokens with 1 or 2 left
          auto x = randn(static_cast<size_t>(n_tok) * K, static_cast<uint64_t>(n_tok + K));
          std::vector<float> y(static_cast<size_t>(n_tok) * rows), yr(y.size());
          matmul_with(ks, pool, w.t, x.data(), n_tok, y.data());
          matmul_with(*kernel_set_ref(), pool, w.t, x.data(), n_tok, yr.data());
          for (int t = 0; t < n_tok; ++t)
            for (int r = 0; r < rows; ++r) {
              double mag = 0;
              for (int k = 0; k < K; ++k) mag += std::fabs(w.dequantised[size_t(r) * K + k] * x[size_t(t) * K + k]);
              ASSERT_NEAR(y[t * rows + r], yr[t * rows + r], 2e-5 * mag + 1e-5)
                  << isa_name(isa) << " " << ggml_type_name(type) << " K=" << K << " rows=" << rows
                  << " n_tok=" << n_tok << " at t=" << t << " r=" << r;
            }
        }
      }
    }
  }
}

// A token's result must not depend on the batch it is computed in (prompts split differently must give
// identical logits): every token of an 11-token matmul equals, bit for bit, that token computed alone; and
// a row's result must not depend on the rows around it (thread counts split the rows differently).
TEST_P(EverySet, ResultsDoNotDependOnTheBatch) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  ThreadPool pool(2);
  for (GgmlType type : kTypes) {
    // 172 (float weights only, as in stories260K's FFN): a leftover 8-step and a 4-element tail.
    for (int K : {172, 288, 2304}) {
      if (is_k(type) && K % 256) continue;
      if (K % 32 && !is_float(type)) continue;
      const int rows = 19, n_tok = 11;  // batch passes: 4 + 4 + 3, or 8 + 3 (AVX-512 K formats)
      Weights w = make_weights(type, rows, K, 77);
      auto x = randn(static_cast<size_t>(n_tok) * K, 78);
      std::vector<float> y(static_cast<size_t>(n_tok) * rows), one(rows);
      matmul_with(ks, pool, w.t, x.data(), n_tok, y.data());
      for (int t = 0; t < n_tok; ++t) {
        matmul_with(ks, pool, w.t, x.data() + static_cast<size_t>(t) * K, 1, one.data());
        for (int r = 0; r < rows; ++r)
          ASSERT_EQ(y[t * rows + r], one[r]) << isa_name(isa) << " " << ggml_type_name(type) << " K=" << K << " t=" << t;
      }
      // Nor on where its row falls in the kernels' row tiles (matrices starting one row later).
      Tensor shifted = w.t;
      shifted.ne[1] = rows - 1;
      shifted.data = w.t.data + w.t.row_bytes;
      std::vector<float> ys(static_cast<size_t>(n_tok) * (rows - 1));
      matmul_with(ks, pool, shifted, x.data(), n_tok, ys.data());
      for (int t = 0; t < n_tok; ++t)
        for (int r = 1; r < rows; ++r)
          ASSERT_EQ(ys[t * (rows - 1) + r - 1], y[t * rows + r]) << isa_name(isa) << " " << ggml_type_name(type) << " row " << r;
    }
  }
}

// Rows regrouped for decode (Q4_0: WeightLayout::q4_0_x8, Q4_K: q4_k_il) give the bits of the GGUF layout
// on every set, decode and batch kernels alike. Q4_0: rows with no full run of 8 blocks (K=96), runs only,
// and runs followed by GGUF-order blocks; Q4_K: one and several blocks.
TEST_P(EverySet, RegroupedRowsGiveTheSameBits) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  ThreadPool pool(2);
  for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_K}) {
    for (int K : {96, 256, 288, 1024, 2304}) {
      if (is_k(type) && K % 256) continue;
      for (int rows : {1, 3, 37}) {
        Weights w = make_weights(type, rows, K, static_cast<uint64_t>(K + rows));
        std::vector<uint8_t> bytes = w.bytes;
        Tensor g = w.t;
        g.data = bytes.data();
        ASSERT_TRUE(regroup_for_decode(g, bytes.data()));
        ASSERT_EQ(g.layout, type == GgmlType::Q4_0 ? WeightLayout::q4_0_x8 : WeightLayout::q4_k_il);
        EXPECT_EQ(K >= 256, bytes != w.bytes) << "K=" << K;  // Q4_0: only full runs of 8 blocks move
        EXPECT_FALSE(regroup_for_decode(g, bytes.data())) << "a regrouped tensor is left as it is";
        std::vector<float> row(K);
        for (int r = 0; r < rows; ++r) {
          dequantize_row(g, r, row.data());
          ASSERT_EQ(0, std::memcmp(row.data(), &w.dequantised[static_cast<size_t>(r) * K], K * sizeof(float))) << "K=" << K;
        }
        for (int n_tok : {1, 2, 5, 9, 14}) {
          auto x = randn(static_cast<size_t>(n_tok) * K, static_cast<uint64_t>(n_tok * 7 + K));
          std::vector<float> y(static_cast<size_t>(n_tok) * rows), yg(y.size());
          matmul_with(ks, pool, w.t, x.data(), n_tok, y.data());
          matmul_with(ks, pool, g, x.data(), n_tok, yg.data());
          ASSERT_EQ(0, std::memcmp(y.data(), yg.data(), y.size() * sizeof(float)))
              << isa_name(isa) << " " << ggml_type_name(type) << " K=" << K << " rows=" << rows << " n_tok=" << n_tok;
        }
      }
    }
  }
}

// The regrouped layout itself (kernels.h): a run's scales in the order of blocks 0 2 4 6 1 3 5 7, then the
// quants of blocks 0..7 in order; other types are not touched.
TEST(Regroup, PlacesScalesInLaneOrderThenQuantsInBlockOrder) {
  Weights w = make_weights(GgmlType::Q4_0, 1, 288, 5);  // one run + one GGUF-order block
  std::vector<uint8_t> bytes = w.bytes;
  Tensor g = w.t;
  g.data = bytes.data();
  ASSERT_TRUE(regroup_for_decode(g, bytes.data()));
  const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  for (int slot = 0; slot < 8; ++slot)
    EXPECT_EQ(0, std::memcmp(&bytes[2 * slot], &w.bytes[18 * order[slot]], 2)) << "scale slot " << slot;
  for (int b = 0; b < 8; ++b) EXPECT_EQ(0, std::memcmp(&bytes[16 + 16 * b], &w.bytes[18 * b + 2], 16)) << "block " << b;
  EXPECT_EQ(0, std::memcmp(&bytes[144], &w.bytes[144], 18)) << "the block after the run keeps its place";

  Weights q8 = make_weights(GgmlType::Q8_0, 2, 256, 6);
  std::vector<uint8_t> q8_bytes = q8.bytes;
  EXPECT_FALSE(regroup_for_decode(q8.t, q8_bytes.data()));
  EXPECT_EQ(q8.t.layout, WeightLayout::gguf);
  EXPECT_EQ(q8_bytes, q8.bytes);
}

// The interleaved Q4_K layout (kernels.h, kIl*) byte by byte, on a block whose scales and mins use all 6
// bits (values 0..63 over the 16), and back: deinterleaving restores the GGUF block.
TEST(Regroup, InterleavesQ4_KSubBlocksFourQuantsAtATime) {
  BlockQ4_K blk{};
  blk.d = 0x3c00;
  blk.dmin = 0x3800;
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = (j * 9 + 5) % 64;
    m[j] = 63 - (j * 11) % 64;
  }
  sc[3] = 63;
  m[6] = 48;
  k_pack_scales(sc, m, blk.scales);
  uint8_t q[256];  // quant of sub-block s, index v: q[32 * s + v]
  for (int i = 0; i < 256; ++i) q[i] = static_cast<uint8_t>((i * 7 + i / 32) % 16);
  for (int c = 0; c < 4; ++c)
    for (int v = 0; v < 32; ++v) blk.qs[32 * c + v] = static_cast<uint8_t>(q[64 * c + v] | q[64 * c + 32 + v] << 4);
  uint8_t il[sizeof(BlockQ4_K)], back[sizeof(BlockQ4_K)];
  interleave_q4_k_block(reinterpret_cast<const uint8_t*>(&blk), il);
  EXPECT_EQ(0, std::memcmp(il, &blk, 4)) << "d and dmin stay first";
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(il[4 + i], (sc[i] & 15) | (m[i] & 15) << 4) << "low bits, value " << i;
    EXPECT_EQ(il[12 + i % 4] >> (2 * (i / 4)) & 3, sc[i] >> 4) << "scale " << i << " high bits";
    EXPECT_EQ(il[12 + (8 + i) % 4] >> (2 * ((8 + i) / 4)) & 3, m[i] >> 4) << "min " << i << " high bits";
  }
  for (int r = 0; r < 4; ++r)
    for (int p = 0; p < 32; ++p) {
      const int s = p / 4, k = p % 4;
      EXPECT_EQ(il[16 + 32 * r + p] & 15, q[32 * s + 8 * r + k]) << "chunk " << r << " byte " << p;
      EXPECT_EQ(il[16 + 32 * r + p] >> 4, q[32 * s + 8 * r + 4 + k]) << "chunk " << r << " byte " << p;
      EXPECT_EQ(il_value(2 * r, p), 32 * s + 8 * r + k);
    }
  deinterleave_q4_k_block(il, back);
  EXPECT_EQ(0, std::memcmp(back, &blk, sizeof(BlockQ4_K)));
}

// Several matrices as one job (Q, K, V; gate, up) give the bits of each matrix run alone, also when their
// types need different activation formats (a Q4_K_M mix: Q4_K beside Q6_K, Q8_0 beside Q4_0 and F16).
TEST_P(EverySet, ManyMatricesAsOneJobMatchOneByOne) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  ThreadPool pool(2);
  const int K = 512;
  const std::vector<std::vector<GgmlType>> groups = {
      {GgmlType::Q4_K, GgmlType::Q4_K, GgmlType::Q6_K}, {GgmlType::Q8_0, GgmlType::Q8_0}, {GgmlType::Q4_0, GgmlType::F16, GgmlType::Q8_0}};
  for (const auto& types : groups) {
    std::vector<Weights> ws;
    ws.reserve(types.size());  // the tensors point into their own bytes
    for (size_t i = 0; i < types.size(); ++i) ws.push_back(make_weights(types[i], 40 + 24 * static_cast<int>(i), K, 900 + i));
    // The decode layout beside GGUF order in one job (the first Q4_K regrouped, as the CPU backend does).
    if (types[0] == GgmlType::Q4_K) {
      ASSERT_TRUE(regroup_for_decode(ws[0].t, ws[0].bytes.data()));
    }
    for (int n_tok : {1, 9}) {
      auto x = randn(static_cast<size_t>(n_tok) * K, 901);
      std::vector<const Tensor*> wp;
      std::vector<std::vector<float>> ys, alone;
      for (const Weights& w : ws) {
        wp.push_back(&w.t);
        ys.emplace_back(static_cast<size_t>(n_tok) * w.t.rows());
        alone.emplace_back(ys.back().size());
        matmul_with(ks, pool, w.t, x.data(), n_tok, alone.back().data());
      }
      std::vector<float*> yp;
      for (auto& y : ys) yp.push_back(y.data());
      matmul_many_with(ks, pool, wp.data(), static_cast<int>(wp.size()), x.data(), n_tok, yp.data());
      for (size_t i = 0; i < ws.size(); ++i)
        ASSERT_EQ(0, std::memcmp(ys[i].data(), alone[i].data(), ys[i].size() * sizeof(float)))
            << isa_name(isa) << " matrix " << i << " (" << ggml_type_name(types[i]) << ") n_tok=" << n_tok;
    }
  }
}

// A batch against few rows (a small model's prompt) is also split by tokens across the threads
// (matmul.cpp, plan_pieces): the results are those of one thread computing every token in one call.
TEST_P(EverySet, TokenSplitAcrossThreadsKeepsTheBits) {
  const Isa isa = GetParam();
  if (!isa_usable(isa)) GTEST_SKIP() << isa_name(isa) << " kernels are not usable on this CPU/OS or build";
  const KernelSet& ks = *kernel_set(isa);
  ThreadPool one(1), two(2);
  for (GgmlType type : {GgmlType::F32, GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K}) {
    const int K = is_k(type) ? 256 : 64, rows = 40;  // 2 row chunks: fewer than 4 per thread
    Weights w = make_weights(type, rows, K, 77);
    for (int n_tok : {37, 64, 131}) {
      auto x = randn(static_cast<size_t>(n_tok) * K, static_cast<uint64_t>(n_tok));
      std::vector<float> y1(static_cast<size_t>(n_tok) * rows), y2(y1.size(), -1.0f);
      matmul_with(ks, one, w.t, x.data(), n_tok, y1.data());
      matmul_with(ks, two, w.t, x.data(), n_tok, y2.data());
      ASSERT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)))
          << isa_name(isa) << " " << ggml_type_name(type) << " n_tok=" << n_tok;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, EverySet, ::testing::Values(Isa::scalar, Isa::avx2, Isa::avx_vnni, Isa::avx512_vnni),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

TEST(KernelSets, SelectionIsUsableAndNamed) {
  EXPECT_TRUE(isa_usable(selected_isa()));
  EXPECT_FALSE(matmul_kernels_name().empty());
  EXPECT_TRUE(isa_usable(Isa::scalar));
  // A set the CPU reports without OS support is never usable (XGETBV check).
  const CpuFeatures& f = cpu_features();
  if (!f.os_zmm) {
    EXPECT_FALSE(isa_usable(Isa::avx512_vnni));
  }
  if (!f.os_ymm) {
    EXPECT_FALSE(isa_usable(Isa::avx2));
  }
}

}  // namespace
}  // namespace quant
