// turbo_kv_4b's integer scores: the 8-bit level grid, the 8-bit query, AVX2 against the scalar kernel
// (the same integers and float steps, so the same bits), and how far the scores are from exact dots.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>

#include "kv/codecs.h"
#include "kv/lloyd_max.h"
#include "kv/turbo4_int8.h"
#include "quant/half.h"
#include "test_support.h"

namespace quant {
namespace {

using test::randn;

double dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

TEST(Turbo4Int8, GridKeepsTheLloydMaxLevelsToHalfAStep) {
  for (int dim : {8, 64, 128}) {
    const kv::Codebook& cb = kv::sphere_codebook(4, dim);
    const kv::Turbo4Levels g = kv::turbo4_grid(&cb.levels[8]);
    EXPECT_EQ(g.level[7], 127) << "the largest level is the top of the grid";
    for (int m = 0; m < 8; ++m) {
      EXPECT_GE(g.level[m], 1);
      EXPECT_EQ(g.level[8 + m], -g.level[m]) << "code 8 + m is the negative of code m";
      EXPECT_LE(std::fabs(g.level[m] * g.step - cb.levels[8 + m]), 0.5 * g.step + 1e-9) << "dim " << dim << " m " << m;
      if (m > 0) {
        EXPECT_GT(g.level[m], g.level[m - 1]);
      }
    }
  }
}

TEST(Turbo4Int8, QueryPositionsArePermutationsOfEachBlock) {
  for (int dim : {32, 64, 96, 128}) {
    std::set<int> seen;
    for (int j = 0; j < dim; ++j) seen.insert(kv::turbo4_query_position(dim, j));
    EXPECT_EQ(seen.size(), static_cast<size_t>(dim));
    EXPECT_EQ(*seen.begin(), 0);
    EXPECT_EQ(*seen.rbegin(), dim - 1);
  }
  EXPECT_EQ(kv::turbo4_query_position(64, 1), 32) << "odd coordinates follow the 32 even ones";
  EXPECT_EQ(kv::turbo4_query_position(96, 65), 64 + 16) << "a last chunk of 32: 16 even, then 16 odd";
}

// Whole 32s of coordinates per block score in integers; smaller blocks (stories260K's head dimension 8)
// keep exact levels and float scores: the query is prepared as floats, and scores match exact dots.
TEST(Turbo4Int8, IntegerScoresNeedBlocksOfWhole32s) {
  for (int dim : {32, 64, 96, 128, 160, 256})
    EXPECT_EQ(make_kv_codec(KvType::turbo_kv_4b, dim, 1)->prepared_floats(), (dim + 127) / 128 + dim / 4) << dim;
  for (int dim : {8, 16, 40, 80})
    EXPECT_EQ(make_kv_codec(KvType::turbo_kv_4b, dim, 1)->prepared_floats(), dim) << dim;
}

TEST(Turbo4Int8, QueryIsRoundedToHalfAStepOfItsBlockMaximum) {
  const std::vector<kv::BlockSpec> blocks = {{0, 128, 0}, {128, 64, 66}};
  const kv::Codebook& cb = kv::sphere_codebook(4, 128);
  const std::vector<kv::Turbo4Levels> levels = {kv::turbo4_grid(&cb.levels[8]), kv::turbo4_grid(&cb.levels[8])};
  auto x = randn(192, 3);
  x[5] = -9;  // block 0's largest magnitude, negative
  std::vector<float> prepared(kv::turbo4_prepared_floats(blocks, 192));
  kv::turbo4_prepare_query(blocks, levels, x.data(), prepared.data());
  const auto* q8 = reinterpret_cast<const int8_t*>(prepared.data() + 2);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const kv::BlockSpec& s = blocks[b];
    float amax = 0;
    for (int j = 0; j < s.dim; ++j) amax = std::max(amax, std::fabs(x[s.offset + j]));
    const float q_step = amax / 127;
    EXPECT_FLOAT_EQ(prepared[b], levels[b].step * q_step);
    for (int j = 0; j < s.dim; ++j) {
      const int v = q8[s.offset + kv::turbo4_query_position(s.dim, j)];
      EXPECT_LE(std::abs(v), 127);
      EXPECT_LE(std::fabs(v * q_step - x[s.offset + j]), 0.5f * q_step * 1.0001f) << "block " << b << " coord " << j;
    }
  }
  EXPECT_EQ(q8[kv::turbo4_query_position(128, 5)], -127);
}

// Every kernel's query preparation (the build's baseline code for scalar, an AVX2 region for the others)
// gives the same bytes, ties to even included: coordinates at k + 0.5 steps of the block maximum.
TEST(Turbo4Int8, EveryKernelPreparesTheSameQuery) {
  const std::vector<kv::BlockSpec> blocks = {{0, 128, 0}, {128, 64, 66}, {192, 32, 100}};
  const kv::Codebook& cb = kv::sphere_codebook(4, 128);
  const std::vector<kv::Turbo4Levels> levels(3, kv::turbo4_grid(&cb.levels[8]));
  const int qs = kv::turbo4_prepared_floats(blocks, 224);
  for (int trial = 0; trial < 4; ++trial) {
    auto x = randn(224, 10 + trial);
    x[0] = 127;  // block 0: a step of exactly 1, so k + 0.5 is a tie
    for (int j = 1; j < 40; ++j) x[j] = static_cast<float>(j % 2 ? j - 64 : 63 - j) + 0.5f;
    if (trial == 2) x[130] = std::numeric_limits<float>::infinity();
    if (trial == 3) x[200] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> want(qs), got(qs);
    kv::turbo4_prepare_query(Isa::scalar, blocks, levels, x.data(), want.data());
    for (Isa k : kv::turbo4_kernels()) {
      std::fill(got.begin(), got.end(), -1.0f);
      kv::turbo4_prepare_query(k, blocks, levels, x.data(), got.data());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), qs * sizeof(float)), 0) << "trial " << trial << " kernel " << static_cast<int>(k);
    }
  }
}

