// Every KV codec at every head dimension: stored sizes, fused scores and value sums against
// decode-then-dot, SIMD kernels against their scalar references, and llama.cpp block compatibility.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>

#include "kv/codecs.h"
#include "quant/blocks.h"
#include "quant/error.h"

namespace quant {
namespace {

const int kDims[] = {8, 64, 80, 96, 128, 256};

// Key-like vectors: Gaussian, with one large channel and a per-vector scale, like real keys.
std::vector<float> key_like(int n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::uniform_real_distribution<float> s(0.2f, 5.0f);
  std::vector<float> v(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    const float scale = s(rng);
    for (int j = 0; j < dim; ++j) v[static_cast<size_t>(i) * dim + j] = scale * g(rng) * (j == dim / 3 ? 8.0f : 1.0f);
  }
  return v;
}

double dot(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

struct Stored {
  std::vector<uint8_t> rows;
  std::vector<float> decoded;  // what decode() gives back
};

Stored store(const KvCodec& c, const std::vector<float>& x, int n) {
  Stored s;
  const size_t bpv = c.bytes_per_vector();
  s.rows.resize(bpv * n);
  s.decoded.resize(static_cast<size_t>(n) * c.dim());
  for (int i = 0; i < n; ++i) {
    c.encode(&x[static_cast<size_t>(i) * c.dim()], &s.rows[i * bpv]);
    c.decode(&s.rows[i * bpv], &s.decoded[static_cast<size_t>(i) * c.dim()]);
  }
  return s;
}

using TypeDim = std::tuple<KvType, int>;
class EveryCodec : public ::testing::TestWithParam<TypeDim> {};

// Several query heads share one pass over the rows (as in grouped-query attention): 1, 4, 5, 8 and 11
// heads cover the kernels' 8-head, 4-head and leftover paths.
TEST_P(EveryCodec, FusedScoreAndValueSumMatchDecodeThenDot) {
  const auto [type, dim] = GetParam();
  const int n = 37;
  for (Isa isa : {Isa::scalar, Isa::avx2}) {
    if (!isa_available(isa)) continue;
    auto c = make_kv_codec(type, dim, 1234, isa);
    const auto x = key_like(n, dim, 7);
    const Stored s = store(*c, x, n);
    for (int n_q : {1, 4, 5, 8, 11}) {
      SCOPED_TRACE(std::string(isa == Isa::avx2 ? "avx2" : "scalar") + ", heads " + std::to_string(n_q));
      const auto q = key_like(n_q, dim, 99);
      const int qs = c->prepared_floats();
      std::vector<float> qp(static_cast<size_t>(n_q) * qs), scores(static_cast<size_t>(n_q) * n);
      for (int h = 0; h < n_q; ++h) c->prepare_query(&q[static_cast<size_t>(h) * dim], &qp[static_cast<size_t>(h) * qs]);
      c->score(qp.data(), n_q, s.rows.data(), c->bytes_per_vector(), n, scores.data());
      for (int h = 0; h < n_q; ++h) {
        const float* qh = &q[static_cast<size_t>(h) * dim];
        for (int i = 0; i < n; ++i) {
          const float* xi = &s.decoded[static_cast<size_t>(i) * dim];
          // turbo_kv_4b with blocks of whole 32s scores an 8-bit copy of the query (turbo4_int8.h): each
          // coordinate is off by at most half a step, |q_b| / 254 per block of <= 128 coordinates, so
          // |error| <= |q| |x| sqrt(128) / 254.
          const bool int8_query = type == KvType::turbo_kv_4b && dim % 32 == 0;
          const double rel = int8_query ? std::sqrt(std::min(dim, 128)) / 254 : 2e-5;
          const double tol = rel * std::sqrt(dot(qh, qh, dim) * dot(xi, xi, dim)) + 1e-6;
          EXPECT_NEAR(scores[static_cast<size_t>(h) * n + i], dot(qh, xi, dim), tol) << "head " << h << " row " << i;
        }
      }
      // Softmax-like weights, summed in the codec's domain, then mapped back once per head.
      std::vector<float> w(static_cast<size_t>(n_q) * n), acc(static_cast<size_t>(n_q) * dim, 0.0f), out(dim);
      for (size_t k = 0; k < w.size(); ++k) w[k] = 1.0f / (1 + k % 41);
      c->accumulate(w.data(), n_q, s.rows.data(), c->bytes_per_vector(), n, acc.data());
      for (int h = 0; h < n_q; ++h) {
        c->finish_value(&acc[static_cast<size_t>(h) * dim], out.data());
        std::vector<double> expect(dim, 0.0);
        double norm = 0;
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < dim; ++j) expect[j] += w[static_cast<size_t>(h) * n + i] * s.decoded[static_cast<size_t>(i) * dim + j];
        for (double e : expect) norm += e * e;
        for (int j = 0; j < dim; ++j) EXPECT_NEAR(out[j], expect[j], 2e-5 * std::sqrt(norm) + 1e-6) << "head " << h << " coord " << j;
      }
    }
  }
}

TEST_P(EveryCodec, SimdKernelsMatchScalarReferences) {
  const auto [type, dim] = GetParam();
  if (!isa_available(Isa::avx2)) GTEST_SKIP() << "this CPU cannot run the AVX2 kernels";
  const int n = 53, n_q = 3;
  auto ref = make_kv_codec(type, dim, 42, Isa::scalar), simd = make_kv_codec(type, dim, 42, Isa::avx2);
  ASSERT_EQ(ref->bytes_per_vector(), simd->bytes_per_vector());
  const auto x = key_like(n, dim, 3);
  const Stored s = store(*ref, x, n);
  const Stored s2 = store(*simd, x, n);
  EXPECT_EQ(s.rows, s2.rows) << "both encode to the same bytes";
  const auto q = key_like(n_q, dim, 4);
  const int qs = ref->prepared_floats();
  std::vector<float> qp(static_cast<size_t>(n_q) * qs), a(static_cast<size_t>(n_q) * n), b(a.size());
  for (int h = 0; h < n_q; ++h) ref->prepare_query(&q[static_cast<size_t>(h) * dim], &qp[static_cast<size_t>(h) * qs]);
  ref->score(qp.data(), n_q, s.rows.data(), ref->bytes_per_vector(), n, a.data());
  simd->score(qp.data(), n_q, s.rows.data(), ref->bytes_per_vector(), n, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * (std::fabs(a[i]) + 1) + 1e-4) << "score " << i;
  std::vector<float> w(static_cast<size_t>(n_q) * n), acc_a(static_cast<size_t>(n_q) * dim, 0.5f), acc_b(acc_a);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.3f * i);
  ref->accumulate(w.data(), n_q, s.rows.data(), ref->bytes_per_vector(), n, acc_a.data());
  simd->accumulate(w.data(), n_q, s.rows.data(), ref->bytes_per_vector(), n, acc_b.data());
  // Summation order differs (block shifts are added once per tile), so the bound scales with sum |w x|.
  for (int h = 0; h < n_q; ++h)
    for (int j = 0; j < dim; ++j) {
      double mag = 0.5;
      for (int i = 0; i < n; ++i)
        mag += std::fabs(w[static_cast<size_t>(h) * n + i] * s.decoded[static_cast<size_t>(i) * dim + j]);
      const size_t k = static_cast<size_t>(h) * dim + j;
      EXPECT_NEAR(acc_a[k], acc_b[k], 2e-6 * mag) << "head " << h << " coord " << j;
    }
}

// Eight heads in one pass (codes decoded once, 8 running sums) agree with two passes of four; value
// sums always go four heads at a time, so those are the same bits.
TEST_P(EveryCodec, EightHeadsInOnePassAgreeWithTwoPassesOfFour) {
  const auto [type, dim] = GetParam();
  if (!isa_available(Isa::avx2)) GTEST_SKIP() << "this CPU cannot run the AVX2 kernels";
  const int n = 70, n_q = 8;  // 70 rows: a full 64-row value tile and a partial one
  auto c = make_kv_codec(type, dim, 77, Isa::avx2);
  const Stored s = store(*c, key_like(n, dim, 5), n);
  const auto q = key_like(n_q, dim, 6);
  const int qs = c->prepared_floats();
  const size_t bpv = c->bytes_per_vector();
  std::vector<float> qp(static_cast<size_t>(n_q) * qs), one(static_cast<size_t>(n_q) * n), two(one.size());
  for (int h = 0; h < n_q; ++h) c->prepare_query(&q[static_cast<size_t>(h) * dim], &qp[static_cast<size_t>(h) * qs]);
  c->score(qp.data(), n_q, s.rows.data(), bpv, n, one.data());
  for (int half = 0; half < 2; ++half)
    c->score(&qp[static_cast<size_t>(4 * half) * qs], 4, s.rows.data(), bpv, n, &two[static_cast<size_t>(4 * half) * n]);
  for (int h = 0; h < n_q; ++h)
    for (int i = 0; i < n; ++i) {
      const float* qh = &q[static_cast<size_t>(h) * dim];
      const float* xi = &s.decoded[static_cast<size_t>(i) * dim];
      const double tol = 1e-5 * std::sqrt(dot(qh, qh, dim) * dot(xi, xi, dim)) + 1e-6;
      const size_t k = static_cast<size_t>(h) * n + i;
      EXPECT_NEAR(one[k], two[k], tol) << "head " << h << " row " << i;
    }
  std::vector<float> w(static_cast<size_t>(n_q) * n), acc_one(static_cast<size_t>(n_q) * dim, 0.25f), acc_two(acc_one);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.7f * i);
  c->accumulate(w.data(), n_q, s.rows.data(), bpv, n, acc_one.data());
  for (int half = 0; half < 2; ++half)
    c->accumulate(&w[static_cast<size_t>(4 * half) * n], 4, s.rows.data(), bpv, n, &acc_two[static_cast<size_t>(4 * half) * dim]);
  EXPECT_EQ(acc_one, acc_two);
}

