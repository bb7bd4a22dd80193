// The cache keeps only encoded bytes and attention reads them through the codec's fused kernels:
// allocated bytes are exactly capacity x bytes per vector, and decode() is never called while attending.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

#include "kv/codecs.h"
#include "kv/softmax.h"
#include "quant/kv_cache.h"

namespace quant {
namespace {

// Forwards to a real codec and counts the calls attention must never make.
class Watched final : public KvCodec {
 public:
  Watched(std::unique_ptr<KvCodec> inner, std::atomic<int>& decodes)
      : KvCodec(inner->dim()), inner_(std::move(inner)), decodes_(decodes) {}
  KvType type() const override { return inner_->type(); }
  size_t bytes_per_vector() const override { return inner_->bytes_per_vector(); }
  void encode(const float* x, uint8_t* dst) const override { inner_->encode(x, dst); }
  void decode(const uint8_t* src, float* x) const override { ++decodes_; inner_->decode(src, x); }
  int prepared_floats() const override { return inner_->prepared_floats(); }
  void prepare_query(const float* q, float* qp) const override { inner_->prepare_query(q, qp); }
  void score(const float* q, int n_q, const uint8_t* rows, size_t stride, int n, float* out) const override {
    inner_->score(q, n_q, rows, stride, n, out);
  }
  void accumulate(const float* w, int n_q, const uint8_t* rows, size_t stride, int n, float* acc) const override {
    inner_->accumulate(w, n_q, rows, stride, n, acc);
  }
  void finish_value(const float* acc, float* out) const override { inner_->finish_value(acc, out); }

 private:
  std::unique_ptr<KvCodec> inner_;
  std::atomic<int>& decodes_;
};

class EveryType : public ::testing::TestWithParam<KvType> {};

TEST_P(EveryType, StoresOnlyEncodedBytesAndAttendsWithoutDecoding) {
  const KvType type = GetParam();
  KvCacheConfig cfg;
  cfg.k_type = type;
  cfg.v_type = type;
  cfg.n_layer = 2;
  cfg.n_head_kv = 2;
  cfg.head_dim = 64;
  cfg.capacity = 40;
  std::atomic<int> decodes{0};
  KvCache cache(cfg, [&](KvType t, int dim, uint64_t seed) {
    return std::make_unique<Watched>(make_kv_codec(t, dim, seed), decodes);
  });
  const size_t bpv = make_kv_codec(type, 64, 0)->bytes_per_vector();
  // Memory truth: nothing besides the codes (no float shadow of K or V).
  EXPECT_EQ(cache.allocated_bytes(), 2 * static_cast<size_t>(cfg.n_layer) * cfg.n_head_kv * cfg.capacity * bpv);
  EXPECT_EQ(cache.k_bytes_per_token(), static_cast<size_t>(cfg.n_layer) * cfg.n_head_kv * bpv);
  EXPECT_EQ(cache.v_bytes_per_token(), cache.k_bytes_per_token());

  std::mt19937_64 rng(9);
  std::normal_distribution<float> g(0, 1);
  const int n_pos = 30, width = cfg.n_head_kv * cfg.head_dim;
  std::vector<float> k(static_cast<size_t>(n_pos) * width), v(k.size());
  for (auto& x : k) x = g(rng);
  for (auto& x : v) x = g(rng);
  for (int p = 0; p < n_pos; ++p)
    for (int l = 0; l < cfg.n_layer; ++l) cache.store(l, p, &k[p * width], &v[p * width]);

  AttentionParams ap;
  ap.n_head = 6;  // three query heads per KV head
  ap.scale = 0.125f;
  std::vector<float> q(ap.n_head * cfg.head_dim), out(q.size());
  for (auto& x : q) x = g(rng);
  const int pos = n_pos - 1, layer = 1;
  cache.attend(layer, pos, q.data(), out.data(), ap);
  EXPECT_EQ(decodes.load(), 0) << "attention decoded stored vectors";

  // Reference: softmax attention over the decoded cache contents (decoding here, outside attention).
  for (int h = 0; h < ap.n_head; ++h) {
    const int kvh = h / 3;
    const KvCodec& kc = cache.k_codec(layer, kvh);
    const KvCodec& vc = cache.v_codec(layer, kvh);
    std::vector<double> s(n_pos), o(cfg.head_dim, 0.0);
    std::vector<float> kd(cfg.head_dim), vd(cfg.head_dim);
    double mx = -1e30, sum = 0;
    for (int p = 0; p < n_pos; ++p) {
      kc.decode(cache.k_data(layer, kvh) + p * kc.bytes_per_vector(), kd.data());
      double d = 0;
      for (int j = 0; j < cfg.head_dim; ++j) d += static_cast<double>(q[h * cfg.head_dim + j]) * kd[j];
      s[p] = d * ap.scale;
      mx = std::max(mx, s[p]);
    }
    for (int p = 0; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - mx);
    for (int p = 0; p < n_pos; ++p) {
      vc.decode(cache.v_data(layer, kvh) + p * vc.bytes_per_vector(), vd.data());
      for (int j = 0; j < cfg.head_dim; ++j) o[j] += s[p] / sum * vd[j];
    }
    // turbo_kv_4b scores an 8-bit copy of the query: logits (|q||k| * scale ~ 8 here) move by ~1e-3 of
    // |q||k| (turbo4_int8_test), outputs here by 0.0015 rms, 0.006 at most.
    const double tol = type == KvType::turbo_kv_4b ? 1.5e-2 : 1e-4;
    for (int j = 0; j < cfg.head_dim; ++j) EXPECT_NEAR(out[h * cfg.head_dim + j], o[j], tol) << "head " << h;
  }
}

INSTANTIATE_TEST_SUITE_P(KvCache, EveryType, ::testing::ValuesIn(all_kv_types()),
                         [](const auto& info) { return std::string(kv_type_name(info.param)); });

TEST(Softmax, SimdMatchesTheScalarDefinition) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(-60, 60);
  for (int n : {1, 7, 8, 9, 100, 1000}) {
    std::vector<float> a(n);
    for (auto& x : a) x = u(rng);
    if (n > 2) a[1] = -1e4f;  // far below the maximum: exactly zero weight
    std::vector<float> b = a;
    kv::softmax(a.data(), n, 0.7f);
    kv::softmax_ref(b.data(), n, 0.7f);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(a[i], b[i], 1e-6 + 2e-6 * b[i]) << "n " << n << " i " << i;
      sum += a[i];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    if (n > 2) {
      EXPECT_EQ(a[1], 0.0f);
    }
  }
}

TEST(KvCache, EachHeadAndLayerGetsItsOwnRotation) {
  KvCacheConfig cfg;
  cfg.k_type = cfg.v_type = KvType::turbo_kv_4b;
  cfg.n_layer = 2;
  cfg.n_head_kv = 2;
  cfg.head_dim = 8;
  cfg.capacity = 1;
  KvCache cache(cfg);
  const float x[8] = {1, 0, 0, 0, 0, 0, 0, 0};
  std::vector<std::vector<float>> rotated;
  for (int l = 0; l < 2; ++l)
    for (int h = 0; h < 2; ++h)
      for (const KvCodec* c : {&cache.k_codec(l, h), &cache.v_codec(l, h)}) {
        std::vector<float> y(8);
        c->prepare_query(x, y.data());
        for (const auto& r : rotated) EXPECT_NE(r, y);
        rotated.push_back(y);
      }
}

}  // namespace
}  // namespace quant