// Stores random keys with a turbo_kv_4b codec and scores n_q random queries against them.
struct Scored {
  std::vector<float> keys, decoded, queries, scores;
};
Scored score_random(Isa isa, int dim, int n_q, int n) {
  auto c = make_kv_codec(KvType::turbo_kv_4b, dim, 99, isa);
  Scored r;
  r.keys = randn(static_cast<size_t>(n) * dim, 1);
  r.queries = randn(static_cast<size_t>(n_q) * dim, 2);
  const size_t bpv = c->bytes_per_vector();
  std::vector<uint8_t> rows(bpv * n);
  r.decoded.resize(r.keys.size());
  for (int i = 0; i < n; ++i) {
    c->encode(&r.keys[static_cast<size_t>(i) * dim], &rows[i * bpv]);
    c->decode(&rows[i * bpv], &r.decoded[static_cast<size_t>(i) * dim]);
  }
  const int qs = c->prepared_floats();
  std::vector<float> qp(static_cast<size_t>(n_q) * qs);
  for (int h = 0; h < n_q; ++h) c->prepare_query(&r.queries[static_cast<size_t>(h) * dim], &qp[static_cast<size_t>(h) * qs]);
  r.scores.resize(static_cast<size_t>(n_q) * n);
  c->score(qp.data(), n_q, rows.data(), bpv, n, r.scores.data());
  return r;
}

// Random codes and norms in the turbo_kv_4b layout, random prepared queries: every compiled kernel
// (AVX2, VNNI) gives the scalar kernel's bits (integer sums are exact, the float steps the same).
TEST(Turbo4Int8, EveryKernelGivesTheScalarBits) {
  const auto kernels = kv::turbo4_kernels();
  if (kernels.size() == 1) GTEST_SKIP() << "this CPU runs only the scalar kernel";
  std::mt19937_64 rng(5);
  for (int dim : {32, 64, 96, 128, 160, 256}) {
    std::vector<kv::BlockSpec> blocks;
    std::vector<kv::Turbo4Levels> levels;
    size_t bytes = 0;
    for (int offset = 0; offset < dim; offset += 128) {
      const int len = std::min(128, dim - offset);
      blocks.push_back({offset, len, bytes});
      levels.push_back(kv::turbo4_grid(&kv::sphere_codebook(4, len).levels[8]));
      bytes += 2 + len / 2;
    }
    const int n = 29;
    std::vector<uint8_t> rows(bytes * n);
    for (auto& r : rows) r = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> norm(0.1f, 30.0f);
    for (int i = 0; i < n; ++i)
      for (const auto& s : blocks) kv::store_u16(&rows[i * bytes + s.bytes], fp32_to_fp16(norm(rng)));
    for (int n_q : {1, 3, 4, 5, 8, 11, 16}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + ", heads " + std::to_string(n_q));
      const int qs = kv::turbo4_prepared_floats(blocks, dim);
      std::vector<float> prepared(static_cast<size_t>(n_q) * qs);
      const auto q = randn(static_cast<size_t>(n_q) * dim, rng());
      for (int h = 0; h < n_q; ++h) kv::turbo4_prepare_query(blocks, levels, &q[static_cast<size_t>(h) * dim], &prepared[static_cast<size_t>(h) * qs]);
      std::vector<float> want(static_cast<size_t>(n_q) * n), got(want.size());
      kv::turbo4_scores(Isa::scalar, blocks, levels, prepared.data(), qs, n_q, rows.data(), bytes, n, want.data());
      for (Isa k : kernels) {
        std::fill(got.begin(), got.end(), -1.0f);
        kv::turbo4_scores(k, blocks, levels, prepared.data(), qs, n_q, rows.data(), bytes, n, got.data());
        EXPECT_EQ(got, want) << "kernel " << static_cast<int>(k);
      }
    }
  }
}

// The 8-bit query costs about 1e-3 of |q||k| per score (half a step of the block maximum, spread over
// the key's coordinates), several times below the 4-bit keys' own error.
TEST(Turbo4Int8, ScoresAreCloseToExactDotsWithTheStoredKeys) {
  for (int dim : {64, 128}) {
    const int n = 200, n_q = 8;
    const Scored r = score_random(best_isa(), dim, n_q, n);
    double sq_err = 0, sq_key_err = 0;
    for (int h = 0; h < n_q; ++h)
      for (int i = 0; i < n; ++i) {
        const float* q = &r.queries[static_cast<size_t>(h) * dim];
        const float* k = &r.keys[static_cast<size_t>(i) * dim];
        const float* kd = &r.decoded[static_cast<size_t>(i) * dim];
        const double scale = std::sqrt(dot(q, q, dim) * dot(k, k, dim));
        const double err = (r.scores[static_cast<size_t>(h) * n + i] - dot(q, kd, dim)) / scale;
        const double key_err = (dot(q, kd, dim) - dot(q, k, dim)) / scale;
        sq_err += err * err;
        sq_key_err += key_err * key_err;
      }
    const double rms = std::sqrt(sq_err / (n * n_q)), key_rms = std::sqrt(sq_key_err / (n * n_q));
    EXPECT_LT(rms, 2e-3) << "dim " << dim;
    EXPECT_GT(rms, 1e-5) << "dim " << dim << ": the query is quantised, so scores cannot be exact";
    EXPECT_LT(rms, 0.2 * key_rms) << "dim " << dim << ": the query's rounding must stay well below the keys' own";
  }
}

}  // namespace
}  // namespace quant