// A key's score does not depend on how many rows one call scores (head dimension 8 takes 8 rows at once,
// transposed): a 21-row call equals, bit for bit, 21 one-row calls, for 2 and 5 heads. Zero keys included.
TEST_P(EveryCodec, ScoresDoNotDependOnTheRowsPerCall) {
  const auto [type, dim] = GetParam();
  if (!isa_available(Isa::avx2)) GTEST_SKIP() << "this CPU cannot run the AVX2 kernels";
  const int n = 21;
  auto c = make_kv_codec(type, dim, 9, Isa::avx2);
  auto x = key_like(n, dim, 12);
  std::fill_n(&x[static_cast<size_t>(3) * dim], dim, 0.0f);
  const Stored s = store(*c, x, n);
  const size_t bpv = c->bytes_per_vector();
  for (int n_q : {2, 5}) {
    const auto q = key_like(n_q, dim, 13);
    const int qs = c->prepared_floats();
    std::vector<float> qp(static_cast<size_t>(n_q) * qs), all(static_cast<size_t>(n_q) * n), one(n_q);
    for (int h = 0; h < n_q; ++h) c->prepare_query(&q[static_cast<size_t>(h) * dim], &qp[static_cast<size_t>(h) * qs]);
    c->score(qp.data(), n_q, s.rows.data(), bpv, n, all.data());
    for (int i = 0; i < n; ++i) {
      c->score(qp.data(), n_q, &s.rows[i * bpv], bpv, 1, one.data());
      for (int h = 0; h < n_q; ++h) {
        const float a = all[static_cast<size_t>(h) * n + i];
        EXPECT_EQ(std::memcmp(&a, &one[h], sizeof(float)), 0) << "head " << h << " row " << i << ": " << a << " vs " << one[h];
      }
    }
  }
}

// The fp16 cache's vector encoder (F16C) stores the scalar encoder's bytes, edge values included: ties,
// subnormals, overflow to infinity, infinities and NaNs (whose group goes the scalar way).
TEST(KvCodecFp16, VectorEncodeEqualsScalarOnEdgeValues) {
  if (!isa_available(Isa::avx2)) GTEST_SKIP() << "this CPU cannot run the AVX2 kernels";
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {0.0f, -0.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 65504.0f, 65520.0f, 1e9f, -1e9f,
                          6e-8f, 3e-8f, 2.9e-8f, -6.1e-5f, 1e-6f, inf, -inf, 0.1f,
                          1.0f, 2.0f, nan, -nan, 3.0f, 4.0f, 5.0f, 6.0f};
  uint32_t payload = 0x7fc12345;
  std::memcpy(&x[21], &payload, 4);
  auto ref = make_kv_codec(KvType::fp16, 24, 1, Isa::scalar), simd = make_kv_codec(KvType::fp16, 24, 1, Isa::avx2);
  std::vector<uint8_t> a(ref->bytes_per_vector()), b(a.size());
  ref->encode(x.data(), a.data());
  simd->encode(x.data(), b.data());
  EXPECT_EQ(a, b);
}

TEST_P(EveryCodec, RoundTripIsCloseAndZeroStaysZero) {
  const auto [type, dim] = GetParam();
  auto c = make_kv_codec(type, dim, 5);
  const int n = 64;
  const auto x = key_like(n, dim, 11);
  const Stored s = store(*c, x, n);
  double err = 0, energy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - s.decoded[i]) * (x[i] - s.decoded[i]);
    energy += x[i] * x[i];
  }
  // Loose per-type ceilings: they catch broken packing, not small quality changes.
  const double limit = type == KvType::fp32 ? 1e-12 : type == KvType::fp16 ? 1e-6 : type == KvType::q8_0 ? 1e-3 : 0.1;
  EXPECT_LT(err / energy, limit);
  std::vector<float> zero(dim, 0.0f), back(dim, 1.0f);
  std::vector<uint8_t> row(c->bytes_per_vector());
  c->encode(zero.data(), row.data());
  c->decode(row.data(), back.data());
  for (float v : back) EXPECT_EQ(v, 0.0f);
}

std::string name(const ::testing::TestParamInfo<TypeDim>& info) {
  return std::string(kv_type_name(std::get<0>(info.param))) + "_d" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(TypesAndHeadDims, EveryCodec,
                         ::testing::Combine(::testing::ValuesIn(all_kv_types()), ::testing::ValuesIn(kDims)), name);

// Bytes per stored vector: the layouts documented in the codecs (headers included).
// The SIMD kernels are compiled into every x86-64 build (portable ones too) and chosen from the CPU at run
// time: a build without -march=native must not fall back to the scalar kernels on an AVX2 machine.
TEST(KvKernels, AreChosenFromTheCpuNotFromTheBuildFlags) {
  if (!isa_usable(Isa::avx2)) GTEST_SKIP() << "this CPU cannot run the AVX2 kernels";
  if (std::getenv("QUANT_ISA")) GTEST_SKIP() << "QUANT_ISA is set: it lowers the choice on purpose";
  EXPECT_EQ(best_isa(), selected_isa());
  EXPECT_EQ(kv_kernels_name(), isa_name(selected_isa()));
  EXPECT_NE(kv_kernels_name(), "scalar");
  EXPECT_TRUE(isa_available(Isa::avx2));
}

TEST(KvKernels, SetsTheCpuCannotRunAreRefused) {
  for (Isa isa : {Isa::avx2, Isa::avx_vnni, Isa::avx512_vnni}) {
    if (isa_usable(isa)) continue;
    EXPECT_FALSE(isa_available(isa));
    EXPECT_THROW(make_kv_codec(KvType::fp16, 64, 1, isa), InputError);
  }
  EXPECT_TRUE(isa_available(Isa::scalar));
}

TEST(KvCodecLayout, BytesPerVector) {
  struct Row { KvType type; int d8, d80, d128, d256; };
  const Row rows[] = {
      {KvType::fp32, 32, 320, 512, 1024},         {KvType::fp16, 16, 160, 256, 512},
      {KvType::q8_0, 10, 90, 136, 272},           // (2 + B) per block of B = 8 / 16 / 32 / 32
      {KvType::q4_0, 6, 50, 72, 144},             // (2 + B/2) per block
      {KvType::uniform_4b, 8, 44, 68, 136},       // 4 + dim/2 per block of <= 128
      {KvType::turbo_kv_3b, 5, 32, 50, 100},      // 2 + 3 dim/8 per block
      {KvType::turbo_kv_4b, 6, 42, 66, 132},      // 2 + dim/2
      {KvType::turbo_kv_5b, 7, 52, 82, 164},      // 2 + 5 dim/8
      {KvType::turbo_kv_4bo, 9, 48, 78, 156},     // 2 + dim/2 + 3 * max(1, dim/32) outliers
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(kv_type_name(r.type)));
    EXPECT_EQ(make_kv_codec(r.type, 8, 1)->bytes_per_vector(), static_cast<size_t>(r.d8));
    EXPECT_EQ(make_kv_codec(r.type, 80, 1)->bytes_per_vector(), static_cast<size_t>(r.d80));
    EXPECT_EQ(make_kv_codec(r.type, 128, 1)->bytes_per_vector(), static_cast<size_t>(r.d128));
    EXPECT_EQ(make_kv_codec(r.type, 256, 1)->bytes_per_vector(), static_cast<size_t>(r.d256));
  }
}

TEST(KvCodecLayout, Q8_0AndQ4_0AreLlamaCppBlocks) {
  const int dim = 128;
  const auto x = key_like(1, dim, 21);
  std::vector<BlockQ8_0> b8(dim / kQK);
  std::vector<BlockQ4_0> b4(dim / kQK);
  quantize_row_q8_0(x.data(), b8.data(), dim);
  quantize_row_q4_0(x.data(), b4.data(), dim);
  auto c8 = make_kv_codec(KvType::q8_0, dim, 0), c4 = make_kv_codec(KvType::q4_0, dim, 0);
  ASSERT_EQ(c8->bytes_per_vector(), sizeof(BlockQ8_0) * b8.size());
  ASSERT_EQ(c4->bytes_per_vector(), sizeof(BlockQ4_0) * b4.size());
  std::vector<uint8_t> r8(c8->bytes_per_vector()), r4(c4->bytes_per_vector());
  c8->encode(x.data(), r8.data());
  c4->encode(x.data(), r4.data());
  EXPECT_EQ(std::memcmp(r8.data(), b8.data(), r8.size()), 0);
  EXPECT_EQ(std::memcmp(r4.data(), b4.data(), r4.size()), 0);
}

TEST(KvCodecLayout, UniformDecodesToCellCentres) {
  const int dim = 8;
  auto c = make_kv_codec(KvType::uniform_4b, dim, 0);
  const float x[8] = {0, 1, 2, 3, 4, 5, 6, 16};  // min 0, step 1
  std::vector<uint8_t> row(c->bytes_per_vector());
  c->encode(x, row.data());
  float y[8];
  c->decode(row.data(), y);
  for (int j = 0; j < 7; ++j) EXPECT_FLOAT_EQ(y[j], x[j] + 0.5f);
  EXPECT_FLOAT_EQ(y[7], 15.5f);  // the maximum falls in the top cell
}

TEST(KvCodecLayout, HeadDimensionsThatCannotBeBlockedAreInputErrors) {
  for (KvType t : {KvType::q8_0, KvType::q4_0, KvType::uniform_4b, KvType::turbo_kv_4b})
    EXPECT_THROW(make_kv_codec(t, 12, 0), InputError) << kv_type_name(t);
  EXPECT_NO_THROW(make_kv_codec(KvType::fp16, 12, 0));
}

TEST(KvCodecLayout, HugeValuesSaturateInsteadOfBecomingInfinite) {
  for (KvType t : all_kv_types()) {
    if (t == KvType::fp16) continue;  // plain fp16 rounds 1e6 to infinity by definition
    auto c = make_kv_codec(t, 64, 0);
    std::vector<float> x(64, 1e6f), y(64);
    std::vector<uint8_t> row(c->bytes_per_vector());
    c->encode(x.data(), row.data());
    c->decode(row.data(), y.data());
    for (float v : y) EXPECT_TRUE(std::isfinite(v)) << kv_type_name(t);
  }
}

}  // namespace
}  // namespace quant
